package analytics_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

// A KPI that missed its target is met again only past it by the
// hysteresis; within the cooldown after an alert its state is not looked
// at, and a change that still holds when it has passed alerts then. A
// missed alert with an action names the runs in the KPI's stage.
func TestAlertsHysteresisCooldownAndAction(t *testing.T) {
	k := analytics.KPI{Name: "checkout_dropoff", Function: analytics.FuncDropoff, Stage: "checkout", Window: 2 * day,
		Target: &analytics.Target{Below: f(0.4), MinSamples: 2}, AlertChannel: "ops", AlertAction: "rescue",
		Hysteresis: 0.1, Cooldown: 6 * hour}
	a := analytics.New(analytics.Options{})
	a.Configure([]analytics.Journey{journey(0, k)})
	n := 0
	run := func(out string) {
		n++
		c := fmt.Sprintf("c%02d", n)
		base := at(9 * day)
		fd := newFeed().enter(c, base, "checkout")
		switch out {
		case "on":
			fd.move(c, base.Add(hour), "checkout", "payment")
		case "drop":
			fd.end(c, base.Add(hour), "checkout", analytics.ReasonExited)
		}
		a.Apply(fd.recs...)
	}
	check := func(step string, now int, want ...string) []analytics.Alert {
		t.Helper()
		got := a.Alerts(at(10*day + hourN(now)))
		var states []string
		for _, al := range got {
			states = append(states, fmt.Sprintf("%s %.3f", al.State, al.Value))
		}
		if !reflect.DeepEqual(states, want) {
			t.Errorf("%s: alerts %q, want %q", step, states, want)
		}
		return got
	}
	run("drop")
	run("on")
	run("stay") // c03 stays at checkout
	als := check("1 of 2 dropped: missed", 0, "missed 0.500")
	if len(als) == 1 {
		if cs := als[0].Customers; len(cs) != 1 || cs[0].Customer != "c03" || cs[0].Stage != "checkout" || als[0].Action != "rescue" {
			t.Errorf("the missed alert acts on %+v with %q, want c03 at checkout with rescue", cs, als[0].Action)
		}
	}
	run("on")
	check("1 of 3: met but not past the target by 0.1", 7)
	run("on")
	als = check("1 of 4: past it by more: met", 8, "met 0.250")
	if len(als) == 1 && als[0].Customers != nil {
		t.Errorf("a met alert acts on %+v", als[0].Customers)
	}
	run("drop")
	run("drop")
	check("3 of 6: missed, within the cooldown", 9)
	check("still within it", 13)
	check("the cooldown has passed", 14, "missed 0.500")
	check("nothing changed", 15)
}

func hourN(n int) time.Duration { return time.Duration(n) * hour }
