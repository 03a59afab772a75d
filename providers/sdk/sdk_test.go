package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/sdk"
	"github.com/waymarkhq/waymark/providers/sdk/sdktest"
)

func TestMain(m *testing.M) { sdktest.Main(m, echo()) }

// echo is a provider that answers each delivery with a message id made of
// what it received, so that tests can see every field cross the wire.
func echo() sdk.Provider {
	return sdk.Provider{
		Schema: provschema.Schema{
			Provider: "test/echo",
			Version:  "1.2.3",
			Delivers: true,
			Channel: []provschema.Attribute{
				{Name: "url", Type: cty.String, Required: true},
				{Name: "port", Type: cty.Number},
				{Name: "token", Type: cty.String, Sensitive: true},
				{Name: "to", Type: cty.String, Required: true, PerDelivery: true, Recipient: true},
			},
			Message: []provschema.Attribute{
				{Name: "text", Type: cty.String, Required: true},
			},
		},
		ValidateChannel: func(_ context.Context, cfg map[string]cty.Value) []provschema.Diagnostic {
			var diags []provschema.Diagnostic
			if p := cfg["port"]; !p.IsNull() && p.IsKnown() {
				if n, _ := p.AsBigFloat().Int64(); n < 1 || n > 65535 {
					diags = append(diags, sdk.AttributeError("port", "Port out of range", fmt.Sprintf("%d is not between 1 and 65535.", n)))
				}
			}
			if !cfg["to"].IsNull() && cfg["to"].IsKnown() {
				diags = append(diags, sdk.AttributeError("to", "to is known at validate time", ""))
			}
			return diags
		},
		ValidateMessage: func(_ context.Context, msg map[string]cty.Value) []provschema.Diagnostic {
			if t := msg["text"]; t.IsKnown() && !t.IsNull() && t.AsString() == "" {
				return []provschema.Diagnostic{{Severity: provschema.Warning, Summary: "Empty text", Path: []string{"text"}}}
			}
			return nil
		},
		Configure: func(_ context.Context, cfg map[string]cty.Value) error {
			if sdk.String(cfg["url"]) == "refuse" {
				return errors.New("refused")
			}
			return nil
		},
		Deliver: func(ctx context.Context, d *sdk.Delivery) (string, error) {
			switch d.Message["text"] {
			case "permanent":
				return "", sdk.Permanent(errors.New("no such mailbox"))
			case "retryable":
				return "", sdk.Retryable(errors.New("try later"))
			case "plain":
				return "", errors.New("something broke")
			}
			_, hasDeadline := ctx.Deadline()
			parts := []string{d.Kind.String(), d.IdempotencyKey, d.Channel, d.Stack, d.Journey, d.Action,
				d.Customer.ID, sdk.String(d.Recipient["to"]), sdk.String(d.Config["url"]), sdk.String(d.Config["token"]),
				d.Message["text"], fmt.Sprint(hasDeadline && !d.Deadline.IsZero())}
			if a := d.Alert; a != nil {
				parts = append(parts, a.KPI, fmt.Sprint(a.Value), fmt.Sprint(a.Target), a.State)
			}
			if v, ok := d.Customer.Attributes["first_name"]; ok {
				parts = append(parts, sdk.String(v))
			}
			return strings.Join(parts, "|"), nil
		},
	}
}

// modes runs a test against the provider in-process and as a real plugin
// process.
func modes(t *testing.T, f func(t *testing.T, p *host.Provider)) {
	t.Run("in-process", func(t *testing.T) { f(t, sdktest.InProcess(t, echo())) })
	t.Run("process", func(t *testing.T) { f(t, sdktest.Process(t, echo())) })
}

