package plancmd

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/plans"
	"github.com/waymarkhq/waymark/providers/lockfile"
)

// Source says which configuration to load and with which inputs.
type Source struct {
	Dir  string
	Vars []lang.VarArg
	// Providers overrides the provider schemas (tests); nil runs the
	// built-in providers and those the lock file records.
	Providers provschema.Source
	// Settled is lang.Options.Settled.
	Settled func(stack, runtimeAddress string)
}

// Loaded is a configuration loaded for deployment.
type Loaded struct {
	Config *lang.Config
	// Document is the deployable form, each locked provider with the lock
	// file's hashes.
	Document *deploy.Document
	// Variables are the input values as a plan records them.
	Variables map[string]plans.Variable
}

// Load loads the configuration, printing its diagnostics (warnings too) on
// s.Err; with errors it ends the command with status 1.
func Load(ctx context.Context, s *cmdutil.Streams, src Source) (*Loaded, error) {
	cfg, diags := cfgload.Load(ctx, s, cfgload.Options{Dir: src.Dir, Vars: src.Vars, Providers: src.Providers, Settled: src.Settled})
	cmdutil.SortDiagnostics(diags)
	s.WriteDiagnostics(s.Err, diags, cfgload.Sources(cfg))
	if diags.HasErrors() || cfg == nil || cfg.Document == nil {
		return nil, cmdutil.Exit(cmdutil.ExitFailure)
	}
	vars, err := planner.Variables(cfg)
	if err != nil {
		return nil, err
	}
	dir := src.Dir
	if dir == "" {
		dir = "."
	}
	lock, ld := lockfile.Load(filepath.Join(dir, lockfile.FileName))
	if ld.HasErrors() {
		s.WriteDiagnostics(s.Err, ld, nil)
		return nil, cmdutil.Exit(cmdutil.ExitFailure)
	}
	return &Loaded{Config: cfg, Document: withLockedHashes(cfg.Document, lock), Variables: vars}, nil
}

// withLockedHashes gives each provider that the lock file records (those
// waymark init installed: not the built-in ones) the hashes it accepts, so
// that the deployment names exactly the packages it was planned with.
func withLockedHashes(d *deploy.Document, lock *lockfile.File) *deploy.Document {
	if lock == nil {
		return d
	}
	for i := range d.Providers {
		p := &d.Providers[i]
		if lp := lock.Providers[p.Source]; lp != nil && len(lp.Hashes) > 0 {
			p.Hashes = slices.Sorted(slices.Values(lp.Hashes))
		}
	}
	return d
}

// Runtime is the runtime for a loaded configuration: WAYMARK_ADDR, else
// its runtime { address }, else the default.
func Runtime(s *cmdutil.Streams, l *Loaded) *rtclient.Runtime {
	return rtclient.New(getenv(s), l.Config.RuntimeAddress)
}

func getenv(s *cmdutil.Streams) func(string) string {
	if s.Getenv != nil {
		return s.Getenv
	}
	return func(string) string { return "" }
}

// Request is what Make plans.
type Request struct {
	Source
	// Destroy plans the removal of every object of the stack.
	Destroy bool
	// Runtime overrides the runtime that Runtime gives.
	Runtime planner.Runtime
}

// Make loads the configuration and plans it against the runtime; it
// returns the plan and the runtime it was made against.
//
// The deployment is asked for as soon as the waymark block names the
// stack and the runtime, while the rest of the configuration loads.
func Make(ctx context.Context, s *cmdutil.Streams, req Request) (*plans.Plan, planner.Runtime, error) {
	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var early *earlyStack
	src := req.Source
	src.Settled = func(stack, address string) {
		rt := req.Runtime
		if rt == nil {
			rt = rtclient.New(getenv(s), address)
		}
		early = fetchStack(fetchCtx, rt, stack)
		early.address = address
	}
	l, err := Load(ctx, s, src)
	if err != nil {
		return nil, nil, err
	}
	rt := req.Runtime
	if rt == nil {
		rt = Runtime(s, l)
	}
	prt := rt
	if early != nil && early.stack == l.Document.Stack && early.address == l.Config.RuntimeAddress {
		prt = &earlyRuntime{Runtime: rt, early: early}
	}
	p, err := planner.Plan(ctx, prt, l.Document, planner.Options{Variables: l.Variables, Destroy: req.Destroy, WaymarkVersion: version.Version})
	if err != nil {
		return nil, nil, err
	}
	return p, rt, nil
}

// earlyStack is a stack's deployment asked for while the configuration
// loads, of the runtime that address (the runtime { address } setting)
// names.
type earlyStack struct {
	stack, address string
	done           chan struct{}
	dep            *planner.Deployment
	err            error
}

func fetchStack(ctx context.Context, rt planner.Runtime, stack string) *earlyStack {
	e := &earlyStack{stack: stack, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		e.dep, e.err = rt.Stack(ctx, stack)
	}()
	return e
}

// earlyRuntime answers the first Stack of the early stack with the early
// answer; everything else goes to Runtime.
type earlyRuntime struct {
	planner.Runtime
	early *earlyStack
}

func (r *earlyRuntime) Stack(ctx context.Context, stack string) (*planner.Deployment, error) {
	if e := r.early; e != nil && stack == e.stack {
		r.early = nil
		select {
		case <-e.done:
			return e.dep, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return r.Runtime.Stack(ctx, stack)
}
