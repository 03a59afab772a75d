package api_test

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/experiment"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// experiments is the mailing stack with an A/B test of the reminder's
// subject (and a holdout that gets no email), and a web banner whose
// experiment tests a colour and a value.
func experiments(port int) *deploy.Document {
	return fixture.New("growth").Shared().Customer("first_name", "string", "", false).CartRecovery(nil).Web().
		Channel(deploy.Channel{Name: "email", Provider: "smtp", Delivers: true, Consent: "customer.email_opt_in",
			PerDelivery: map[string]string{"to": "customer.email"},
			Config: map[string]json.RawMessage{"host": json.RawMessage(`"127.0.0.1"`), "port": json.RawMessage(fmt.Sprint(port)),
				"from": json.RawMessage(`"Acme <shop@acme.test>"`), "starttls": json.RawMessage(`"off"`)}}).
		Action(deploy.Action{Journey: "cart_recovery", Name: "reminder", Channel: "email", Stages: []string{"browsing", "checkout"},
			Message: map[string]string{"subject": "${customer.first_name}, you left something behind", "body": "<p>Your cart is waiting.</p>"},
			Experiment: &deploy.Experiment{Name: "subject", Control: "plain", Metric: "conversion", State: "running", Variants: []deploy.Variant{
				{Name: "plain", Weight: 50},
				{Name: "urgent", Weight: 40, Message: map[string]string{"subject": "Last chance, ${customer.first_name}"}},
				{Name: "none", Weight: 10, Holdout: true},
			}}}).
		Action(deploy.Action{Journey: "cart_recovery", Name: "banner", Channel: "web", Stages: []string{"browsing", "checkout"},
			Experiment: &deploy.Experiment{Name: "colour", Control: "red", Metric: "conversion", State: "running", Variants: []deploy.Variant{
				{Name: "red", Weight: 1}, {Name: "blue", Weight: 1, Value: "2"},
			}}}).Done()
}

