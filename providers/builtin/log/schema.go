// Package log is the built-in provider that writes a JSON line per delivery
// to a file or to standard output, for development.
package log

import (
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/zclconf/go-cty/cty"
)

// Schema is the log provider's schema.
func Schema() provschema.Schema {
	return provschema.Schema{
		Provider: "waymark/log",
		Delivers: true,
		Channel: []provschema.Attribute{
			{Name: "path", Type: cty.String, Description: `File to append one JSON line per delivery to; "-" or unset writes to the runtime's standard output.`},
		},
		Message: []provschema.Attribute{
			{Name: "text", Type: cty.String, Description: "The text to log for each delivery, rendered per customer."},
		},
	}
}
