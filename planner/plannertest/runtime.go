package plannertest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"sort"
	"strings"
	"sync"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner"
)

// Runtime is an in-memory planner.Runtime. Its zero value is a runtime with
// no stacks; it is safe for concurrent use.
type Runtime struct {
	mu     sync.Mutex
	stacks map[string]*deployed
	// customers in flight by stage address, for Impact.
	customers map[string]map[string]int64
	// NoDigestKey makes Stack give no digest key, as a runtime that does
	// not share one.
	NoDigestKey bool
	// Deploys counts the deployments made.
	Deploys int
}

type deployed struct {
	serial int64
	wire   []byte // as the API returns it: sensitive values withheld
}

var _ planner.Runtime = (*Runtime)(nil)

// DigestKey is the stack's digest key: a fixed function of its name.
func DigestKey(stack string) []byte {
	m := hmac.New(sha256.New, []byte("plannertest digest key"))
	m.Write([]byte(stack))
	return m.Sum(nil)
}

// SetCustomers sets how many customers are in a stage of a stack, by the
// stage's address.
func (r *Runtime) SetCustomers(stack, stage string, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.customers == nil {
		r.customers = map[string]map[string]int64{}
	}
	if r.customers[stack] == nil {
		r.customers[stack] = map[string]int64{}
	}
	r.customers[stack][stage] = n
}

// Stack returns the stack's deployment with sensitive values withheld,
// read from the same encoding as the runtime's API returns.
func (r *Runtime) Stack(ctx context.Context, stack string) (*planner.Deployment, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	d := r.stacks[stack]
	r.mu.Unlock()
	if d == nil {
		return &planner.Deployment{}, nil
	}
	key := DigestKey(stack)
	withheld, digests, err := deploy.DecodeWithheld(d.wire)
	if err != nil {
		return nil, err
	}
	dep := &planner.Deployment{Serial: d.serial, Document: withheld, Digests: digests, DigestKey: key}
	if r.NoDigestKey {
		dep.DigestKey = nil
	}
	return dep, nil
}

// Deploy activates doc if the stack is at baseSerial, keeping it as the
// API will return it. A Document without objects leaves the stack empty.
func (r *Runtime) Deploy(ctx context.Context, stack string, baseSerial int64, doc *deploy.Document) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	wire, err := deploy.EncodeWithheld(doc, DigestKey(stack))
	if err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stacks == nil {
		r.stacks = map[string]*deployed{}
	}
	cur := int64(0)
	if d := r.stacks[stack]; d != nil {
		cur = d.serial
	}
	if cur != baseSerial {
		return 0, &planner.StaleError{Stack: stack, BaseSerial: baseSerial, Serial: cur}
	}
	r.stacks[stack] = &deployed{serial: cur + 1, wire: wire}
	r.Deploys++
	return cur + 1, nil
}

// Impact counts, as the runtime does, the customers in each journey or
// stage that desired removes or moves; a stage of a journey that is itself
// removed or moved is counted with its journey.
func (r *Runtime) Impact(ctx context.Context, stack string, desired *deploy.Document) ([]planner.Impact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	counts := map[string]int64{}
	for a, n := range r.customers[stack] {
		counts[a] = n
	}
	r.mu.Unlock()
	moved := map[string]string{}
	for _, m := range desired.Moves {
		moved[m.From] = m.To
	}
	journeys := map[string]int64{}
	for a, n := range counts {
		if i := strings.Index(a, ".stage."); i > 0 {
			journeys[a[:i]] += n
		}
	}
	var out []planner.Impact
	add := func(addr string, n int64) {
		if to, ok := moved[addr]; ok {
			out = append(out, planner.Impact{Address: addr, Change: planner.ImpactMove, To: to, Customers: n})
		} else if desired.Object(addr) == nil {
			out = append(out, planner.Impact{Address: addr, Change: planner.ImpactRemove, Customers: n})
		}
	}
	for a, n := range journeys {
		add(a, n)
	}
	for a, n := range counts {
		i := strings.Index(a, ".stage.")
		if i < 0 {
			continue
		}
		j := a[:i]
		if _, jm := moved[j]; jm || desired.Object(j) == nil {
			continue
		}
		add(a, n)
	}
	for from, to := range moved {
		if journeys[from] == 0 && counts[from] == 0 {
			out = append(out, planner.Impact{Address: from, Change: planner.ImpactMove, To: to})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out, nil
}
