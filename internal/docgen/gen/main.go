// Command gen writes docs/language.md, or with -testing docs/testing.md;
// `make generate` runs it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/waymarkhq/waymark/internal/docgen"
)

func main() {
	out := flag.String("out", "docs/language.md", "the file to write")
	testDoc := flag.Bool("testing", false, "write the test language's reference (docs/testing.md) instead")
	flag.Parse()
	doc := docgen.Markdown()
	if *testDoc {
		doc = docgen.TestingMarkdown()
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
