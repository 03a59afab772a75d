package historycmd

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// Options are history's inputs.
type Options struct {
	Dir       string
	JSON      bool
	Vars      cfgload.Vars
	Providers provschema.Source // nil: the real provider processes
}

// New returns the history command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "history [DIR]",
		Short: "List the stack's deployments, newest first",
		Long: `History lists the deployments of the configuration's stack that the runtime
keeps, newest (the active one) first: serial, time (UTC), who deployed it
(the token's name), the digest of its content and a summary of what it
changed. waymark rollback SERIAL deploys one of them again.`,
		Example: `  waymark history
  waymark history -json | jq '.deployments[0].serial'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print the deployments as one JSON document.")
	opts.Vars.AddFlags(cmd.Flags())
	return cmd
}

// Run lists the deployments.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	l, err := plancmd.Load(ctx, s, plancmd.Source{Dir: opts.Dir, Vars: opts.Vars.Args, Providers: opts.Providers})
	if err != nil {
		return err
	}
	rt := plancmd.Runtime(s, l)
	stack := l.Config.Stack
	hist, err := rt.History(ctx, stack)
	if err != nil {
		return err
	}
	if opts.JSON {
		if hist == nil {
			hist = []apiv1.Deployment{}
		}
		return cmdutil.WriteJSON(s.Out, map[string]any{"stack": stack, "deployments": hist})
	}
	Render(s, stack, rt, hist)
	return nil
}

// Render prints deployments as a table, newest first as given.
func Render(s *cmdutil.Streams, stack string, rt *rtclient.Runtime, hist []apiv1.Deployment) {
	if len(hist) == 0 {
		fmt.Fprintf(s.Out, "Stack %q has no deployments on the runtime at %s.\n", stack, rt.Addr())
		return
	}
	fmt.Fprintf(s.Out, "Deployments of stack %q, newest first:\n\n", stack)
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SERIAL\tTIME\tWHO\tDIGEST\tSUMMARY")
	for i, d := range hist {
		active := ""
		if i == 0 {
			active = "  (active)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s%s\n", d.Serial, d.Time.UTC().Format(time.RFC3339), d.Who, short(d.Digest), d.Summary, active)
	}
	tw.Flush()
}

// short is a digest's first 12 hex digits, as git shortens hashes.
func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}
