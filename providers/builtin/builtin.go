package builtin

import (
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/builtin/inbound"
	"github.com/waymarkhq/waymark/providers/builtin/log"
	"github.com/waymarkhq/waymark/providers/builtin/smtp"
	"github.com/waymarkhq/waymark/providers/builtin/webhook"
)

// Names are the local names of the built-in providers, which a channel may
// use without declaring them in required_providers.
var Names = []string{"inbound", "log", "smtp", "webhook"}

// Source returns the source address of a built-in provider's local name.
func Source(name string) string { return "waymark/" + name }

// Schemas returns the schemas of the built-in providers by source address,
// each carrying version.
func Schemas(version string) provschema.Static {
	out := provschema.Static{}
	for _, s := range []provschema.Schema{inbound.Schema(), log.Schema(), smtp.Schema(), webhook.Schema()} {
		s := s
		s.Version = version
		out[s.Provider] = &s
	}
	return out
}
