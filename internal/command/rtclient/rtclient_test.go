package rtclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/internal/command/rtclient/rttest"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/plannertest"
	"github.com/waymarkhq/waymark/planner/plans"
)

func TestAddr(t *testing.T) {
	cases := []struct {
		name, env, configured, want string
	}{
		{"WAYMARK_ADDR first", "http://rt.acme.test:7400", "http://configured:1", "http://rt.acme.test:7400"},
		{"then runtime { address }", "", "http://configured:1", "http://configured:1"},
		{"else the default", "", "", "http://127.0.0.1:7400"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			getenv := env(tc.env)
			if got := rtclient.Addr(getenv, tc.configured); got != tc.want {
				t.Errorf("Addr = %q, want %q", got, tc.want)
			}
			if got := rtclient.New(getenv, tc.configured).Addr(); got != tc.want {
				t.Errorf("New(...).Addr() = %q, want %q", got, tc.want)
			}
		})
	}
}

// config takes the password and the value.
const config = `
waymark {
  stack = "growth"
}
variable "password" {
  type      = string
  sensitive = true
  default   = %q
}
variable "value" {
  type    = number
  default = %s
}
customer {
  attribute "email" {
    type      = string
    sensitive = true
  }
}
event "cart_updated" {}
channel "web" {
  provider = inbound
}
channel "email" {
  provider = smtp
  host     = "smtp.acme.test"
  from     = "shop@acme.test"
  to       = customer.email
  password = var.password
}
journey "cart" {
  entry { event = event.cart_updated }
  stage "browsing" {}
  action "banner" {
    channel = channel.web
    stages  = [stage.browsing]
    value   = var.value
  }
}
`

// doc is the configuration with a password and a value, in deployable form.
func doc(t *testing.T, password, value string) *deploy.Document {
	t.Helper()
	src := fmt.Sprintf(config, password, value)
	return plannertest.Load(t, ".", map[string]string{"main.wm.hcl": src}).Document
}

func stale(t *testing.T, err error, base, serial int64) {
	t.Helper()
	var se *planner.StaleError
	if !errors.As(err, &se) || se.BaseSerial != base || se.Serial != serial {
		t.Fatalf("error %v, want a stale error from %d at %d", err, base, serial)
	}
}

