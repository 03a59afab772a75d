// Command gen writes docs/language.md; `make generate` runs it.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/waymarkhq/waymark/internal/docgen"
)

func main() {
	out := flag.String("out", "docs/language.md", "the file to write")
	flag.Parse()
	if err := os.WriteFile(*out, docgen.Markdown(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
