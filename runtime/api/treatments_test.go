package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// inbox is a webhook receiver on loopback that keeps the bodies it got.
type inbox struct {
	url   string
	mu    sync.Mutex
	posts []webhookBody
}

type webhookBody struct {
	Action   string              `json:"action"`
	Channel  string              `json:"channel"`
	Customer struct{ ID string } `json:"customer"`
	Message  map[string]string   `json:"message"`
}

func startInbox(t *testing.T) *inbox {
	t.Helper()
	in := &inbox{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p webhookBody
		if err := json.Unmarshal(b, &p); err != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		in.mu.Lock()
		in.posts = append(in.posts, p)
		in.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	in.url = srv.URL + "/hook"
	return in
}

func (in *inbox) got() []webhookBody {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]webhookBody(nil), in.posts...)
}

// treatmentsDoc is stack shop: journey winback, entered on lapse, with
// action nudge, outbound, whose treatments email and sms are on two
// webhook channels with a message each, and action offer, inbound, whose
// treatments web and app are on two inbound channels.
func treatmentsDoc(email, sms string) *deploy.Document {
	hook := func(name, url string) deploy.Channel {
		return deploy.Channel{Name: name, Provider: "webhook", Delivers: true,
			Config: map[string]json.RawMessage{"url": json.RawMessage(strconv.Quote(url))}}
	}
	return fixture.New("shop").Event("lapse", nil).
		Journey(deploy.Journey{Name: "winback", Entry: deploy.Criterion{Event: "lapse"}, Stages: []string{"lapsed"}}).
		Stage(deploy.Stage{Journey: "winback", Name: "lapsed", Index: 0}).
		Channel(hook("email", email)).Channel(hook("sms", sms)).Web().
		Channel(deploy.Channel{Name: "app", Provider: "inbound"}).
		Action(deploy.Action{Journey: "winback", Name: "nudge", Stages: []string{"lapsed"}, Treatments: []deploy.Treatment{
			{Name: "email", Channel: "email", Message: map[string]string{"title": "We miss you", "text": "Come back, ${customer.id}"}},
			{Name: "sms", Channel: "sms", Message: map[string]string{"text": "Back soon, ${customer.id}?"}},
		}}).
		Action(deploy.Action{Journey: "winback", Name: "offer", Stages: []string{"lapsed"}, Treatments: []deploy.Treatment{
			{Name: "web", Channel: "web"}, {Name: "app", Channel: "app", Value: "2"},
		}}).Done()
}

