package deliveriescmd

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestRender(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		render func(*cmdutil.Streams, []apiv1.Delivery)
		ds     []apiv1.Delivery
	}{
		{"failed.golden", RenderFailed, []apiv1.Delivery{
			{ID: "3f2a9c0d41b7e6a85c1d9e0f2b4a6c8e", Address: "growth/journey.cart_recovery.action.reminder_email", CustomerID: "c-42", Attempts: 8,
				LastError: "provider waymark/smtp: delivery failed (retryable): dial tcp 127.0.0.1:1025: connection refused", Updated: at},
			{ID: "9b1c", Address: "growth/journey.cart_recovery.action.reminder_email", CustomerID: "c-7", Attempts: 1,
				LastError: "provider waymark/smtp: delivery failed (permanent): the recipient (to) is not an email address", Updated: at.Add(time.Minute)},
		}},
		{"none.golden", RenderFailed, nil},
		{"pending.golden", RenderPending, []apiv1.Delivery{
			{ID: "3f2a9c0d41b7e6a85c1d9e0f2b4a6c8e", Address: "growth/journey.cart_recovery.action.reminder_email", CustomerID: "c-42"},
			{ID: "alert:growth/journey.cart_recovery.kpi.checkout_dropoff#1", Address: "growth/journey.cart_recovery.kpi.checkout_dropoff", Attempts: 2,
				NextAttempt: &at, LastError: "provider waymark/webhook: delivery failed (retryable): HTTP 503"},
			{ID: "7c0e", Address: "growth/journey.order_confirmation.action.receipt_email", CustomerID: "c-9", NextAttempt: &at, RateLimited: true},
		}},
		{"pending-none.golden", RenderPending, nil},
	} {
		s, out, _ := cmdutil.Test()
		tt.render(s, tt.ds)
		path := filepath.Join("testdata", tt.name)
		if *update {
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != string(want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, out, want)
		}
	}
}
