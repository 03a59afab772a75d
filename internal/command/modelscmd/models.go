package modelscmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// Options are the command's inputs.
type Options struct {
	// ID, when set, is the one model to show in full.
	ID   string
	JSON bool
	// Client overrides the client made from WAYMARK_ADDR and WAYMARK_TOKEN.
	Client *client.Client
}

// New returns the models command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "models [ID]",
		Short: "Show the adaptive models: evidence, AUC, calibration, lift and predictors",
		Long: `Lists the adaptive models of the runtime at WAYMARK_ADDR, one per action and
channel, with their evidence, their AUC and expected calibration error on
recent responses (each scored before the model learnt from it), their lift
over the control group and their best predictors.

With an ID (<stack>/<action address>@<channel>, as the list shows), shows
that model in full: its calibration by decile and every predictor with its
bins.`,
		Example: `  waymark models
  waymark models growth/journey.cart_recovery.action.vip_discount_banner@web
  waymark models -json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.ID = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print the models as JSON, as GET /v1/models answers.")
	return cmd
}

// Run prints the models, or one.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c := opts.Client
	if c == nil {
		c = client.FromEnv(s.Getenv)
	}
	if opts.ID != "" {
		m, err := c.Model(ctx, opts.ID)
		if err != nil {
			return err
		}
		if opts.JSON {
			return cmdutil.WriteJSON(s.Out, m)
		}
		RenderModel(s, m)
		return nil
	}
	ms, err := c.Models(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSONList(s.Out, ms)
	}
	RenderList(s, ms)
	return nil
}

// RenderList prints every model on a line, with its top predictors.
func RenderList(s *cmdutil.Streams, ms []apiv1.Model) {
	w := s.Out
	if len(ms) == 0 {
		fmt.Fprintln(w, "No models yet: they appear when a stack with actions is applied.")
		return
	}
	bold := s.Colorize(color.Bold)
	fmt.Fprintf(w, "%s\n\n", bold("%d %s", len(ms), cmdutil.Plural(len(ms), "model", "models")))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  MODEL\tKIND\tEVIDENCE\tPOSITIVE\tAUC\tECE\tLIFT (95%)\tTOP PREDICTORS")
	for _, m := range ms {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", m.Key, m.Kind, m.Evidence, rate(m.Positives, m.Evidence),
			num(m.AUC, "%.3f"), num(m.ECE, "%.3f"), lift(m), top(m.Predictors, 3))
	}
	tw.Flush()
}

// RenderModel prints one model in full.
func RenderModel(s *cmdutil.Streams, m apiv1.Model) {
	w := s.Out
	bold := s.Colorize(color.Bold)
	fmt.Fprintf(w, "%s\n\n", bold("%s", m.Key))
	explore := ""
	if m.Exploring {
		explore = " (exploring: ranked by Thompson draws until it has 100)"
	}
	fmt.Fprintf(w, "  Kind       %s\n", m.Kind)
	fmt.Fprintf(w, "  Evidence   %d responses, %d positive (%s)%s\n", m.Evidence, m.Positives, rate(m.Positives, m.Evidence), explore)
	forget := "never"
	switch {
	case m.HalfLife != "":
		forget = "half-life " + m.HalfLife
	case m.HalfLifeResponses > 0:
		forget = fmt.Sprintf("half-life %d responses", m.HalfLifeResponses)
	}
	fmt.Fprintf(w, "  Forgets    %s\n", forget)
	fmt.Fprintf(w, "  AUC        %s over the last %d responses\n", num(m.AUC, "%.3f"), m.Window)
	fmt.Fprintf(w, "  ECE        %s\n", num(m.ECE, "%.3f"))
	fmt.Fprintf(w, "  Lift       %s over the control group (%d responses, %d positive)\n", lift(m), m.Control, m.ControlPositives)
	if len(m.Calibration) > 0 {
		fmt.Fprintf(w, "\n%s\n", bold("Calibration by decile of prediction"))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  DECILE\tN\tPREDICTED\tOBSERVED\t")
		for i, d := range m.Calibration {
			fmt.Fprintf(tw, "  %d\t%d\t%.3f\t%.3f\t\n", i+1, d.N, d.Predicted, d.Observed)
		}
		tw.Flush()
	}
	if len(m.Predictors) > 0 {
		fmt.Fprintf(w, "\n%s\n", bold("Predictors, best first"))
		for _, p := range m.Predictors {
			state := "inactive"
			if p.Active {
				state = "active"
			}
			fmt.Fprintf(w, "\n  %s  AUC %.3f  %s\n", p.Name, p.AUC, state)
			renderBins(w, p.Bins)
		}
	}
}

func renderBins(w io.Writer, bins []apiv1.ModelBin) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, b := range bins {
		if b.Count == 0 && (b.Label == "missing" || b.Label == "other") {
			continue
		}
		fmt.Fprintf(tw, "    %s\t%.0f\t%.1f%%\n", b.Label, b.Count, 100*b.PositiveRate)
	}
	tw.Flush()
}

// top names the first n active predictors with their AUC.
func top(ps []apiv1.ModelPredictor, n int) string {
	var out []string
	for _, p := range ps {
		if p.Active && len(out) < n {
			out = append(out, fmt.Sprintf("%s %.2f", p.Name, p.AUC))
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
}

func lift(m apiv1.Model) string {
	if m.Lift == nil {
		return "-"
	}
	s := fmt.Sprintf("%+.1f%%", 100**m.Lift)
	if m.LiftLow != nil && m.LiftHigh != nil {
		s += fmt.Sprintf(" [%+.1f%%, %+.1f%%]", 100**m.LiftLow, 100**m.LiftHigh)
	}
	return s
}

func num(x *float64, f string) string {
	if x == nil {
		return "-"
	}
	return fmt.Sprintf(f, *x)
}

func rate(k, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(k)/float64(n))
}