// TestExperimentEndToEnd runs two experiments through the runtime over
// real HTTP and a real SMTP server: every customer's variant is the one
// the keyed hash assigns; the email of each renders its variant's subject
// and the holdout gets none; decide names the banner's variant and uses
// its value; and the analytics' per-variant figures equal a recount of
// what the test sent and received.
func TestExperimentEndToEnd(t *testing.T) {
	mb := startMailbox(t)
	p := serve(t, t.TempDir(), "-insecure-dev")
	c := p.client("")
	if _, err := c.Deploy(ctx(t), "growth", 0, experiments(mb.port)); err != nil {
		t.Fatal(err)
	}
	const n = 60
	subjectSalt := "growth/journey.cart_recovery.action.reminder.experiment.subject"
	colourSalt := "growth/journey.cart_recovery.action.banner.experiment.colour"
	subjects := []string{"plain", "urgent", "none"}
	colours := []string{"red", "blue"}
	var events strings.Builder
	variant := map[string]string{}
	mails := 0
	for i := range n {
		id := fmt.Sprintf("c-%02d", i)
		fmt.Fprintf(&events, `{"id":"e%d","type":"cart_updated","customer_id":"%s","attributes":{"cart_value":80},"traits":{"email":"%s@example.test","email_opt_in":true,"first_name":"N%d"}}`+"\n", i, id, id, i)
		variant[id] = subjects[experiment.Assign(subjectSalt, id, []float64{50, 40, 10})]
		if variant[id] != "none" {
			mails++
		}
	}
	if res, err := c.SendEvents(ctx(t), []byte(events.String())); err != nil || res.Accepted != n {
		t.Fatalf("events %+v %v", res, err)
	}
	eventually(t, 30*time.Second, func() error {
		if got := len(mb.messages()); got != mails {
			return fmt.Errorf("%d messages, want %d", got, mails)
		}
		return nil
	})
	for _, m := range mb.messages() {
		to, err := mail.ParseAddress(m.Header.Get("To"))
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSuffix(to.Address, "@example.test")
		var i int
		fmt.Sscanf(id, "c-%d", &i)
		want := fmt.Sprintf("N%d, you left something behind", i)
		if variant[id] == "urgent" {
			want = fmt.Sprintf("Last chance, N%d", i)
		}
		if got := m.Header.Get("Subject"); got != want || variant[id] == "none" {
			t.Errorf("%s (variant %s) got subject %q, want %q", id, variant[id], got, want)
		}
	}
	delivered, err := c.Deliveries(ctx(t), "delivered", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range delivered {
		if d.Variant != variant[d.CustomerID] {
			t.Errorf("delivery %s of %s records variant %q, want %q", d.ID, d.CustomerID, d.Variant, variant[d.CustomerID])
		}
	}

	colour := map[string]string{}
	blueTop := 0.0
	for i := range n {
		id := fmt.Sprintf("c-%02d", i)
		colour[id] = colours[experiment.Assign(colourSalt, id, []float64{1, 1})]
		d, err := c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: id, Channel: "web", Explain: true})
		if err != nil || len(d.Actions) != 1 || len(d.Candidates) != 1 {
			t.Fatalf("decide %s: %+v %v", id, d, err)
		}
		if d.Candidates[0].Variant != colour[id] {
			t.Errorf("decide %s -explain: variant %q, want %q", id, d.Candidates[0].Variant, colour[id])
		}
		a := d.Actions[0]
		if a.Experiment != "colour" || a.Variant != colour[id] {
			t.Errorf("decide %s: experiment %q variant %q, want colour %q", id, a.Experiment, a.Variant, colour[id])
		}
		// The priority is a model draw in [0, 1] times the value: 1 for
		// red, the variant's 2 for blue.
		if colour[id] == "red" && a.Priority > 1 {
			t.Errorf("decide %s (red): priority %v above its value 1", id, a.Priority)
		}
		if colour[id] == "blue" {
			blueTop = max(blueTop, a.Priority)
		}
	}
	if blueTop <= 1 {
		t.Errorf("no blue decision ranked above 1 (the top is %v): the variant's value 2 is not used", blueTop)
	}
	// A third of them order: the goal, after both assignments.
	events.Reset()
	want := map[string]map[string]apiv1.Variant{"subject": {}, "colour": {}}
	count := func(exp, v string, delivered, converted bool) {
		x := want[exp][v]
		x.Name = v
		x.Assigned++
		if delivered {
			x.Delivered++
		}
		if converted {
			x.Converted++
		}
		want[exp][v] = x
	}
	for i := range n {
		id := fmt.Sprintf("c-%02d", i)
		buys := i%3 == 0
		if buys {
			fmt.Fprintf(&events, `{"id":"o%d","type":"order_placed","customer_id":"%s","attributes":{"amount":10}}`+"\n", i, id)
		}
		count("subject", variant[id], variant[id] != "none", buys)
		count("colour", colour[id], false, buys)
	}
	if len(want["subject"]) != 3 || len(want["colour"]) != 2 || want["subject"]["none"].Converted == 0 {
		t.Fatalf("the test's customers do not cover every variant: %+v", want)
	}
	if res, err := c.SendEvents(ctx(t), []byte(events.String())); err != nil || res.Accepted != n/3 {
		t.Fatalf("orders %+v %v", res, err)
	}
	var last map[string]map[string]apiv1.Variant
	eventually(t, 30*time.Second, func() error {
		r, err := c.Analytics(ctx(t), "growth", "cart_recovery", apiv1.AnalyticsQuery{})
		if err != nil {
			return err
		}
		last = map[string]map[string]apiv1.Variant{}
		for _, e := range r.Experiments {
			last[e.Name] = map[string]apiv1.Variant{}
			for _, v := range e.Variants {
				last[e.Name][v.Name] = apiv1.Variant{Name: v.Name, Assigned: v.Assigned, Delivered: v.Delivered, Converted: v.Converted}
			}
		}
		if !reflect.DeepEqual(last, want) {
			return fmt.Errorf("analytics %+v, want %+v", last, want)
		}
		return nil
	})
	// The figures beside the counts are the stats package's.
	r, _ := c.Analytics(ctx(t), "growth", "cart_recovery", apiv1.AnalyticsQuery{})
	for _, e := range r.Experiments {
		var control experiment.Arm
		for _, v := range e.Variants {
			if v.Control {
				control = experiment.Arm{Assigned: v.Assigned, Delivered: v.Delivered, Converted: v.Converted}
			}
		}
		for _, v := range e.Variants {
			arm := experiment.Arm{Assigned: v.Assigned, Delivered: v.Delivered, Converted: v.Converted}
			if rate := arm.Rate(); v.Conversion != (apiv1.Rate{Value: rate.Value, Low: rate.Low, High: rate.High}) {
				t.Errorf("%s/%s conversion %+v, want %+v", e.Name, v.Name, v.Conversion, rate)
			}
			if v.Control != (v.Name == e.Control) || v.Control != (v.Lift == nil) || v.Control != (v.Test == nil) {
				t.Errorf("%s/%s: control %v, lift %v, test %v", e.Name, v.Name, v.Control, v.Lift, v.Test)
				continue
			}
			if !v.Control {
				l := experiment.Compare(control, arm)
				if *v.Lift != (apiv1.Lift{Value: l.Value, Low: l.Low, High: l.High, Defined: l.Defined}) {
					t.Errorf("%s/%s lift %+v, want %+v", e.Name, v.Name, *v.Lift, l)
				}
				if d := experiment.Sequential(control, arm, 0.05); v.Test.State != string(d.State) || v.Test.PValue != d.PValue {
					t.Errorf("%s/%s test %+v, want %+v", e.Name, v.Name, *v.Test, d)
				}
			}
		}
	}
}