// The adapter against a real runtime: a stack never deployed, deployments
// and the serial check, sensitive values withheld and compared by digest,
// history, and rollback to an earlier deployment.
func TestRuntime(t *testing.T) {
	ctx := context.Background()
	rt := rtclient.New(env(rttest.Start(t)), "")

	dep, err := rt.Stack(ctx, "growth")
	if err != nil || dep.Serial != 0 || dep.Document != nil {
		t.Fatalf("never deployed: %+v, %v", dep, err)
	}
	first := doc(t, "s3cret-one", "1")
	if serial, err := rt.Deploy(ctx, "growth", 0, first); err != nil || serial != 1 {
		t.Fatalf("first deploy: %d, %v", serial, err)
	}
	_, err = rt.Deploy(ctx, "growth", 0, first)
	stale(t, err, 0, 1)
	if want := "the plan is stale: the stack was changed by deployment 1 after this plan was made"; err.Error() != want {
		t.Errorf("stale error %q, want %q", err, want)
	}

	dep, err = rt.Stack(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	if dep.Serial != 1 || len(dep.DigestKey) != 32 {
		t.Fatalf("serial %d, digest key of %d bytes", dep.Serial, len(dep.DigestKey))
	}
	if _, ok := dep.Digests.Digest("channel.email", "config.password"); !ok {
		t.Fatalf("no digest for the withheld password: %v", dep.Digests)
	}
	if b, _ := dep.Document.Encode(); strings.Contains(string(b), "s3cret") {
		t.Fatal("the runtime returned the password")
	}
	// The same configuration plans no change: the password's digest, made
	// with the stack's key, matches the runtime's.
	p, err := planner.Plan(ctx, rt, doc(t, "s3cret-one", "1"), planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("the deployed configuration plans changes: %+v", p.Summary())
	}

	if serial, err := rt.Deploy(ctx, "growth", 1, doc(t, "s3cret-two", "2")); err != nil || serial != 2 {
		t.Fatalf("second deploy: %d, %v", serial, err)
	}

	// Rollback to deployment 1: planned against deployment 1 as the runtime
	// returns it, withheld password included.
	target, err := rt.Deployment(ctx, "growth", 1)
	if err != nil {
		t.Fatal(err)
	}
	if target.Serial != 1 {
		t.Fatalf("deployment 1 has serial %d", target.Serial)
	}
	p, err = planner.Plan(ctx, rt, target.Document, planner.Options{DesiredDigests: target.Digests})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		want := plans.NoOp
		if c.Address == "channel.email" || c.Address == "journey.cart.action.banner" {
			want = plans.Update
		}
		if c.Action != want {
			t.Errorf("rollback plan: %s %v, want %v", c.Address, c.Action, want)
		}
	}
	if p.BaseSerial != 2 {
		t.Fatalf("rollback plan base %d, want 2", p.BaseSerial)
	}
	serial, err := rt.Rollback(ctx, "growth", p.BaseSerial, 1)
	if err != nil || serial != 3 {
		t.Fatalf("rollback: %d, %v", serial, err)
	}
	_, err = rt.Rollback(ctx, "growth", 2, 1)
	stale(t, err, 2, 3)

	// Deployment 3 is deployment 1 again, its secret included: the first
	// configuration plans no change, and the history shows the same digest.
	p, err = planner.Plan(ctx, rt, doc(t, "s3cret-one", "1"), planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() || p.BaseSerial != 3 {
		t.Errorf("after the rollback: base %d, changes %+v", p.BaseSerial, p.Summary())
	}
	hist, err := rt.History(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0].Serial != 3 || hist[2].Serial != 1 {
		t.Fatalf("history %+v, want serials 3, 2, 1", hist)
	}
	if hist[0].Digest != hist[2].Digest || hist[0].Digest == hist[1].Digest {
		t.Errorf("digests %s %s %s: the rollback must deploy deployment 1's content", hist[0].Digest, hist[1].Digest, hist[2].Digest)
	}

	// Serials that do not exist.
	if _, err := rt.Deployment(ctx, "growth", 9); err == nil || !strings.Contains(err.Error(), `stack "growth" has no deployment 9`) {
		t.Errorf("Deployment(9): %v", err)
	}
	if _, err := rt.Rollback(ctx, "growth", 3, 9); err == nil || !strings.Contains(err.Error(), `stack "growth" has no deployment 9`) {
		t.Errorf("Rollback to 9: %v", err)
	}

	// A deployment the runtime refuses: its problems listed, nothing changed.
	wrong := doc(t, "x", "1")
	wrong.Stack = "other"
	_, err = rt.Deploy(ctx, "growth", 3, wrong)
	if err == nil || !strings.Contains(err.Error(), `the runtime refused the deployment of stack "growth" and changed nothing:`) ||
		!strings.Contains(err.Error(), `for stack "other"`) {
		t.Errorf("invalid deployment: %v", err)
	}
}

// env is an environment with WAYMARK_ADDR set to addr.
func env(addr string) func(string) string {
	return func(k string) string {
		if k == "WAYMARK_ADDR" {
			return addr
		}
		return ""
	}
}

// A runtime that is not there: the error, explained, says what to do.
func TestUnreachable(t *testing.T) {
	rt := rtclient.New(env("http://127.0.0.1:1"), "")
	_, err := rt.Stack(context.Background(), "growth")
	if err == nil || !strings.Contains(rtclient.Explain(err).Error(), "Is the runtime running at http://127.0.0.1:1? Start one with waymark runtime serve") {
		t.Errorf("error %v", err)
	}
}

// Explain names the runtime's address for a call to its API that found
// nothing there, and leaves every other error alone.
func TestExplain(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	read := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	call := func(u string, err error) error {
		return fmt.Errorf("calling the runtime: %w", &url.Error{Op: "Get", URL: u, Err: err})
	}
	cases := []struct {
		name string
		err  error
		addr string // "" when left alone
	}{
		{"refused", call("http://127.0.0.1:7400/v1/stacks/growth", dial), "http://127.0.0.1:7400"},
		{"no such host", call("https://rt.acme.test/v1/events", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "rt.acme.test"}}), "https://rt.acme.test"},
		{"readyz", call("http://[::1]:9/readyz", dial), "http://[::1]:9"},
		{"not a dial", call("http://127.0.0.1:7400/v1/events", read), ""},
		{"not the API", call("http://127.0.0.1:8099/hooks/growth", dial), ""},
		{"not a call", errors.New("no"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := rtclient.Explain(tc.err)
			var nr *rtclient.NotRunningError
			if tc.addr == "" {
				if got != tc.err || rtclient.NotRunning(tc.err) {
					t.Fatalf("Explain changed %v into %v", tc.err, got)
				}
				return
			}
			if !errors.As(got, &nr) || nr.Addr != tc.addr || !errors.Is(got, nr.Err) || !rtclient.NotRunning(tc.err) {
				t.Fatalf("Explain(%v) = %#v, want the address %s", tc.err, got, tc.addr)
			}
			if want := "Is the runtime running at " + tc.addr + "?"; !strings.Contains(got.Error(), want) {
				t.Errorf("%q does not say %q", got, want)
			}
			if again := rtclient.Explain(got); again != got {
				t.Errorf("explained twice: %v", again)
			}
		})
	}
	if rtclient.Explain(nil) != nil {
		t.Error("Explain(nil) is not nil")
	}
}
