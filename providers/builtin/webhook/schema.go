// Package webhook is the built-in provider that delivers a JSON body by HTTP
// POST, signed with HMAC-SHA256 when the channel has a secret.
package webhook

import (
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/zclconf/go-cty/cty"
)

// Schema is the webhook provider's schema.
func Schema() provschema.Schema {
	return provschema.Schema{
		Provider: "waymark/webhook",
		Delivers: true,
		Channel: []provschema.Attribute{
			{Name: "url", Type: cty.String, Required: true, Description: "The http or https URL to POST each delivery to."},
			{Name: "secret", Type: cty.String, Sensitive: true, Description: "The key that signs each body: X-Waymark-Signature: sha256=<hex HMAC-SHA256>."},
			{Name: "timeout", Type: cty.String, Description: `A deadline for one request, as a duration such as "10s" (default 10s).`},
			{Name: "headers", Type: cty.Map(cty.String), Description: "Extra headers to send with each request."},
		},
		Message: []provschema.Attribute{
			{Name: "text", Type: cty.String, Description: "A text field sent in the body."},
			{Name: "title", Type: cty.String, Description: "A title field sent in the body."},
			{Name: "url", Type: cty.String, Description: "A link sent in the body."},
		},
	}
}
