package inbound_test

import (
	"context"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/providers/builtin/inbound"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/sdk/sdktest"
)

func TestMain(m *testing.M) { sdktest.Main(m, inbound.Provider()) }

func TestDeliversNothing(t *testing.T) {
	p := sdktest.Process(t, inbound.Provider())
	ctx := context.Background()
	s, err := p.Schema(ctx)
	if err != nil || s.Delivers || len(s.Channel) != 0 {
		t.Fatalf("schema %+v, %v", s, err)
	}
	if diags, err := p.Configure(ctx, "web", nil); err != nil || len(diags) != 0 {
		t.Fatalf("Configure: %v %v", diags, err)
	}
	_, err = p.Deliver(ctx, &host.Delivery{Kind: host.KindAction, IdempotencyKey: "k", Channel: "web", CustomerID: "c"})
	if err == nil || host.Retryable(err) || !strings.Contains(err.Error(), "answered through the decide API") {
		t.Errorf("Deliver: %v", err)
	}
}
