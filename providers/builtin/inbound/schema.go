// Package inbound is the built-in provider of channels that are answered
// through the decide API (a web page, an app, a call centre) and never
// delivered to.
package inbound

import "github.com/waymarkhq/waymark/lang/provschema"

// Schema is the inbound provider's schema: no attributes, nothing delivered.
func Schema() provschema.Schema {
	return provschema.Schema{Provider: "waymark/inbound", Delivers: false}
}