// serveTreatments serves the runtime in the test's process over loopback
// HTTP, its providers the test binary re-executed, ranking by the models'
// means (no exploration) so that what the models learnt decides.
func serveTreatments(t *testing.T, doc *deploy.Document) *client.Client {
	t.Helper()
	svc, err := service.New(context.Background(), service.Config{Store: memstore.New(memstore.Options{}),
		SecretKey: make([]byte, service.KeySize), NoExplore: true,
		Providers: &discovery.Env{Self: bin, Version: version.Version, Dir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(rctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	})
	srv := httptest.NewServer(api.New(svc, api.Options{Insecure: true}))
	t.Cleanup(srv.Close)
	if _, err := svc.Deploy(ctxShort(t), doc.Stack, 0, doc, "test"); err != nil {
		t.Fatal(err)
	}
	return client.New(srv.URL, "", nil)
}

// TestTreatments: an action's treatments on two channels are ranked
// together, each by its own model; the decision names the treatment, the
// delivery goes through the chosen treatment's channel with its message,
// responses train that treatment's model only, and once one treatment's
// model has learnt from its responses it wins.
func TestTreatments(t *testing.T) {
	email, sms := startInbox(t), startInbox(t)
	c := serveTreatments(t, treatmentsDoc(email.url, sms.url))
	const nudge = "shop/journey.winback.action.nudge"

	// lapse makes nudge due for a customer; it returns the delivery of
	// the decision that chose a treatment.
	lapse := func(id string) apiv1.Delivery {
		t.Helper()
		if _, err := c.SendEvents(ctx(t), fmt.Appendf(nil, `{"id":"lapse-%s","type":"lapse","customer_id":%q}`, id, id)); err != nil {
			t.Fatal(err)
		}
		var got apiv1.Delivery
		eventually(t, 10*time.Second, func() error {
			ds, err := c.Deliveries(ctx(t), apiv1.DeliveryDelivered, "", 100)
			if err != nil {
				return err
			}
			for _, d := range ds {
				if d.CustomerID == id {
					got = d
					return nil
				}
			}
			return fmt.Errorf("no delivery for %s yet: %+v", id, ds)
		})
		return got
	}
	model := func(key string, evidence, positives int) {
		t.Helper()
		eventually(t, 5*time.Second, func() error {
			m, err := c.Model(ctx(t), key)
			if err != nil {
				return err
			}
			if m.Evidence != evidence || m.Positives != positives {
				return fmt.Errorf("model %s: evidence %d, positives %d; want %d, %d", key, m.Evidence, m.Positives, evidence, positives)
			}
			return nil
		})
	}

	// At their priors the two tie, and the first treatment by name goes.
	d1 := lapse("c-1")
	if d1.Treatment != "email" || d1.Channel != "email" || d1.Address != nudge {
		t.Fatalf("first delivery %+v", d1)
	}
	if got := email.got(); len(got) != 1 || got[0].Message["title"] != "We miss you" || got[0].Message["text"] != "Come back, c-1" || got[0].Channel != "email" {
		t.Fatalf("email inbox %+v", got)
	}
	// The response names no treatment: the decision does.
	r, err := c.Respond(ctx(t), d1.DecisionID, "nudge", "rejected")
	if err != nil || r.Treatment != "email" {
		t.Fatalf("respond: %+v %v", r, err)
	}
	model(nudge+"#email", 1, 0)
	model(nudge+"#sms", 0, 0)

	// Its model now lower, email ranks below sms, which goes by its own
	// channel with its own message.
	d2 := lapse("c-2")
	if d2.Treatment != "sms" || d2.Channel != "sms" {
		t.Fatalf("second delivery %+v", d2)
	}
	if got := sms.got(); len(got) != 1 || got[0].Message["text"] != "Back soon, c-2?" || got[0].Message["title"] != "" {
		t.Fatalf("sms inbox %+v", got)
	}
	// A response naming another treatment than the decision chose is
	// refused; naming the chosen one is taken.
	status, _, m := raw(t, "POST", c.Addr()+apiv1.RouteResponses, "",
		fmt.Sprintf(`{"decision_id":%q,"action":"nudge","treatment":"email","outcome":"converted"}`, d2.DecisionID))
	if status != 422 || errCode(m) != "unknown_action" {
		t.Fatalf("a response naming the wrong treatment: %d %v", status, m)
	}
	for _, id := range []string{"c-2", "c-3", "c-4"} {
		d := d2
		if id != "c-2" {
			d = lapse(id)
		}
		// sms, trained with positive responses, keeps winning.
		if d.Treatment != "sms" {
			t.Fatalf("delivery of %s: %+v", id, d)
		}
		status, _, m := raw(t, "POST", c.Addr()+apiv1.RouteResponses, "",
			fmt.Sprintf(`{"decision_id":%q,"action":%q,"treatment":"sms","outcome":"converted"}`, d.DecisionID, nudge))
		if status != 200 || m["treatment"] != "sms" {
			t.Fatalf("respond for %s: %d %v", id, status, m)
		}
	}
	model(nudge+"#sms", 3, 3)
	model(nudge+"#email", 1, 0)

	// The recorded decision names both treatments, ranked by their own
	// models' estimates (a record keeps the chosen one's).
	rec, err := c.Decision(ctx(t), lapse("c-5").DecisionID)
	if err != nil || !rec.Trigger || len(rec.Candidates) != 2 {
		t.Fatalf("decision %+v %v", rec, err)
	}
	win, lose := rec.Candidates[0], rec.Candidates[1]
	if !win.Kept || win.Treatment != "sms" || lose.Kept || lose.Treatment != "email" || lose.Reason != "ranked_out" ||
		win.Propensity == nil || *win.Propensity <= 0.5 {
		t.Fatalf("candidates %+v %+v", win, lose)
	}
	ms, err := c.Models(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Key == nudge+"#email" && m.Mean >= 0.5 || m.Key == nudge+"#sms" && m.Mean <= 0.5 {
			t.Errorf("model %s: mean %v", m.Key, m.Mean)
		}
	}
	if n := len(email.got()); n != 1 {
		t.Fatalf("email got %d deliveries, want 1", n)
	}

	// Inbound: decide on each channel offers that channel's treatment of
	// offer, and names it.
	for _, ch := range []string{"web", "app"} {
		d, err := c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: "c-1", Channel: ch, Explain: true})
		if err != nil || len(d.Actions) != 1 || d.Actions[0].Action != "offer" || d.Actions[0].Treatment != ch || len(d.Candidates) != 1 {
			t.Fatalf("decide on %s: %+v %v", ch, d, err)
		}
		if ch == "app" && d.Actions[0].Priority != 1 { // its own value, 2, at the prior 0.5
			t.Fatalf("decide on app: priority %v", d.Actions[0].Priority)
		}
		if _, err := c.Respond(ctx(t), d.DecisionID, "offer", "clicked"); err != nil {
			t.Fatal(err)
		}
	}
	model("shop/journey.winback.action.offer#web", 1, 1)
	model("shop/journey.winback.action.offer#app", 1, 1)

	// Analytics count an action per treatment: nudge
	// went once by email (rejected) and four times by sms (three
	// converted).
	eventually(t, 10*time.Second, func() error {
		r, err := c.Analytics(ctx(t), "shop", "winback", apiv1.AnalyticsQuery{})
		if err != nil {
			return err
		}
		got := map[string]apiv1.ActionReport{}
		for _, a := range r.Actions {
			got[a.Action+"#"+a.Treatment+"/"+a.Channel] = a
		}
		e, s := got["nudge#email/email"], got["nudge#sms/sms"]
		if e.Decided != 1 || e.Delivered != 1 || e.Responded != 1 || s.Decided != 4 || s.Delivered != 4 || s.Converted != 3 {
			return fmt.Errorf("action figures %+v", r.Actions)
		}
		return nil
	})
}
