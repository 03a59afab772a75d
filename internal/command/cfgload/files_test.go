package cfgload

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/waymarkhq/waymark/lang"
)

// ReadFiles reads what the language loader reads: *.wm.hcl and *.wm.json,
// not hidden files or others, each in its syntax, within its limits.
func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.wm.hcl", "event \"a\" {}\n")
	write("b.wm.json", `{"event": {"b": {}}}`)
	write(".hidden.wm.hcl", "this is not read")
	write("notes.hcl", "this is not read")
	write("vars.auto.wmvars", "x = 1\n")

	files, srcs, diags := ReadFiles(dir)
	if diags.HasErrors() || len(files) != 2 {
		t.Fatalf("%d files, %v", len(files), diags)
	}
	var names []string
	for n := range srcs {
		names = append(names, filepath.Base(n))
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "a.wm.hcl b.wm.json" {
		t.Errorf("read %v", names)
	}
	for _, f := range files {
		if c, _, d := f.Body.PartialContent(eventSchema); d.HasErrors() || len(c.Blocks) != 1 {
			t.Errorf("a file's event block: %v", d)
		}
	}
	want, _ := lang.FindFiles(dir)
	if len(want) != len(files) {
		t.Errorf("lang.FindFiles lists %v", want)
	}

	write("c.wm.json", `{"event": `)
	if _, _, diags := ReadFiles(dir); !diags.HasErrors() || diags[0].Subject == nil || !strings.HasSuffix(diags[0].Subject.Filename, "c.wm.json") {
		t.Errorf("a JSON syntax error: %v", diags)
	}
	os.Remove(filepath.Join(dir, "c.wm.json"))

	write("big.wm.hcl", strings.Repeat("#", lang.MaxFileSize+1))
	if _, _, diags := ReadFiles(dir); !diags.HasErrors() || diags[0].Summary != "File too large" {
		t.Errorf("a file too large: %v", diags)
	}

	if _, _, diags := ReadFiles(t.TempDir()); !diags.HasErrors() || diags[0].Summary != "No configuration files" {
		t.Errorf("an empty directory: %v", diags)
	}
}

var eventSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "event", LabelNames: []string{"name"}}}}
