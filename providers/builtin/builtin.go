package builtin

import (
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/builtin/inbound"
	"github.com/waymarkhq/waymark/providers/builtin/log"
	"github.com/waymarkhq/waymark/providers/builtin/smtp"
	"github.com/waymarkhq/waymark/providers/builtin/webhook"
	"github.com/waymarkhq/waymark/providers/sdk"
)

// Names are the local names of the built-in providers, which a channel may
// use without declaring them in required_providers.
var Names = []string{"inbound", "log", "smtp", "webhook"}

// Source returns the source address of a built-in provider's local name.
func Source(name string) string { return "waymark/" + name }

// Lookup reports whether name is the local name of a built-in provider,
// and gives its source address: lang.Options.Builtin.
func Lookup(name string) (string, bool) {
	for _, n := range Names {
		if n == name {
			return Source(n), true
		}
	}
	return "", false
}

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

// Provider returns the built-in provider with the given local name, its
// schema carrying version, for the waymark binary to serve.
func Provider(name, version string) (sdk.Provider, bool) {
	var p sdk.Provider
	switch name {
	case "inbound":
		p = inbound.Provider()
	case "log":
		p = log.Provider()
	case "smtp":
		p = smtp.Provider()
	case "webhook":
		p = webhook.Provider()
	default:
		return sdk.Provider{}, false
	}
	p.Schema.Version = version
	return p, true
}
