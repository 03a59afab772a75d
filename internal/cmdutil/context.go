package cmdutil

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// parseForContext parses a file only to name the block around a position;
// JSON files have no such context.
func parseForContext(src []byte, filename string) *hcl.File {
	if strings.HasSuffix(filename, ".json") {
		return nil
	}
	f, _ := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	return f
}