func TestSchema(t *testing.T) {
	modes(t, func(t *testing.T, p *host.Provider) {
		s, err := p.Schema(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := echo().Schema
		if s.Provider != want.Provider || s.Version != want.Version || !s.Delivers || len(s.Channel) != 4 || len(s.Message) != 1 {
			t.Fatalf("schema = %+v", s)
		}
		to := s.ChannelAttribute("to")
		if to == nil || !to.PerDelivery || !to.Recipient || !to.Required || !to.Type.Equals(cty.String) {
			t.Errorf("to = %+v", to)
		}
		if tok := s.ChannelAttribute("token"); tok == nil || !tok.Sensitive {
			t.Errorf("token = %+v", tok)
		}
		if port := s.ChannelAttribute("port"); port == nil || !port.Type.Equals(cty.Number) {
			t.Errorf("port = %+v", port)
		}
	})
}

func TestValidate(t *testing.T) {
	modes(t, func(t *testing.T, p *host.Provider) {
		ctx := context.Background()
		tests := []struct {
			name string
			cfg  map[string]cty.Value
			want []string // "path: summary"
		}{
			{"valid", map[string]cty.Value{"url": cty.StringVal("x"), "to": cty.UnknownVal(cty.String)}, nil},
			{"port out of range", map[string]cty.Value{"url": cty.StringVal("x"), "port": cty.NumberIntVal(70000)}, []string{"port: Port out of range"}},
			{"port as string converts", map[string]cty.Value{"port": cty.StringVal("0")}, []string{"port: Port out of range"}},
			{"unknown port is left alone", map[string]cty.Value{"port": cty.UnknownVal(cty.Number)}, nil},
			{"sensitive mark is dropped", map[string]cty.Value{"token": cty.StringVal("s3cret").Mark("sensitive")}, nil},
		}
		for _, tt := range tests {
			diags, err := p.ValidateChannel(ctx, tt.cfg)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var got []string
			for _, d := range diags {
				got = append(got, strings.Join(d.Path, ".")+": "+d.Summary)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s: diagnostics %v, want %v", tt.name, got, tt.want)
			}
		}
		diags, err := p.ValidateMessage(ctx, map[string]cty.Value{"text": cty.StringVal("")})
		if err != nil || len(diags) != 1 || diags[0].Severity != provschema.Warning || diags[0].Path[0] != "text" {
			t.Errorf("ValidateMessage = %+v, %v", diags, err)
		}
		diags, err = p.ValidateMessage(ctx, map[string]cty.Value{"text": cty.UnknownVal(cty.String)})
		if err != nil || len(diags) != 0 {
			t.Errorf("ValidateMessage of a template = %+v, %v", diags, err)
		}
	})
}

func TestConfigureAndDeliver(t *testing.T) {
	modes(t, func(t *testing.T, p *host.Provider) {
		ctx := context.Background()
		d := &host.Delivery{Kind: host.KindAction, IdempotencyKey: "k1", Channel: "ops", Stack: "growth", Journey: "cart", Action: "remind",
			CustomerID: "c42", CustomerAttributes: map[string]cty.Value{"first_name": cty.StringVal("Ada")},
			Recipient: map[string]cty.Value{"to": cty.StringVal("ada@example.test").Mark("sensitive")},
			Message:   map[string]string{"text": "hello"}}

		if _, err := p.Deliver(ctx, d); err == nil || !host.Retryable(err) || !strings.Contains(err.Error(), `channel "ops" was not configured`) {
			t.Errorf("delivery before Configure: %v", err)
		}

		diags, err := p.Configure(ctx, "ops", map[string]cty.Value{"port": cty.StringVal("x"), "extra": cty.True})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range diags {
			got = append(got, strings.Join(d.Path, ".")+": "+d.Summary)
		}
		want := []string{"url: Missing required attribute", "port: Incorrect attribute value type", "extra: Unsupported attribute"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Configure diagnostics %v, want %v", got, want)
		}
		if diags, _ := p.Configure(ctx, "ops", map[string]cty.Value{"url": cty.StringVal("refuse")}); len(diags) != 1 || !strings.Contains(diags[0].Detail, "refused") {
			t.Errorf("Configure refused = %+v", diags)
		}
		if diags, err := p.Configure(ctx, "ops", map[string]cty.Value{"url": cty.StringVal("https://x"), "token": cty.StringVal("t0k")}); err != nil || len(diags) != 0 {
			t.Fatalf("Configure = %+v, %v", diags, err)
		}

		id, err := p.Deliver(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if want := "action|k1|ops|growth|cart|remind|c42|ada@example.test|https://x|t0k|hello|true|Ada"; id != want {
			t.Errorf("message id %q, want %q", id, want)
		}

		alert := &host.Delivery{Kind: host.KindAlert, IdempotencyKey: "k2", Channel: "ops", Stack: "growth", Journey: "cart",
			Alert: &host.Alert{KPI: "conversion", Value: 0.1, Target: 0.25, State: "below_target"}}
		if id, err := p.Deliver(ctx, alert); err != nil || id != "alert|k2|ops|growth|cart||||https://x|t0k||true|conversion|0.1|0.25|below_target" {
			t.Errorf("alert: %q, %v", id, err)
		}

		for text, retryable := range map[string]bool{"permanent": false, "retryable": true, "plain": true} {
			d.Message = map[string]string{"text": text}
			_, err := p.Deliver(ctx, d)
			var de *host.DeliveryError
			if !errors.As(err, &de) || de.Retryable != retryable || host.Retryable(err) != retryable {
				t.Errorf("%s: error %v (retryable %v)", text, err, host.Retryable(err))
			}
		}
		if err := p.Health(ctx); err != nil {
			t.Errorf("Health = %v", err)
		}
	})
}

func TestInvalidSchemaIsRefused(t *testing.T) {
	p := echo()
	p.Schema.Message = append(p.Schema.Message, provschema.Attribute{Name: "count", Type: cty.Number})
	_, _, err := sdk.ServeDebug(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "must be a string") {
		t.Errorf("ServeDebug of an invalid schema: %v", err)
	}
}
