package docgen

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/schema"
)

var update = flag.Bool("update", false, "rewrite docs/language.md")

const committed = "../../docs/language.md"

// TestLanguageReferenceUpToDate fails when docs/language.md no longer
// matches the loader's schema: run `make generate`.
func TestLanguageReferenceUpToDate(t *testing.T) {
	want := Markdown()
	if *update {
		if err := os.WriteFile(committed, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("reading the committed reference: %v (run make generate)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/language.md is stale: run `make generate` and commit the result")
	}
}

// TestTestingReferenceUpToDate fails when docs/testing.md no longer
// matches the test language's schema: run `make generate`.
func TestTestingReferenceUpToDate(t *testing.T) {
	const committed = "../../docs/testing.md"
	want := TestingMarkdown()
	if *update {
		if err := os.WriteFile(committed, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("reading the committed reference: %v (run make generate)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("docs/testing.md is stale: run `make generate` and commit the result")
	}
}

// TestEveryBlockAndAttributeDocumented keeps the schema's descriptions
// complete, since they are the reference.
func TestEveryBlockAndAttributeDocumented(t *testing.T) {
	doc := string(Markdown())
	var walk func(b *schema.Block, path string)
	walk = func(b *schema.Block, path string) {
		if b.Type != "" {
			if b.Description == "" {
				t.Errorf("block %s has no description", path)
			}
			if !strings.Contains(doc, "`"+path+"`") {
				t.Errorf("block %s is missing from the reference", path)
			}
		}
		for _, a := range b.Attributes {
			if a.Description == "" {
				t.Errorf("attribute %s.%s has no description", path, a.Name)
			}
		}
		for _, n := range b.Blocks {
			p := n.Type
			if path != "" {
				p = path + " › " + n.Type
			}
			walk(n, p)
		}
	}
	walk(schema.File(), "")
	doc = string(TestingMarkdown())
	walk(schema.TestFile(), "")
}
