package lang_test

import (
	"context"
	"os"
	"path/filepath"
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
