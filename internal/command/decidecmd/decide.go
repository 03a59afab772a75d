// Package decidecmd implements waymark decide: it asks the runtime for a
// customer's next best actions on a channel and prints the ranking, and
// with -explain every candidate with why it was kept or dropped.
package decidecmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// Options are decide's inputs.
type Options struct {
	Customer string
	Channel  string
	// Context holds key=value pairs; a value that reads as JSON (80, true,
	// ["a"], "quoted") is that value, anything else a string.
	Context []string
	Limit   int
	Explain bool
	JSON    bool
	// Client overrides the client made from WAYMARK_ADDR and WAYMARK_TOKEN.
	Client *client.Client
}

// New returns the decide command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "decide",
		Short: "Ask the runtime for a customer's next best actions",
		Long: `Asks the runtime at WAYMARK_ADDR for the next best actions of a customer on
a channel, as an application would (POST /v1/decide), and prints them best
first with their priority and the model's propensity. The decision is
recorded like any other. -explain also lists every candidate action with
why it was kept or dropped: not_in_stage, no_consent, not_eligible, limit,
quiet_hours, suppressed, no_value, ranked_out or holdout (the customer is in
the global holdout and receives nothing).

Each -context is key=value; a value that reads as JSON (80, true, ["a","b"],
"quoted") is that value, anything else is a string.`,
		Example: `  waymark decide -customer c-42 -channel web
  waymark decide -customer c-42 -channel web -context page=checkout -context cart_value=80 -explain
  waymark decide -customer c-42 -channel web -json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return Run(cmd.Context(), s, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.Customer, "customer", "", "The customer's id.")
	f.StringVar(&opts.Channel, "channel", "", "The channel to decide for (an inbound channel such as web, or any other).")
	f.StringArrayVar(&opts.Context, "context", nil, "A key=value of the request's context (repeat).")
	f.IntVar(&opts.Limit, "limit", 0, "The most actions wanted (default and cap: the arbitration's max_actions).")
	f.BoolVar(&opts.Explain, "explain", false, "List every candidate action with why it was kept or dropped.")
	f.BoolVar(&opts.JSON, "json", false, "Print the runtime's answer as JSON.")
	return cmd
}

// ParseContext reads key=value pairs into a decide request's context.
func ParseContext(pairs []string) (map[string]any, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-context %q: write it as key=value", p)
		}
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil || x == nil {
			x = v
		}
		if _, isObj := x.(map[string]any); isObj {
			x = v
		}
		out[k] = x
	}
	return out, nil
}

// Run asks for the decision and prints it.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.Customer == "" || opts.Channel == "" {
		return fmt.Errorf("-customer and -channel are required")
	}
	if opts.Limit < 0 {
		return fmt.Errorf("-limit must not be negative")
	}
	dctx, err := ParseContext(opts.Context)
	if err != nil {
		return err
	}
	c := opts.Client
	if c == nil {
		c = client.FromEnv(s.Getenv)
	}
	d, err := c.Decide(ctx, apiv1.DecideRequest{CustomerID: opts.Customer, Channel: opts.Channel, Context: dctx, Limit: opts.Limit, Explain: opts.Explain})
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(s.Out, d)
	}
	Render(s, d, opts.Explain)
	return nil
}

// Render prints a decision for people: the chosen actions best first, and
// with explain every candidate.
func Render(s *cmdutil.Streams, d *apiv1.Decision, explain bool) {
	bold := s.Colorize(color.Bold)
	green := s.Colorize(color.FgGreen)
	yellow := s.Colorize(color.FgYellow)
	w := s.Out
	fmt.Fprintf(w, "%s\n", bold("Decision %s for customer %s on channel %s", d.DecisionID, d.CustomerID, d.Channel))
	if d.Control {
		fmt.Fprintln(w, "The customer is in the control group: the actions were picked at random among those that passed the filters.")
	}
	if d.Holdout {
		fmt.Fprintln(w, "The customer is in the global holdout: they receive nothing from any journey, so that the journeys' KPIs can be compared with them.")
	}
	fmt.Fprintln(w)
	if len(d.Actions) == 0 && !d.Holdout {
		fmt.Fprintln(w, "  No action: every candidate was dropped, or the customer is at no stage that offers one on this channel.")
		if !explain {
			fmt.Fprintln(w, "  Run with -explain to see why.")
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, a := range d.Actions {
		note := ""
		if a.Explore {
			note = "\t" + yellow("exploring")
		}
		fmt.Fprintf(tw, "  %d. %s\tpriority %s\tpropensity %.3f%s\n", i+1, withTreatment(a.Address, a.Treatment), num(a.Priority), a.Propensity, note)
	}
	tw.Flush()
	if !explain {
		return
	}
	fmt.Fprintf(w, "\n%s\n", bold("Candidates"))
	if len(d.Candidates) == 0 {
		fmt.Fprintln(w, "  (none: the customer is in no journey with an action on this channel)")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range d.Candidates {
		state := green("kept")
		why := ""
		if !c.Kept {
			state = "dropped"
			why = c.Reason
		}
		score := ""
		if c.Priority != nil && c.Propensity != nil {
			score = fmt.Sprintf("priority %s, propensity %.3f", num(*c.Priority), *c.Propensity)
			if c.Explore {
				score += ", exploring"
			}
			if why != "" {
				score = " (" + score + ")"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s%s\n", state, withTreatment(c.Address, c.Treatment), why, score)
	}
	tw.Flush()
}

// withTreatment names an action's address with its treatment, if any:
// growth/journey.cart.action.nudge (treatment sms).
func withTreatment(address, treatment string) string {
	if treatment == "" {
		return address
	}
	return address + " (treatment " + treatment + ")"
}

// num prints a number without needless digits.
func num(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.4f", f), "0"), ".")
}
