package planner_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/plannertest"
	"github.com/waymarkhq/waymark/planner/plans"
)

// A rollback plans towards a deployment read back from the runtime, whose
// sensitive values are withheld as well: with Options.DesiredDigests its
// digests compare with the deployed ones, so an unchanged secret is no
// change and a changed one is an update.
func TestPlanDesiredWithheld(t *testing.T) {
	withPassword := func(p string) *deploy.Document {
		return doc(t, journey+strings.Replace(secretChannel, "%s", p, 1))
	}
	// earlier is deployment 1 as the runtime returns it.
	earlier := deployment(t, withPassword("s3cret-one"))
	cases := []struct {
		name     string
		deployed string
		digests  deploy.Digests
		want     plans.Action
	}{
		{"same secret deployed", "s3cret-one", earlier.Digests, plans.NoOp},
		{"another secret deployed", "s3cret-two", earlier.Digests, plans.Update},
		{"without the desired digests a withheld value differs", "s3cret-one", nil, plans.Update},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := &plannertest.Runtime{}
			apply(t, rt, plan(t, rt, withPassword(tc.deployed), planner.Options{}))
			p := plan(t, rt, earlier.Document, planner.Options{DesiredDigests: tc.digests})
			c := p.Change("channel.email")
			if c == nil {
				t.Fatal("no change for channel.email")
			}
			if c.Action != tc.want {
				t.Errorf("channel.email: %v, want %v", c.Action, tc.want)
			}
			for _, c := range p.Changes {
				if c.Address != "channel.email" && c.Action != plans.NoOp {
					t.Errorf("%s: %v, want no-op", c.Address, c.Action)
				}
				b, _ := json.Marshal(c)
				if strings.Contains(string(b), "s3cret") {
					t.Errorf("%s: the change holds the sensitive value: %s", c.Address, b)
				}
			}
		})
	}
}
