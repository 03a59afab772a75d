package lang

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/waymarkhq/waymark/lang/limits"
)

// A file parsed in pieces, cut after every top-level brace, has the syntax
// tree, text and diagnostics of the file parsed whole: for every native
// file of the repository (examples, test data, txtar archives) and for
// texts whose braces are in heredocs, comments and templates.
func TestParseInPieces(t *testing.T) {
	corpus := map[string][]byte{
		"heredoc.wm.hcl":   []byte("a = <<EOT\njourney {\n}\nEOT\nb {\n}\nc = <<-EOT\n  }\n  EOT\nd {\n}\n"),
		"comment.wm.hcl":   []byte("/*\nx {\n}\n*/\ny {\n}\n# }\nz {\n}\n// {\n"),
		"template.wm.hcl":  []byte("a {\n  x = \"${ {k = 1}.k }\"\n}\nb = \"%{ if true }{%{ endif }\"\nc {\n}\n"),
		"duplicate.wm.hcl": []byte("a = 1\nb {\n}\na = 2\nc {\n}\n"),
		"error.wm.hcl":     []byte("journey \"a\" {\n}\njourney \"b\" {\n  x = \n}\njourney \"c\" {\n}\n"),
		"unclosed.wm.hcl":  []byte("a {\n}\nb {\n  c {\n}\n"),
		"crlf.wm.hcl":      []byte("a {\r\n}\r\nb {\r\n}\r\n"),
		"unicode.wm.hcl":   []byte("a \"é✓\" {\n  x = \"👩‍👩‍👧\"\n}\nb {\n}\n\n\n"),
		"objects.wm.hcl":   []byte("a = {\n  k = 1\n}\nb {\n  c {\n  }\n}\nd = [\n  {\n  },\n]\n"),
		"empty.wm.hcl":     nil,
		"bench.wm.hcl":     []byte(strings.Repeat("journey \"j\" {\n  action \"a\" {\n    value = 1\n  }\n}\n", 50)),
	}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		switch {
		case strings.HasSuffix(path, SuffixHCL):
			src, err := os.ReadFile(path)
			corpus[path] = src
			return err
		case strings.HasSuffix(path, ".txtar"):
			src, err := os.ReadFile(path)
			for name, text := range txtarFiles(src) {
				if strings.HasSuffix(name, SuffixHCL) {
					corpus[path+"/"+name] = text
				}
			}
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(corpus) < 100 {
		t.Fatalf("only %d files to parse", len(corpus))
	}
	cut := 0
	for name, src := range corpus {
		cuts, d := limits.CheckNestingCuts(src, name, hcl.InitialPos, 1)
		if d != nil {
			continue
		}
		if len(cuts) > 0 {
			cut++
		}
		whole, wantDiags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		srcs := []source{{name: name, src: src}}
		parseSources(srcs, 1)
		got := srcs[0]
		if !reflect.DeepEqual(got.diags, wantDiags) {
			t.Errorf("%s: diagnostics\n%v\nwant\n%v", name, got.diags, wantDiags)
		}
		if !reflect.DeepEqual(got.f.Body, whole.Body) || !bytes.Equal(got.f.Bytes, whole.Bytes) {
			t.Errorf("%s: the pieces' syntax tree differs from the whole file's", name)
		}
		nav := got.f.Nav.(interface{ ContextString(int) string })
		wantNav := whole.Nav.(interface{ ContextString(int) string })
		for off := 0; off < len(src); off += 97 {
			if g, w := nav.ContextString(off), wantNav.ContextString(off); g != w {
				t.Errorf("%s: context at byte %d is %q, want %q", name, off, g, w)
				break
			}
		}
	}
	if cut < len(corpus)/2 {
		t.Errorf("only %d of %d files were cut in pieces", cut, len(corpus))
	}
}

// txtarFiles returns the files of a txtar archive.
func txtarFiles(src []byte) map[string][]byte {
	out := map[string][]byte{}
	name := ""
	for line := range bytes.Lines(src) {
		s := strings.TrimRight(string(line), "\n")
		if strings.HasPrefix(s, "-- ") && strings.HasSuffix(s, " --") && len(s) > 6 {
			name = strings.TrimSpace(s[3 : len(s)-3])
			out[name] = []byte{}
			continue
		}
		if name != "" {
			out[name] = append(out[name], line...)
		}
	}
	return out
}
