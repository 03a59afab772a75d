package protocol

import (
	"encoding/json"
	"fmt"
	"net"

	"github.com/hashicorp/go-plugin"
)

// ReattachEnv names the environment variable that lists providers started
// by hand, by source address, for the host to attach to instead of
// launching them.
const ReattachEnv = "WAYMARK_REATTACH_PROVIDERS"

// Reattach is how to reach a provider started by hand, in the JSON shape of
// Terraform's TF_REATTACH_PROVIDERS:
//
//	{"waymark/slack": {"Protocol": "grpc", "ProtocolVersion": 1, "Pid": 4242,
//	  "Test": true, "Addr": {"Network": "unix", "String": "/tmp/plugin123"}}}
type Reattach struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            ReattachAddr
}

// ReattachAddr is a provider's listening address.
type ReattachAddr struct {
	Network string
	String  string
}

// ParseReattach reads the value of WAYMARK_REATTACH_PROVIDERS; an empty
// value lists none.
func ParseReattach(s string) (map[string]Reattach, error) {
	if s == "" {
		return nil, nil
	}
	var out map[string]Reattach
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %w", ReattachEnv, err)
	}
	for src, r := range out {
		if r.ProtocolVersion == 0 {
			r.ProtocolVersion = Version
			out[src] = r
		}
		if r.Addr.Network != "unix" && r.Addr.Network != "tcp" {
			return nil, fmt.Errorf("%s: provider %q: address network must be unix or tcp, not %q", ReattachEnv, src, r.Addr.Network)
		}
	}
	return out, nil
}

// PluginConfig converts r to go-plugin's form.
func (r Reattach) PluginConfig() (*plugin.ReattachConfig, error) {
	var addr net.Addr
	var err error
	switch r.Addr.Network {
	case "unix":
		addr, err = net.ResolveUnixAddr("unix", r.Addr.String)
	case "tcp":
		addr, err = net.ResolveTCPAddr("tcp", r.Addr.String)
	default:
		err = fmt.Errorf("unknown network %q", r.Addr.Network)
	}
	if err != nil {
		return nil, err
	}
	proto := plugin.Protocol(r.Protocol)
	if proto == "" {
		proto = plugin.ProtocolGRPC
	}
	return &plugin.ReattachConfig{
		Protocol:        proto,
		ProtocolVersion: r.ProtocolVersion,
		Addr:            addr,
		Pid:             r.Pid,
		Test:            r.Test,
	}, nil
}

// ReattachFrom converts go-plugin's form to r.
func ReattachFrom(c *plugin.ReattachConfig) Reattach {
	return Reattach{
		Protocol:        string(c.Protocol),
		ProtocolVersion: c.ProtocolVersion,
		Pid:             c.Pid,
		Test:            c.Test,
		Addr:            ReattachAddr{Network: c.Addr.Network(), String: c.Addr.String()},
	}
}
