package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// crashDoc makes double or lost processing visible: in journey flip every
// ping enters or completes in turn (the entering event does nothing else),
// so after k pings a customer has entered ceil(k/2) times and is active
// exactly when k is odd. Journey timer holds every customer in one stage
// with a 4s timeout, to show that timers pending at the crash still fire.
// Journey nudge holds them in stage waiting for good and sends action
// nudge to a webhook at hookURL 1s after they enter, to show that the
// outbox entries the engine commits with its cursor are neither lost nor
// made twice.
func crashDoc(hookURL string) *deploy.Document {
	return fixture.New("crash").Event("ping", nil, "n", "number").
		Journey(deploy.Journey{Name: "flip", Reentry: "after_leaving",
			Entry: deploy.Criterion{Event: "ping"}, Goal: &deploy.Goal{Criterion: deploy.Criterion{Event: "ping"}}, Stages: []string{"on"}}).
		Stage(deploy.Stage{Journey: "flip", Name: "on"}).
		Journey(deploy.Journey{Name: "timer", Entry: deploy.Criterion{Event: "ping"}, Stages: []string{"waiting"}}).
		Stage(deploy.Stage{Journey: "timer", Name: "waiting", Timeout: "4s"}).
		Channel(deploy.Channel{Name: "hook", Provider: "webhook", Delivers: true,
			Config: map[string]json.RawMessage{"url": json.RawMessage(strconv.Quote(hookURL)), "secret": json.RawMessage(`"s3cret"`)}},
			"config.secret").
		Journey(deploy.Journey{Name: "nudge", Entry: deploy.Criterion{Event: "ping"}, Stages: []string{"waiting"}}).
		Stage(deploy.Stage{Journey: "nudge", Name: "waiting"}).
		Action(deploy.Action{Journey: "nudge", Name: "nudge", Channel: "hook", Stages: []string{"waiting"},
			Trigger: &deploy.Trigger{After: "1s"}, Message: map[string]string{"text": "come back"}}).
		Done()
}

var replayedRe = regexp.MustCompile(`msg="caught up with the log" .*replayed=(\d+)`)

