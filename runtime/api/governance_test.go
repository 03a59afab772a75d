package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// TestTransactionalAndSendRate runs the runtime as a process with a real
// SMTP server: in quiet hours, and for a customer without marketing
// consent, a transactional receipt goes out while the marketing reminder
// due with it waits (or is not sent); and the receipts of four customers,
// due at once, go out at the channel's send rate of two a second, queued,
// none lost.
func TestTransactionalAndSendRate(t *testing.T) {
	mb := startMailbox(t)
	now := time.Now().UTC()
	// Quiet hours around now, whatever the time of day the test runs at.
	quiet := &deploy.QuietHours{Start: now.Add(-time.Hour).Format("15:04"), End: now.Add(2 * time.Hour).Format("15:04"), Timezone: "UTC", OnQuiet: "defer"}
	doc := fixture.New("growth").Shared().Customer("first_name", "string", "", false).CartRecovery(nil).
		Channel(deploy.Channel{Name: "email", Provider: "smtp", Delivers: true, Consent: "customer.email_opt_in",
			PerDelivery: map[string]string{"to": "customer.email"},
			Config: map[string]json.RawMessage{"host": json.RawMessage(`"127.0.0.1"`), "port": json.RawMessage(fmt.Sprint(mb.port)),
				"from": json.RawMessage(`"Acme <shop@acme.test>"`), "starttls": json.RawMessage(`"off"`)},
			Limit: &deploy.Limit{Max: 1, Per: "7d"}, QuietHours: quiet, Rate: &deploy.Rate{Max: 2, Per: "1s"}}).
		Action(deploy.Action{Journey: "cart_recovery", Name: "reminder", Channel: "email", Stages: []string{"browsing"},
			Message: map[string]string{"subject": "Your cart is waiting", "body": "<p>Come back.</p>"}}).
		Action(deploy.Action{Journey: "cart_recovery", Name: "receipt", Channel: "email", Stages: []string{"browsing"}, Transactional: true,
			Message: map[string]string{"subject": "Receipt for ${customer.first_name}", "body": "<p>Thank you.</p>"}}).Done()
	// With a public URL, marketing emails carry one-click unsubscribe
	// links (TestOneClickUnsubscribe); receipts must not.
	p := serve(t, t.TempDir(), "-insecure-dev", "-public-url", "http://127.0.0.1:9")
	c := p.client("")
	if _, err := c.Deploy(ctx(t), "growth", 0, doc); err != nil {
		t.Fatal(err)
	}
	var batch []string
	for i, opt := range []bool{true, false, true, true} {
		batch = append(batch, fmt.Sprintf(`{"id":"e%d","type":"cart_updated","customer_id":"c-%d","attributes":{"cart_value":80},"traits":{"email":"u%d@example.test","email_opt_in":%v,"first_name":"U%d"}}`, i, i, i, opt, i))
	}
	if res, err := c.SendEvents(ctx(t), []byte(strings.Join(batch, "\n"))); err != nil || res.Accepted != 4 {
		t.Fatalf("events %+v %v", res, err)
	}
	eventually(t, 20*time.Second, func() error {
		if n := len(mb.messages()); n != 4 {
			return fmt.Errorf("%d messages", n)
		}
		return nil
	})
	msgs := mb.messages()
	var at []time.Time
	for _, m := range msgs {
		if s := m.Header.Get("Subject"); !strings.HasPrefix(s, "Receipt for U") {
			t.Errorf("sent %q: only receipts go out in quiet hours", s)
		}
		if h := m.Header.Get("List-Unsubscribe-Post"); h != "" {
			t.Errorf("a receipt offers one-click unsubscribe (%q): an unsubscribe does not stop receipts", h)
		}
		d, err := m.Header.Date()
		if err != nil {
			t.Fatal(err)
		}
		at = append(at, d)
	}
	// The Date headers have a resolution of a second: four sends two a
	// second apart span at least a second.
	if span := at[len(at)-1].Sub(at[0]); span < time.Second {
		t.Errorf("four receipts at 2/s were sent within %v", span)
	}
	// The reminders wait for the end of quiet hours (c-1 gave no consent:
	// none for it).
	for i := range 4 {
		cu, err := c.Customer(ctx(t), fmt.Sprintf("c-%d", i))
		if err != nil || len(cu.Decisions) == 0 {
			t.Fatalf("c-%d: %+v %v", i, cu, err)
		}
		d := cu.Decisions[0]
		want := "quiet_hours"
		if i == 1 {
			want = "no_consent"
		}
		if len(d.Actions) != 1 || d.Dropped[want] != 1 {
			t.Errorf("c-%d's decision: actions %+v, dropped %v; want the receipt, the reminder %s", i, d.Actions, d.Dropped, want)
		}
	}
	resp, err := http.Get(p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `waymark_delivery_attempts_total{channel="email",result="rate_limited"} 3`) {
		t.Errorf("the metrics do not count three receipts queued for the send rate:\n%s", grepLines(string(body), "waymark_delivery_attempts_total"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
