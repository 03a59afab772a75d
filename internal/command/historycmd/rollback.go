package historycmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/applycmd"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/planner"
)

// RollbackOptions are rollback's inputs.
type RollbackOptions struct {
	Dir         string
	Serial      int64
	AutoApprove bool
	Vars        cfgload.Vars
	Providers   provschema.Source // nil: the real provider processes
	// Interactive says a person can answer on standard input.
	Interactive bool
}

// NewRollback returns the rollback command.
func NewRollback(s *cmdutil.Streams) *cobra.Command {
	opts := &RollbackOptions{}
	cmd := &cobra.Command{
		Use:   "rollback SERIAL",
		Short: "Deploy an earlier deployment of the stack again",
		Long: `Rollback deploys an earlier deployment of the configuration's stack again, as
a new deployment: it plans the change from the active deployment to
deployment SERIAL (sensitive values compared by their digests, never shown),
prints the plan, asks for yes, and has the runtime re-activate the stored
deployment through the same checks and atomic activation as apply. The
configuration's files are not changed: the next plan shows how they differ
from what is deployed.

waymark history lists the serials.`,
		Example: `  waymark history
  waymark rollback 41
  waymark rollback 41 -auto-approve`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a deployment serial: waymark history lists them", args[0])
			}
			opts.Serial = n
			opts.Interactive = applycmd.Interactive(s.In)
			return Rollback(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.AutoApprove, "auto-approve", false, "Roll back without asking for yes.")
	opts.Vars.AddFlags(cmd.Flags())
	return cmd
}

// Rollback plans towards deployment opts.Serial, asks, and has the runtime
// deploy it again.
func Rollback(ctx context.Context, s *cmdutil.Streams, opts *RollbackOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	l, err := plancmd.Load(ctx, s, plancmd.Source{Dir: opts.Dir, Vars: opts.Vars.Args, Providers: opts.Providers})
	if err != nil {
		return err
	}
	rt := plancmd.Runtime(s, l)
	stack := l.Config.Stack
	target, err := rt.Deployment(ctx, stack, opts.Serial)
	if err != nil {
		return err
	}
	// The target's sensitive values are withheld as the active
	// deployment's are; their digests, made with the same stack key,
	// compare.
	p, err := planner.Plan(ctx, rt, target.Document, planner.Options{DesiredDigests: target.Digests, WaymarkVersion: version.Version})
	if err != nil {
		return err
	}
	if p.BaseSerial == opts.Serial {
		fmt.Fprintf(s.Out, "Deployment %d is the active deployment of stack %q: there is nothing to roll back.\n", opts.Serial, stack)
		return nil
	}
	q := applycmd.Question{
		Ask:       fmt.Sprintf("Do you want to roll stack %q back to deployment %d?", stack, opts.Serial),
		Detail:    fmt.Sprintf("Waymark will deploy deployment %d again, as a new deployment, with the changes described above.", opts.Serial),
		Cancelled: "Rollback cancelled.",
		Command:   "waymark rollback",
		Flag:      "-auto-approve",
	}
	ask := p.HasChanges() && !opts.AutoApprove
	if ask {
		// Refused before the plan is printed: no plan shown for nothing.
		if err := applycmd.CanAsk(opts.Interactive, q); err != nil {
			return err
		}
	}
	fmt.Fprintf(s.Out, "Rolling stack %q back from deployment %d to deployment %d.\n\n", stack, p.BaseSerial, opts.Serial)
	if err := plancmd.Render(s, p, false); err != nil {
		return err
	}
	if !p.HasChanges() {
		fmt.Fprintf(s.Out, "\nDeployment %d deployed the same objects as the active deployment %d: nothing to roll back.\n", opts.Serial, p.BaseSerial)
		return nil
	}
	if ask {
		if err := applycmd.Approve(s, opts.Interactive, q); err != nil {
			return err
		}
	}
	serial, err := rt.Rollback(ctx, stack, p.BaseSerial, opts.Serial)
	var stale *planner.StaleError
	if errors.As(err, &stale) {
		return fmt.Errorf("%w; run waymark rollback again", stale)
	}
	if err != nil {
		return err
	}
	applycmd.Complete(s, "Rollback", p.Summary(), stack, serial, true)
	return nil
}