// TestCrashLosesNothing ingests at full speed, kills the runtime with
// SIGKILL mid-stream (the engine commits in groups, so it dies with work
// applied but not committed), restarts it and resends what was not
// acknowledged: every event is then processed exactly once in effect, the
// timers pending at the crash fire, each customer's delivery reaches the
// receiver under one idempotency key, and the analytics count every
// entry and timeout once.
func TestCrashLosesNothing(t *testing.T) {
	dir := t.TempDir()
	recv, url := startReceiver(t)
	p := serve(t, dir, "-insecure-dev")
	if _, err := p.client("").Deploy(ctx(t), "crash", 0, crashDoc(url)); err != nil {
		t.Fatal(err)
	}
	const senders, perSender, batchSize = 4, 50, 500
	type sender struct {
		pings   map[string]int // acknowledged pings per customer
		pending []byte         // the batch in flight when the runtime died
		pendN   map[string]int
		seq     int
	}
	ss := make([]*sender, senders)
	var wg sync.WaitGroup
	var total atomic.Int64
	stop := make(chan struct{})
	c := p.client("")
	for i := range ss {
		s := &sender{pings: map[string]int{}}
		ss[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var b strings.Builder
				n := map[string]int{}
				for k := 0; k < batchSize; k++ {
					cust := fmt.Sprintf("s%d-c%d", i, k%perSender)
					s.seq++
					n[cust]++
					fmt.Fprintf(&b, `{"id":"s%d-%d","type":"ping","customer_id":%q,"attributes":{"n":%d}}`+"\n", i, s.seq, cust, s.pings[cust]+n[cust])
				}
				res, err := c.SendEvents(ctx(t), []byte(b.String()))
				if err != nil || res.Accepted+res.Duplicates != batchSize {
					s.pending, s.pendN = []byte(b.String()), n
					return
				}
				for cust, k := range n {
					s.pings[cust] += k
				}
				total.Add(batchSize)
			}
		}()
	}
	// Kill mid-stream, once a good number of events were acknowledged.
	for start := time.Now(); total.Load() < 20000 && time.Since(start) < 20*time.Second; {
		time.Sleep(10 * time.Millisecond)
	}
	p.kill()
	close(stop)
	wg.Wait()
	acked := 0
	for _, s := range ss {
		for _, k := range s.pings {
			acked += k
		}
	}
	if acked < 10*batchSize {
		t.Fatalf("only %d events were acknowledged before the kill", acked)
	}
	t.Logf("%d events acknowledged before SIGKILL", acked)

	p = serve(t, dir, "-insecure-dev")
	c = p.client("")
	eventually(t, 30*time.Second, func() error {
		if ok, err := c.Ready(ctx(t)); !ok {
			return fmt.Errorf("not ready: %v", err)
		}
		return nil
	})
	// The engine redid from the log what it had applied but not
	// committed when it died.
	var replayed int
	eventually(t, 10*time.Second, func() error {
		m := replayedRe.FindStringSubmatch(p.out.String())
		if m == nil {
			return errors.New("the restarted runtime did not log that it caught up")
		}
		replayed, _ = strconv.Atoi(m[1])
		return nil
	})
	t.Logf("the restart replayed %d records", replayed)
	if replayed == 0 {
		t.Fatal("the restart replayed nothing: the kill did not land with work uncommitted")
	}
	// Resend what was in flight: ids already durable are duplicates.
	for _, s := range ss {
		if s.pending == nil {
			continue
		}
		res, err := c.SendEvents(ctx(t), s.pending)
		if err != nil || res.Accepted+res.Duplicates != batchSize {
			t.Fatalf("resending: %+v %v", res, err)
		}
		for cust, k := range s.pendN {
			s.pings[cust] += k
		}
	}
	check := func(cust string, k int, wantTimer string) error {
		cu, err := c.Customer(ctx(t), cust)
		if err != nil {
			return err
		}
		var flip, timer *apiv1.JourneyState
		for i := range cu.Journeys {
			switch cu.Journeys[i].Journey {
			case "flip":
				flip = &cu.Journeys[i]
			case "timer":
				timer = &cu.Journeys[i]
			}
		}
		wantState := "completed"
		if k%2 == 1 {
			wantState = "active"
		}
		if flip == nil || flip.Run != uint64((k+1)/2) || flip.State != wantState {
			return fmt.Errorf("%s after %d pings: flip %+v, want run %d %s", cust, k, flip, (k+1)/2, wantState)
		}
		if wantTimer != "" && (timer == nil || timer.State != wantTimer) {
			return fmt.Errorf("%s: timer journey %+v, want %s", cust, timer, wantTimer)
		}
		return nil
	}
	for _, s := range ss {
		for cust, k := range s.pings {
			eventually(t, 10*time.Second, func() error { return check(cust, k, "") })
		}
	}
	customers := 0
	for _, s := range ss {
		for cust, k := range s.pings {
			eventually(t, 15*time.Second, func() error { return check(cust, k, "timed_out") })
			customers++
		}
	}
	eventually(t, 30*time.Second, func() error {
		if d, _ := recv.counts(); d != customers {
			// Where the outbox has them, for the failure's message.
			var states []string
			for _, st := range []apiv1.DeliveryState{apiv1.DeliveryPending, apiv1.DeliveryDelivered, apiv1.DeliveryFailed, apiv1.DeliveryCancelled} {
				ds, _ := c.Deliveries(ctx(t), st, "", 1000)
				states = append(states, fmt.Sprintf("%s:%d", st, len(ds)))
				if len(ds) > 0 {
					states = append(states, js(ds[0]))
				}
			}
			return fmt.Errorf("%d distinct deliveries received, want one for each of %d customers; outbox %v", d, customers, states)
		}
		return nil
	})
	distinct, received := recv.counts()
	t.Logf("%d deliveries, %d received", distinct, received)
	if err := c.Sync(ctx(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		_, timer := report(t, p, "crash", "timer")
		if got, want := timer.Totals, (apiv1.Totals{Entries: int64(customers), TimedOut: int64(customers)}); !sameTotals(got, want) {
			return fmt.Errorf("journey timer: %+v, want %+v (an entry or a timeout counted twice or lost)", got, want)
		}
		return nil
	})
}
