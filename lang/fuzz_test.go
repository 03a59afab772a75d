package lang_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang"
)

// FuzzLoad feeds arbitrary text to the loader as one configuration file:
// it must never panic, and a configuration it accepts must encode.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.wm.hcl")
	more, _ := filepath.Glob("../examples/*/*.wm.hcl")
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`journey "j" { entry { condition = customer.x > "a" } }`))
	// Hostile inputs of issue #18, small enough to run as seeds.
	for _, src := range []string{
		"locals {\n  a = " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n}\n",
		"locals {\n  a = " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + "\n}\n",
		"locals {\n  a = 1" + strings.Repeat("+1", 300) + "\n}\n",
		"locals {\n  a = " + strings.Repeat(`"${`, 200) + "1" + strings.Repeat(`}"`, 200) + "\n}\n",
		"locals {\n  a = <<EOT\n" + strings.Repeat("%{if true}", 300) + strings.Repeat("%{endif}", 300) + "\nEOT\n}\n",
		"locals {\n  r = range(1000)\n  p = setproduct(local.r, local.r, local.r)\n}\n",
		"locals {\n  r = range(200)\n  a = [for i in local.r : [for j in local.r : [for k in local.r : k]]]\n}\n",
		"locals {\n  a = format(\"%999999999d\", 1)\n  b = \"x${1e9000000}\"\n  c = \"x${1e1000 * 1e1000}\"\n}\n",
		"locals {\n  a = file(\"/dev/zero\")\n  b = file(\".\")\n}\n",
		string(localChain(30)),
		"locals {\n  " + deepLocals(30) + "\n}\n",
	} {
		f.Add([]byte(src))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := lang.LoadSources(context.Background(), dir, map[string][]byte{"main.wm.hcl": src}, options())
		if diags.HasErrors() {
			return
		}
		if _, err := cfg.Document.Encode(); err != nil {
			t.Fatalf("an accepted configuration does not encode: %v", err)
		}
	})
}
