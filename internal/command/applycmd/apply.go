package applycmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/planfile"
	"github.com/waymarkhq/waymark/planner/plans"
)

// Options are apply's and destroy's inputs.
type Options struct {
	Dir string
	// PlanFile is a saved plan to apply exactly; empty plans first.
	PlanFile    string
	AutoApprove bool
	JSON        bool
	// Destroy removes every object of the stack (waymark destroy).
	Destroy   bool
	Vars      cfgload.Vars
	Providers provschema.Source // nil: the real provider processes
	Runtime   planner.Runtime   // nil: the configured runtime
	// Interactive says a person can answer on standard input.
	Interactive bool
}

// New returns the apply command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Deploy the configuration to the runtime",
		Long: `Apply deploys the configuration of the current directory to the runtime.

Without a plan file it makes a plan as waymark plan does, prints it and asks
for "yes" before deploying; -auto-approve skips the question. With a plan
file saved by waymark plan -out, it deploys exactly that plan, without
asking, provided the stack has not changed since the plan was made: else it
refuses the plan as stale and changes nothing.

The runtime activates a deployment atomically, and only if the stack is
still at the deployment the plan was made against: of two applies at once,
one wins and the other fails as stale.`,
		Example: `  waymark apply
  waymark apply -auto-approve -var discount_pct=15
  waymark plan -out=plan.wm && waymark apply plan.wm`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.PlanFile = args[0]
			}
			opts.Interactive = Interactive(s.In)
			return Run(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.AutoApprove, "auto-approve", false, "Deploy without asking for yes.")
	f.BoolVar(&opts.JSON, "json", false, "Print the result as one JSON document (with -auto-approve or a plan file).")
	opts.Vars.AddFlags(f)
	return cmd
}

// NewDestroy returns the destroy command.
func NewDestroy(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{Destroy: true}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Remove the stack from the runtime",
		Long: `Destroy plans the removal of every object of the configuration's stack, prints
the plan (with the customers in flight that leave their journeys) and, once
you answer yes, deploys the empty stack. The stack's history is kept: waymark
rollback can bring a deployment back.`,
		Example: `  waymark destroy
  waymark destroy -auto-approve -var-file staging.wmvars`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Interactive = Interactive(s.In)
			return Run(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.AutoApprove, "auto-approve", false, "Destroy without asking for yes.")
	opts.Vars.AddFlags(f)
	return cmd
}

// Run applies a saved plan, or plans, asks and applies.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.PlanFile != "" {
		return runSaved(ctx, s, opts)
	}
	defer cmdutil.BatchGC()()
	p, rt, err := plancmd.Make(ctx, s, plancmd.Request{
		Source:  plancmd.Source{Dir: opts.Dir, Vars: opts.Vars.Args, Providers: opts.Providers},
		Destroy: opts.Destroy,
		Runtime: opts.Runtime,
	})
	if err != nil {
		return err
	}
	ask := p.HasChanges() && !opts.AutoApprove
	if ask && opts.JSON {
		return errors.New("-json cannot ask for approval: add -auto-approve, or apply a saved plan")
	}
	if ask {
		// Refused before the plan is printed: no plan shown for nothing.
		if err := CanAsk(opts.Interactive, question(p)); err != nil {
			return err
		}
	}
	if !opts.JSON {
		if err := plancmd.Render(s, p, false); err != nil {
			return err
		}
	}
	if ask {
		if err := Approve(s, opts.Interactive, question(p)); err != nil {
			return err
		}
	}
	return deploy(ctx, s, rt, p, opts)
}

func question(p *plans.Plan) Question {
	if p.Destroy {
		return Question{
			Ask:       "Do you really want to destroy all resources?",
			Detail:    fmt.Sprintf("Waymark will remove every object of stack %q, as shown above.\n  There is no undo but waymark rollback.", p.Stack),
			Cancelled: "Destroy cancelled.",
			Command:   "waymark destroy",
			Flag:      "-auto-approve",
		}
	}
	return Question{
		Ask:       "Do you want to perform these actions?",
		Detail:    fmt.Sprintf("Waymark will perform the actions described above on stack %q.", p.Stack),
		Cancelled: "Apply cancelled.",
		Command:   "waymark apply",
		Flag:      "-auto-approve",
	}
}

// runSaved applies a plan file exactly.
func runSaved(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if len(opts.Vars.Args) > 0 {
		return errors.New("a saved plan holds the variables it was made with: -var and -var-file cannot change them; make a new plan instead")
	}
	p, err := planfile.Read(opts.PlanFile)
	if err != nil {
		return err
	}
	rt := opts.Runtime
	if rt == nil {
		if rt, err = savedPlanRuntime(ctx, s, opts); err != nil {
			return err
		}
	}
	return deploy(ctx, s, rt, p, opts)
}

// savedPlanRuntime is the runtime to apply a saved plan to: WAYMARK_ADDR,
// else the runtime { address } of the configuration in the directory.
func savedPlanRuntime(ctx context.Context, s *cmdutil.Streams, opts *Options) (planner.Runtime, error) {
	if s.Getenv != nil && s.Getenv("WAYMARK_ADDR") != "" {
		return rtclient.New(s.Getenv, ""), nil
	}
	l, err := plancmd.Load(ctx, s, plancmd.Source{Dir: opts.Dir, Providers: opts.Providers})
	if err != nil {
		return nil, fmt.Errorf("the runtime's address comes from the configuration's runtime { address } when WAYMARK_ADDR is not set: %w", err)
	}
	return plancmd.Runtime(s, l), nil
}

// deploy applies p and reports the outcome.
func deploy(ctx context.Context, s *cmdutil.Streams, rt planner.Runtime, p *plans.Plan, opts *Options) error {
	serial, err := planner.Apply(ctx, rt, p)
	var stale *planner.StaleError
	if errors.As(err, &stale) {
		return fmt.Errorf("%w; run waymark plan again", stale)
	}
	if err != nil {
		return err
	}
	sum := p.Summary()
	if opts.JSON {
		return cmdutil.WriteJSON(s.Out, map[string]any{
			"format_version": "1.0",
			"stack":          p.Stack,
			"base_serial":    p.BaseSerial,
			"serial":         serial,
			"applied":        p.HasChanges(),
			"add":            sum.Add,
			"change":         sum.Change,
			"destroy":        sum.Destroy,
		})
	}
	verb := "Apply"
	if p.Destroy {
		verb = "Destroy"
	}
	Complete(s, verb, sum, p.Stack, serial, p.HasChanges())
	return nil
}

// Complete prints the outcome of a deployment: Terraform's summary line,
// then the stack's serial.
func Complete(s *cmdutil.Streams, verb string, sum plans.Summary, stack string, serial int64, deployed bool) {
	ok := s.Colorize(color.FgGreen, color.Bold)
	if verb == "Destroy" {
		fmt.Fprintf(s.Out, "\n%s Resources: %d destroyed.\n", ok("Destroy complete!"), sum.Destroy)
	} else {
		fmt.Fprintf(s.Out, "\n%s Resources: %d added, %d changed, %d destroyed.\n", ok(verb+" complete!"), sum.Add, sum.Change, sum.Destroy)
	}
	switch {
	case !deployed && serial == 0:
		fmt.Fprintf(s.Out, "Nothing was deployed: stack %q has no deployment.\n", stack)
	case !deployed:
		fmt.Fprintf(s.Out, "Nothing was deployed: stack %q stays at deployment %d.\n", stack, serial)
	default:
		fmt.Fprintf(s.Out, "Stack %q is now at deployment %d.\n", stack, serial)
	}
}
