package planner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner/plans"
)

// Options are the inputs of Plan beside the desired Document.
type Options struct {
	// Variables are the configuration's input values, recorded in the plan.
	Variables map[string]plans.Variable
	// Destroy plans the removal of every object of the stack.
	Destroy bool
	// WaymarkVersion is the CLI's version; the desired Document's when
	// empty.
	WaymarkVersion string
	// Now gives the plan's time; time.Now when nil.
	Now func() time.Time
	// DesiredDigests are the digests of the values withheld from desired,
	// when desired was read back from the runtime (a rollback to an earlier
	// deployment) rather than loaded: they compare with the deployed ones,
	// made with the same stack key. Such a plan cannot be applied with
	// Apply, which would deploy the Document without its withheld values.
	DesiredDigests deploy.Digests
}

// Plan computes what would bring the stack that desired names from what the
// runtime has deployed to desired.
func Plan(ctx context.Context, rt Runtime, desired *deploy.Document, opts Options) (*plans.Plan, error) {
	if desired == nil {
		return nil, errors.New("planning: no configuration to plan")
	}
	stack := desired.Stack
	if opts.Destroy {
		desired = &deploy.Document{FormatVersion: deploy.FormatVersion, Stack: stack, WaymarkVersion: desired.WaymarkVersion}
		desired.Normalize()
	}
	dep, err := rt.Stack(ctx, stack)
	if err != nil {
		return nil, fmt.Errorf("reading the deployment of stack %q: %w", stack, err)
	}
	if dep == nil {
		dep = &Deployment{}
	}
	changes, err := diff(dep, desired, opts.DesiredDigests)
	if err != nil {
		return nil, fmt.Errorf("planning stack %q: %w", stack, err)
	}
	if needsImpact(changes) {
		impacts, err := rt.Impact(ctx, stack, desired)
		if err != nil {
			return nil, fmt.Errorf("asking the runtime how many customers the changes to stack %q touch: %w", stack, err)
		}
		attachImpacts(changes, impacts)
	}
	version := opts.WaymarkVersion
	if version == "" {
		version = desired.WaymarkVersion
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	return &plans.Plan{
		FormatVersion:   plans.FormatVersion,
		WaymarkVersion:  version,
		Stack:           stack,
		BaseSerial:      dep.Serial,
		Prior:           dep.Document,
		Desired:         desired,
		Changes:         changes,
		ProviderChanges: providerChanges(dep.Document, desired),
		Variables:       opts.Variables,
		Destroy:         opts.Destroy,
		CreatedAt:       now().UTC(),
	}, nil
}

// needsImpact reports whether a change removes or moves something that can
// hold customers.
func needsImpact(changes []plans.Change) bool {
	for i := range changes {
		c := &changes[i]
		if c.Kind != deploy.KindJourney && c.Kind != deploy.KindStage {
			continue
		}
		if c.Action == plans.Delete || c.Moved() {
			return true
		}
	}
	return false
}

// attachImpacts gives each removal and move the runtime counted its
// Impact.
func attachImpacts(changes []plans.Change, impacts []Impact) {
	at := make(map[string]*plans.Change, len(changes))
	for i := range changes {
		at[changes[i].Address] = &changes[i]
	}
	for _, im := range impacts {
		var c *plans.Change
		switch im.Change {
		case ImpactRemove:
			if c = at[im.Address]; c != nil && c.Action != plans.Delete {
				c = nil
			}
		case ImpactMove:
			if c = at[im.To]; c != nil && c.PreviousAddress != im.Address {
				c = nil
			}
		}
		if c != nil && (c.Kind == deploy.KindJourney || c.Kind == deploy.KindStage) {
			c.Impact = &plans.Impact{Customers: im.Customers}
		}
	}
}

// providerChanges lists the providers added, removed, or at another version
// or with other hashes.
func providerChanges(prior, desired *deploy.Document) []plans.ProviderChange {
	old := map[string]deploy.Provider{}
	if prior != nil {
		for _, p := range prior.Providers {
			old[p.Name] = p
		}
	}
	var out []plans.ProviderChange
	for _, p := range desired.Providers {
		o, ok := old[p.Name]
		delete(old, p.Name)
		switch {
		case !ok:
			out = append(out, plans.ProviderChange{Action: plans.Create, Name: p.Name, Source: p.Source, AfterVersion: p.Version})
		case o.Source != p.Source || o.Version != p.Version || !sameStrings(o.Hashes, p.Hashes):
			out = append(out, plans.ProviderChange{Action: plans.Update, Name: p.Name, Source: p.Source, BeforeVersion: o.Version, AfterVersion: p.Version})
		}
	}
	if prior != nil {
		for _, p := range prior.Providers {
			if _, gone := old[p.Name]; gone {
				out = append(out, plans.ProviderChange{Action: plans.Delete, Name: p.Name, Source: p.Source, BeforeVersion: p.Version})
			}
		}
	}
	return out
}

// Apply deploys the plan's desired Document if the stack is still at the
// deployment the plan was made against, and returns the stack's serial
// afterwards. A plan without changes deploys nothing. A stale plan gives a
// *StaleError, whether Apply finds the stack moved on before deploying or
// the runtime refuses the deployment because another apply won the race.
func Apply(ctx context.Context, rt Runtime, p *plans.Plan) (int64, error) {
	if p == nil || p.Desired == nil {
		return 0, errors.New("applying: the plan has no configuration to deploy")
	}
	dep, err := rt.Stack(ctx, p.Stack)
	if err != nil {
		return 0, fmt.Errorf("reading the deployment of stack %q: %w", p.Stack, err)
	}
	if dep == nil {
		dep = &Deployment{}
	}
	if dep.Serial != p.BaseSerial {
		return 0, &StaleError{Stack: p.Stack, BaseSerial: p.BaseSerial, Serial: dep.Serial}
	}
	if !p.HasChanges() {
		return p.BaseSerial, nil
	}
	serial, err := rt.Deploy(ctx, p.Stack, p.BaseSerial, p.Desired)
	if err != nil {
		var stale *StaleError
		if errors.As(err, &stale) {
			return 0, stale
		}
		return 0, fmt.Errorf("deploying stack %q: %w", p.Stack, err)
	}
	return serial, nil
}
