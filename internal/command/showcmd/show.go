package showcmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/planfile"
)

// Options are show's inputs.
type Options struct {
	Dir string
	// PlanFile is a saved plan to show; empty shows what is deployed.
	PlanFile  string
	JSON      bool
	Vars      cfgload.Vars
	Providers provschema.Source // nil: the real provider processes
	Runtime   planner.Runtime   // nil: the configured runtime
}

// New returns the show command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "show [PLANFILE]",
		Short: "Show a saved plan, or what is deployed now",
		Long: `With a plan file saved by waymark plan -out, show prints that plan as plan
printed it, or with -json as Terraform's JSON plan representation. It needs
no runtime.

Without one, it prints what the runtime has deployed for the configuration's
stack: every object by address with its attributes, sensitive values as
(sensitive value) since the runtime never gives them out; with -json in the
shape of Terraform's JSON state (values.root_module.resources).`,
		Example: `  waymark show plan.wm
  waymark show -json plan.wm | conftest test -
  waymark show`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.PlanFile = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print Terraform's JSON plan (with a plan file) or state representation.")
	opts.Vars.AddFlags(cmd.Flags())
	return cmd
}

// Run shows the plan file, or the deployment.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.PlanFile != "" {
		p, err := planfile.Read(opts.PlanFile)
		if err != nil {
			return err
		}
		return plancmd.Render(s, p, opts.JSON)
	}
	l, err := plancmd.Load(ctx, s, plancmd.Source{Dir: opts.Dir, Vars: opts.Vars.Args, Providers: opts.Providers})
	if err != nil {
		return err
	}
	rt := opts.Runtime
	if rt == nil {
		rt = plancmd.Runtime(s, l)
	}
	stack := l.Config.Stack
	dep, err := rt.Stack(ctx, stack)
	if err != nil {
		return err
	}
	if opts.JSON {
		doc, err := stateDocument(stack, dep)
		if err != nil {
			return err
		}
		return cmdutil.WriteJSON(s.Out, doc)
	}
	return writeState(s.Out, s, stack, dep)
}
