// Package smtp is the built-in provider that delivers email over SMTP, with
// STARTTLS and authentication, HTML and text parts and RFC 8058
// List-Unsubscribe headers.
package smtp

import (
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/zclconf/go-cty/cty"
)

// Schema is the smtp provider's schema.
func Schema() provschema.Schema {
	return provschema.Schema{
		Provider: "waymark/smtp",
		Delivers: true,
		Channel: []provschema.Attribute{
			{Name: "host", Type: cty.String, Required: true, Description: "The SMTP server's host name or address."},
			{Name: "port", Type: cty.Number, Description: "The SMTP server's port (default 587)."},
			{Name: "from", Type: cty.String, Required: true, Description: `The sender, as "Name <address>" or an address.`},
			{Name: "to", Type: cty.String, Required: true, PerDelivery: true, Recipient: true, Description: "The recipient's address, a runtime expression over the customer such as customer.email."},
			{Name: "username", Type: cty.String, Description: "The user name for SMTP authentication."},
			{Name: "password", Type: cty.String, Sensitive: true, Description: "The password for SMTP authentication."},
			{Name: "starttls", Type: cty.String, Description: `"required" (default), "opportunistic" or "off".`},
			{Name: "unsubscribe_url", Type: cty.String, Description: "A fixed HTTPS URL for RFC 8058 one-click unsubscribe, sent as List-Unsubscribe when the runtime serves no per-recipient one of its own (waymark runtime -public-url, docs/governance.md)."},
			{Name: "timeout", Type: cty.String, Description: `A deadline for one delivery, as a duration such as "30s".`},
			{Name: "ca_file", Type: cty.String, Description: "A PEM file of the certificate authorities to trust for STARTTLS instead of the system's (for a relay with a private certificate)."},
		},
		Message: []provschema.Attribute{
			{Name: "subject", Type: cty.String, Required: true, Description: "The subject line."},
			{Name: "body", Type: cty.String, Required: true, Description: "The HTML part."},
			{Name: "text", Type: cty.String, Description: "The plain text part; derived from body when unset."},
		},
	}
}
