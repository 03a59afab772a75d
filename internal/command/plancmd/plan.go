package plancmd

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/planfile"
	"github.com/waymarkhq/waymark/planner/plans"
	"github.com/waymarkhq/waymark/planner/views"
)

// Options are plan's inputs.
type Options struct {
	Dir              string
	Out              string
	JSON             bool
	DetailedExitCode bool
	Destroy          bool
	Vars             cfgload.Vars
	Providers        provschema.Source // nil: the real provider processes
	Runtime          planner.Runtime   // nil: the configured runtime
	// Simulate is a file of recorded events (JSON Lines; "-" standard
	// input) to replay against the deployed and the proposed
	// configuration; SimulateTail how far past the latest event the
	// clock runs on.
	Simulate     string
	SimulateTail time.Duration
}

// New returns the plan command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "plan [DIR]",
		Short: "Show what apply would change in the runtime",
		Long: `Plan loads the configuration (the current directory by default), reads what the
runtime has deployed for its stack, compares the two and prints what apply
would do: objects to create, update in place, replace or destroy, moves, and
how many customers in flight each removal or move touches. Sensitive values
print as (sensitive value). Nothing is changed.

The runtime is WAYMARK_ADDR, else the runtime { address } of the waymark
block, else http://127.0.0.1:7400; its token is WAYMARK_TOKEN.

Exit status 0 means success; 1 an error; with -detailed-exitcode, 0 means no
changes and 2 means the plan has changes.`,
		Example: `  waymark plan
  waymark plan -out=plan.wm && waymark apply plan.wm
  waymark plan -json | conftest test -
  waymark plan -detailed-exitcode -var discount_pct=15
  waymark plan -destroy`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Out, "out", "", "Save the plan to this file (mode 0600: it may hold sensitive values), for waymark apply FILE.")
	f.BoolVar(&opts.JSON, "json", false, "Print the plan as Terraform's JSON plan representation (format_version 1.2), for policy checks.")
	f.BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "Exit 0 when there are no changes, 2 when there are, 1 on error.")
	f.BoolVar(&opts.Destroy, "destroy", false, "Plan the removal of every object of the stack.")
	f.StringVar(&opts.Simulate, "simulate", "", "Replay these recorded events (JSON Lines, as events export writes; - for standard input) against the deployed and the proposed configuration, and print what the change does to them.")
	f.DurationVar(&opts.SimulateTail, "simulate-tail", DefaultSimulateTail, "With -simulate: how far past the latest event the clock runs on, for the timers the events set to fall due.")
	opts.Vars.AddFlags(f)
	return cmd
}

// Run plans and prints the plan.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	defer cmdutil.BatchGC()()
	p, _, err := Make(ctx, s, Request{
		Source:  Source{Dir: opts.Dir, Vars: opts.Vars.Args, Providers: opts.Providers},
		Destroy: opts.Destroy,
		Runtime: opts.Runtime,
	})
	if err != nil {
		return err
	}
	if opts.Simulate != "" {
		rep, err := Simulate(ctx, s, p, opts.Simulate, opts.SimulateTail)
		if err != nil {
			return err
		}
		if err := renderSimulated(s, p, rep, opts.JSON); err != nil {
			return err
		}
	} else if err := Render(s, p, opts.JSON); err != nil {
		return err
	}
	if opts.Out != "" {
		if err := planfile.Write(opts.Out, p); err != nil {
			return err
		}
		if !opts.JSON {
			fmt.Fprintf(s.Out, "\n%s\n\nSaved the plan to: %s\n\nTo perform exactly these actions, run:\n    waymark apply %s\n",
				rule, opts.Out, strconv.Quote(opts.Out))
		}
	} else if !opts.JSON && p.HasChanges() {
		fmt.Fprintf(s.Out, "\n%s\n\nNote: You didn't use the -out option to save this plan, so waymark can't\nguarantee to take exactly these actions if you run \"waymark apply\" now.\n", rule)
	}
	if opts.DetailedExitCode && p.HasChanges() {
		return cmdutil.Exit(cmdutil.ExitChanges)
	}
	return nil
}

// rule separates the plan from what follows it, as Terraform's does.
const rule = "─────────────────────────────────────────────────────────────────────────────"

// Render prints a plan: the human view, coloured when s allows, or
// Terraform's JSON plan representation.
func Render(s *cmdutil.Streams, p *plans.Plan, asJSON bool) error {
	if asJSON {
		return views.JSON(s.Out, p)
	}
	return views.Human(s.Out, p, views.HumanOptions{Color: s.Color})
}
