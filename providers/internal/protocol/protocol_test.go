package protocol

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/provschema"
)

func TestValueRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   cty.Value
		want cty.Value
	}{
		{"string", cty.StringVal("a"), cty.StringVal("a")},
		{"number", cty.NumberFloatVal(1.5), cty.NumberFloatVal(1.5)},
		{"null", cty.NullVal(cty.String), cty.NullVal(cty.String)},
		{"map", cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v")}), cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v")})},
		{"unknown", cty.UnknownVal(cty.String), cty.UnknownVal(cty.String)},
		{"partly unknown becomes unknown", cty.ListVal([]cty.Value{cty.StringVal("a"), cty.UnknownVal(cty.String)}), cty.UnknownVal(cty.List(cty.String))},
		{"marks dropped", cty.StringVal("secret").Mark("sensitive"), cty.StringVal("secret")},
		{"nil value", cty.NilVal, cty.NullVal(cty.DynamicPseudoType)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pv, err := EncodeValue(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeValue(pv)
			if err != nil {
				t.Fatal(err)
			}
			if !got.RawEquals(tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestSchemaRoundTrip(t *testing.T) {
	in := &provschema.Schema{
		Provider: "a/b", Version: "1.0.0", Delivers: true,
		Channel: []provschema.Attribute{{Name: "headers", Type: cty.Map(cty.String), Description: "d"}, {Name: "to", Type: cty.String, Required: true, PerDelivery: true, Recipient: true, Sensitive: true}},
		Message: []provschema.Attribute{{Name: "text", Type: cty.String}},
	}
	ps, err := EncodeSchema(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(ps.Channel[0].Type) != `["map","string"]` {
		t.Errorf("type spec %s", ps.Channel[0].Type)
	}
	out, err := DecodeSchema(ps)
	if err != nil {
		t.Fatal(err)
	}
	if out.Provider != "a/b" || !out.Channel[0].Type.Equals(cty.Map(cty.String)) || out.Channel[0].Description != "d" || *out.ChannelAttribute("to") != in.Channel[1] || len(out.Message) != 1 {
		t.Errorf("round trip: %+v", out)
	}
	ps.Message[0].Type = []byte(`"number"`)
	if _, err := DecodeSchema(ps); err == nil || !strings.Contains(err.Error(), "must be a string") {
		t.Errorf("inconsistent schema accepted: %v", err)
	}
}

func TestDiagnosticsRoundTrip(t *testing.T) {
	in := []provschema.Diagnostic{
		{Severity: provschema.Error, Summary: "s", Detail: "d", Path: []string{"headers", "X-A"}},
		{Severity: provschema.Warning, Summary: "w"},
	}
	out := DecodeDiagnostics(EncodeDiagnostics(in))
	if len(out) != 2 || out[0].Path[1] != "X-A" || out[0].Severity != provschema.Error || out[1].Severity != provschema.Warning || out[1].Path != nil {
		t.Errorf("round trip: %+v", out)
	}
	if !HasErrors(out) || HasErrors(out[1:]) {
		t.Error("HasErrors")
	}
}

func TestParseReattach(t *testing.T) {
	got, err := ParseReattach(`{"a/b": {"Protocol": "grpc", "Pid": 7, "Test": true, "Addr": {"Network": "unix", "String": "/tmp/p"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	r := got["a/b"]
	if r.Pid != 7 || !r.Test || r.ProtocolVersion != Version || r.Addr.String != "/tmp/p" {
		t.Errorf("parsed %+v", r)
	}
	pc, err := r.PluginConfig()
	if err != nil || pc.Addr.String() != "/tmp/p" || pc.Addr.Network() != "unix" {
		t.Errorf("plugin config %+v, %v", pc, err)
	}
	if back := ReattachFrom(pc); back != r {
		t.Errorf("ReattachFrom = %+v, want %+v", back, r)
	}
	for _, bad := range []string{`{`, `{"a/b": {"Addr": {"Network": "udp", "String": "x"}}}`} {
		if _, err := ParseReattach(bad); err == nil || !strings.Contains(err.Error(), ReattachEnv) {
			t.Errorf("ParseReattach(%s) = %v", bad, err)
		}
	}
	if m, err := ParseReattach(""); err != nil || m != nil {
		t.Errorf("empty: %v %v", m, err)
	}
}
