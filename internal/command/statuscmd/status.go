package statuscmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// Options are status's inputs.
type Options struct {
	// Journey is the journey to show; empty shows every journey of the
	// stack.
	Journey string
	// Stack names the stack; empty reads it from the configuration in
	// Dir.
	Stack string
	Dir   string
	JSON  bool
	Vars  cfgload.Vars
	// Providers overrides the provider schemas the configuration is
	// loaded with (tests); nil runs the real providers.
	Providers provschema.Source
	// HTTP is the HTTP client to call the runtime with; nil for the
	// default.
	HTTP *http.Client
	// Window, From and To choose the window of the funnel, paths and
	// actions (apiv1.AnalyticsQuery): a duration or "all"; RFC 3339 times
	// or dates.
	Window, From, To string
}

// New returns the status command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "status [JOURNEY]",
		Short: "Show journeys' live funnel and KPIs against their targets",
		Long: `Status asks the runtime at WAYMARK_ADDR (else the configuration's runtime
address) for the analytics of a journey of this directory's stack, or of every
journey of it, and draws them: the funnel of the stages with how customers
left each and how long they stayed, the most common paths, how each action
did, and every KPI with its value, its target and its state (met, missed,
insufficient_data, no_target) and a sparkline of its window.

The funnel, paths and actions cover the last 7 days unless -window names
another length (24h, 30d, ...) or "all", or -from (and -to) a range; KPIs
always cover their own windows.

-json prints the API's analytics document: one object for JOURNEY, an array
of them without. -stack names the stack instead of reading the configuration.`,
		Example: `  waymark status
  waymark status cart_recovery
  waymark status cart_recovery -json | jq '.kpis[] | {name, value, state}'
  waymark status -stack growth
  waymark status cart_recovery -window 30d
  waymark status cart_recovery -from 2026-11-01 -to 2026-11-15`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Journey = journeyName(args[0])
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print the analytics as the API returns them.")
	cmd.Flags().StringVar(&opts.Stack, "stack", "", "The stack, instead of the one the configuration in the current directory names.")
	cmd.Flags().StringVar(&opts.Window, "window", "", "The window of the funnel, paths and actions: a duration such as 24h, 7d, 30d, or all.")
	cmd.Flags().StringVar(&opts.From, "from", "", "Start a custom window at this time (RFC 3339 or a date, UTC).")
	cmd.Flags().StringVar(&opts.To, "to", "", "End a custom window at this time (default: the runtime's clock).")
	opts.Vars.AddFlags(cmd.Flags())
	return cmd
}

// Run fetches and prints the analytics.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	q, err := query(opts)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: err}
	}
	addr, token := s.Getenv("WAYMARK_ADDR"), s.Getenv("WAYMARK_TOKEN")
	stack := opts.Stack
	var journeys []string
	if stack == "" {
		cfg, diags := cfgload.Load(ctx, s, cfgload.Options{Dir: opts.Dir, Vars: opts.Vars.Args, Providers: opts.Providers})
		if diags.HasErrors() {
			cmdutil.SortDiagnostics(diags)
			s.WriteDiagnostics(s.Err, diags, cfgload.Sources(cfg))
			return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: errors.New("cannot read the stack from the configuration; name it with -stack")}
		}
		stack = cfg.Stack
		if addr == "" {
			addr = cfg.RuntimeAddress
		}
		for _, o := range cfg.Document.Objects {
			if o.Journey != nil {
				journeys = append(journeys, o.Journey.Name)
			}
		}
	}
	c := client.New(addr, token, opts.HTTP)
	if opts.Journey != "" {
		journeys = []string{opts.Journey}
	} else if opts.Stack != "" {
		var err error
		if journeys, err = deployedJourneys(ctx, c, stack); err != nil {
			return err
		}
	}
	sort.Strings(journeys)
	if len(journeys) == 0 {
		return fmt.Errorf("stack %q has no journeys", stack)
	}
	var reports []*apiv1.Analytics
	for _, j := range journeys {
		r, err := c.Analytics(ctx, stack, j, q)
		if client.IsCode(err, apiv1.CodeNotFound) {
			return fmt.Errorf("journey %q of stack %q is not deployed on the runtime at %s", j, stack, c.Addr())
		}
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	if opts.JSON {
		if opts.Journey != "" {
			return cmdutil.WriteJSON(s.Out, reports[0])
		}
		return cmdutil.WriteJSON(s.Out, reports)
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(s.Out)
		}
		Render(s, r)
	}
	return nil
}

// query is the analytics query of the window flags.
func query(opts *Options) (apiv1.AnalyticsQuery, error) {
	q := apiv1.AnalyticsQuery{Window: opts.Window}
	for _, f := range []struct {
		name, v string
		t       *time.Time
	}{{"from", opts.From, &q.From}, {"to", opts.To, &q.To}} {
		if f.v == "" {
			continue
		}
		t, err := apiv1.ParseTime(f.v)
		if err != nil {
			return q, fmt.Errorf("-%s %q is not a time: give RFC 3339 (2026-11-02T15:04:05Z) or a date (2026-11-02)", f.name, f.v)
		}
		*f.t = t
	}
	if q.Window != "" && (!q.From.IsZero() || !q.To.IsZero()) {
		return q, errors.New("give -window or -from/-to, not both")
	}
	return q, nil
}

// deployedJourneys lists the journeys of the stack's active deployment.
func deployedJourneys(ctx context.Context, c *client.Client, stack string) ([]string, error) {
	st, err := c.Stack(ctx, stack)
	if client.IsCode(err, apiv1.CodeNotFound) {
		return nil, fmt.Errorf("stack %q is not deployed on the runtime at %s", stack, c.Addr())
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		Objects []struct {
			Journey *struct {
				Name string `json:"name"`
			} `json:"journey"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(st.Document, &doc); err != nil {
		return nil, fmt.Errorf("reading stack %q's deployment: %w", stack, err)
	}
	var out []string
	for _, o := range doc.Objects {
		if o.Journey != nil {
			out = append(out, o.Journey.Name)
		}
	}
	return out, nil
}

// journeyName takes a journey's name or its address: cart, journey.cart,
// journey.cart["eu"] and module.shop.journey.cart all name journeys.
func journeyName(arg string) string {
	if a, err := addrs.Parse(arg); err == nil && a.Kind == addrs.Journey {
		return a.Journey
	}
	return arg
}
