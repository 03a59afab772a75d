package graphcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/planner/graph"
)

// Options are graph's inputs.
type Options struct {
	Dir       string
	Format    string // dot or mermaid
	Vars      cfgload.Vars
	Providers provschema.Source // nil: the real provider processes
}

// New returns the graph command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "graph [DIR]",
		Short: "Draw the journeys as a graph",
		Long: `Graph draws the journeys of the configuration (the current directory by
default): each journey as a cluster with its entry, its stages in order (a
dashed edge where a stage's timeout leads), the actions offered at each stage
and the channels they use. Conditions are not drawn.

-format=dot (the default) writes Graphviz; -format=mermaid a Mermaid
flowchart, which GitHub renders in Markdown.`,
		Example: `  waymark graph | dot -Tsvg > journeys.svg
  waymark graph -format=mermaid > journeys.mmd`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "dot", `Output format: "dot" (Graphviz) or "mermaid".`)
	opts.Vars.AddFlags(cmd.Flags())
	return cmd
}

// Run loads the configuration and draws it.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	draw := graph.DOT
	switch opts.Format {
	case "dot", "":
	case "mermaid":
		draw = graph.Mermaid
	default:
		return fmt.Errorf(`-format must be "dot" or "mermaid", not %q`, opts.Format)
	}
	l, err := plancmd.Load(ctx, s, plancmd.Source{Dir: opts.Dir, Vars: opts.Vars.Args, Providers: opts.Providers})
	if err != nil {
		return err
	}
	return draw(s.Out, l.Document)
}
