package rtclient

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// Addr is the address of the runtime the commands talk to: WAYMARK_ADDR,
// else configured (the configuration's runtime { address }), else
// client.DefaultAddr.
func Addr(getenv func(string) string, configured string) string {
	if a := getenv("WAYMARK_ADDR"); a != "" {
		return a
	}
	if configured != "" {
		return configured
	}
	return client.DefaultAddr
}

// New returns the runtime at Addr(getenv, configured), called with
// WAYMARK_TOKEN as its bearer token.
func New(getenv func(string) string, configured string) *Runtime {
	return Wrap(client.New(Addr(getenv, configured), getenv("WAYMARK_TOKEN"), nil))
}

// Wrap adapts a client.
func Wrap(c *client.Client) *Runtime { return &Runtime{c: c} }

// Runtime is the runtime as the deployment commands use it; it implements
// planner.Runtime.
type Runtime struct {
	c *client.Client
}

var _ planner.Runtime = (*Runtime)(nil)

// Addr is the runtime's address.
func (r *Runtime) Addr() string { return r.c.Addr() }

// Stack returns the stack's active deployment, its sensitive values
// withheld and their digests beside; serial 0 and no Document when the
// stack was never deployed.
func (r *Runtime) Stack(ctx context.Context, stack string) (*planner.Deployment, error) {
	st, err := r.c.Stack(ctx, stack)
	if client.IsCode(err, apiv1.CodeNotFound) {
		return &planner.Deployment{}, nil
	}
	if err != nil {
		return nil, r.explain(err)
	}
	return deployment(st)
}

// Deployment returns one deployment of the stack, current or earlier, in
// the form Stack returns the active one.
func (r *Runtime) Deployment(ctx context.Context, stack string, serial int64) (*planner.Deployment, error) {
	st, err := r.c.Deployment(ctx, stack, serial)
	if client.IsCode(err, apiv1.CodeNotFound) {
		return nil, fmt.Errorf("stack %q has no deployment %d: waymark history lists its deployments", stack, serial)
	}
	if err != nil {
		return nil, r.explain(err)
	}
	return deployment(st)
}

func deployment(st *apiv1.Stack) (*planner.Deployment, error) {
	key, err := hex.DecodeString(st.DigestKey)
	if err != nil {
		return nil, fmt.Errorf("the runtime gave stack %q a digest key that is not hex", st.Stack)
	}
	doc, digests, err := deploy.DecodeWithheld(st.Document)
	if err != nil {
		return nil, fmt.Errorf("reading deployment %d of stack %q: %w", st.Serial, st.Stack, err)
	}
	if len(key) == 0 {
		key = nil
	}
	return &planner.Deployment{Serial: st.Serial, Document: doc, Digests: digests, DigestKey: key}, nil
}

// Impact asks how many customers in flight each removal or move touches.
func (r *Runtime) Impact(ctx context.Context, stack string, desired *deploy.Document) ([]planner.Impact, error) {
	got, err := r.c.Impact(ctx, stack, desired)
	if err != nil {
		return nil, r.explain(err)
	}
	out := make([]planner.Impact, len(got))
	for i, im := range got {
		out[i] = planner.Impact{Address: im.Address, Change: im.Change, To: im.To, Customers: int64(im.Customers)}
	}
	return out, nil
}

// Deploy activates doc if the stack is still at baseSerial; a
// *planner.StaleError when another deployment came first.
func (r *Runtime) Deploy(ctx context.Context, stack string, baseSerial int64, doc *deploy.Document) (int64, error) {
	d, err := r.c.Deploy(ctx, stack, baseSerial, doc)
	if err != nil {
		return 0, r.refusal(stack, baseSerial, err)
	}
	return d.Serial, nil
}

// Rollback has the runtime deploy the stored document of deployment to
// again, if the stack is still at baseSerial, and returns the new serial.
func (r *Runtime) Rollback(ctx context.Context, stack string, baseSerial, to int64) (int64, error) {
	d, err := r.c.Rollback(ctx, stack, baseSerial, to)
	if client.IsCode(err, apiv1.CodeNotFound) {
		return 0, fmt.Errorf("stack %q has no deployment %d: waymark history lists its deployments", stack, to)
	}
	if err != nil {
		return 0, r.refusal(stack, baseSerial, err)
	}
	return d.Serial, nil
}

// History returns the stack's deployments, newest first.
func (r *Runtime) History(ctx context.Context, stack string) ([]apiv1.Deployment, error) {
	h, err := r.c.History(ctx, stack)
	if err != nil {
		return nil, r.explain(err)
	}
	return h, nil
}

// refusal turns the runtime's refusal of a deployment into the planner's
// StaleError, or an error that lists every problem it found.
func (r *Runtime) refusal(stack string, base int64, err error) error {
	if cur, ok := client.CurrentSerial(err); ok {
		return &planner.StaleError{Stack: stack, BaseSerial: base, Serial: cur}
	}
	if ps := client.Problems(err); len(ps) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "the runtime refused the deployment of stack %q and changed nothing:", stack)
		for _, p := range ps {
			if p.Address != "" {
				fmt.Fprintf(&b, "\n  - %s: %s", p.Address, p.Message)
			} else {
				fmt.Fprintf(&b, "\n  - %s", p.Message)
			}
		}
		return errors.New(b.String())
	}
	return r.explain(err)
}

// explain adds what to do about a refused token; Explain, which the CLI
// applies to every command's error, covers a runtime that is not there.
func (r *Runtime) explain(err error) error {
	var e *client.Error
	if errors.As(err, &e) && e.Status == 401 && !strings.Contains(e.Message, "WAYMARK_TOKEN") {
		return fmt.Errorf("%w (set WAYMARK_TOKEN to a token of the runtime at %s)", err, r.Addr())
	}
	return err
}

// NotRunningError is a call to the runtime that found nothing listening at
// its address, or no such host.
type NotRunningError struct {
	// Addr is the runtime's address: scheme and host.
	Addr string
	Err  error
}

func (e *NotRunningError) Error() string {
	return fmt.Sprintf("%s\nIs the runtime running at %s? Start one with waymark runtime serve, or set WAYMARK_ADDR to where it runs.", e.Err, e.Addr)
}

func (e *NotRunningError) Unwrap() error { return e.Err }

// Explain returns err as a *NotRunningError when it holds a call to the
// runtime's API that could not connect, whichever command and client made
// it; else err. It is applied once, to the error a command ends with.
func Explain(err error) error {
	var nr *NotRunningError
	var ue *url.Error
	var op *net.OpError
	if err == nil || errors.As(err, &nr) || !errors.As(err, &ue) || !errors.As(ue.Err, &op) || op.Op != "dial" {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil || !isAPIPath(u.Path) {
		return err
	}
	return &NotRunningError{Addr: u.Scheme + "://" + u.Host, Err: err}
}

// NotRunning reports whether err is a call to the runtime's API that could
// not connect: a command that makes several calls stops at the first.
func NotRunning(err error) bool {
	var nr *NotRunningError
	return errors.As(Explain(err), &nr)
}

// isAPIPath reports whether path is one the runtime serves.
func isAPIPath(path string) bool {
	return strings.HasPrefix(path, "/v1/") || path == "/healthz" || path == "/readyz"
}
