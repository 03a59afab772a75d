package protocol

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/waymarkhq/waymark/providers/proto/providerv1"
)

// Version is the provider protocol's version, negotiated in the handshake.
const Version = 1

// PluginName is the name the provider service is dispensed under.
const PluginName = "provider"

// MagicCookieKey and MagicCookieValue tell a provider that it was started
// by a Waymark host. They are not a security measure.
const (
	MagicCookieKey   = "WAYMARK_PLUGIN_MAGIC_COOKIE"
	MagicCookieValue = "8d1f4c0b5e6a43f1b2f07c9e1a0d6e53waymark"
)

// Handshake is the go-plugin handshake both ends must agree on.
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  Version,
		MagicCookieKey:   MagicCookieKey,
		MagicCookieValue: MagicCookieValue,
	}
}

// Plugin adapts the generated gRPC service to go-plugin. On the provider's
// side Impl is set; on the host's side it is nil and GRPCClient returns a
// providerv1.ProviderClient.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl providerv1.ProviderServer
}

// GRPCServer registers the provider service.
func (p *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	providerv1.RegisterProviderServer(s, p.Impl)
	return nil
}

// GRPCClient returns a client of the provider service.
func (p *Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return providerv1.NewProviderClient(c), nil
}

// PluginSets is the set of plugins for each protocol version this build
// speaks.
func PluginSets(server providerv1.ProviderServer) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		Version: {PluginName: &Plugin{Impl: server}},
	}
}
