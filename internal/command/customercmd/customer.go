// Package customercmd implements waymark customer show and erase.
package customercmd

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// Options are customer show's inputs.
type Options struct {
	ID   string
	JSON bool
	// Client overrides the client made from WAYMARK_ADDR and WAYMARK_TOKEN.
	Client *client.Client
}

// New returns the customer command.
func New(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{Use: "customer", Short: "Look at or erase a customer in the runtime", Args: cobra.NoArgs}
	opts := &Options{}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a customer's profile, journeys, timeline and recent decisions",
		Long: `Shows what the runtime at WAYMARK_ADDR holds for a customer: the profile
(sensitive attributes masked), each journey's state and stage, the timeline
of recent transitions, and the most recent decisions with the actions they
chose and how many candidates each dropped, by reason (waymark decide
-explain shows one decision in full).`,
		Example: `  waymark customer show c-42
  waymark customer show c-42 -json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return Run(cmd.Context(), s, opts)
		},
	}
	show.Flags().BoolVar(&opts.JSON, "json", false, "Print the customer as the API returns it.")
	cmd.AddCommand(show, newErase(s))
	return cmd
}

// Run prints the customer.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c := opts.Client
	if c == nil {
		c = client.FromEnv(s.Getenv)
	}
	cu, err := c.Customer(ctx, opts.ID)
	if client.IsCode(err, apiv1.CodeNotFound) {
		return fmt.Errorf("customer %q is unknown to the runtime at %s: no event for them has been processed", opts.ID, c.Addr())
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(s.Out, cu)
	}
	Render(s, cu)
	return nil
}

// Render prints a customer for people.
func Render(s *cmdutil.Streams, cu *apiv1.Customer) {
	bold := s.Colorize(color.Bold)
	w := s.Out
	fmt.Fprintf(w, "%s\n", bold("Customer %s", cu.ID))
	if cu.LastEvent != nil {
		fmt.Fprintf(w, "Last event at %s\n", ts(*cu.LastEvent))
	}
	fmt.Fprintf(w, "\n%s\n", bold("Profile"))
	names := make([]string, 0, len(cu.Profile))
	for n := range cu.Profile {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", n, value(cu.Profile[n]))
	}
	if len(names) == 0 {
		fmt.Fprintln(tw, "  (no attributes declared)")
	}
	tw.Flush()

	if len(cu.OptOuts) > 0 {
		fmt.Fprintf(w, "\n%s\n", bold("Consent off"))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, o := range cu.OptOuts {
			how := "unsubscribed"
			if o.Source == "trait" {
				how = "trait consent." + o.Channel + " = false"
			}
			fmt.Fprintf(tw, "  %s\tsince %s (%s); the trait consent.%s = true turns it on again\n", o.Channel, ts(o.Since), how, o.Channel)
		}
		tw.Flush()
	}

	fmt.Fprintf(w, "\n%s\n", bold("Journeys"))
	if len(cu.Journeys) == 0 {
		fmt.Fprintln(w, "  (in no journey)")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, j := range cu.Journeys {
		fmt.Fprintf(tw, "  %s/%s\t%s\n", j.Stack, j.Journey, journeyState(j))
		for _, t := range j.Timers {
			fmt.Fprintf(tw, "  \t  %s at %s\n", timerName(t.Kind), ts(t.Due))
		}
	}
	tw.Flush()

	fmt.Fprintf(w, "\n%s\n", bold("Timeline"))
	if len(cu.Timeline) == 0 {
		fmt.Fprintln(w, "  (no transitions)")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range cu.Timeline {
		late := ""
		if t.Late {
			late = " (late event)"
		}
		fmt.Fprintf(tw, "  %s\t%s/%s\t%s%s\n", ts(t.Time), t.Stack, t.Journey, transition(t), late)
	}
	tw.Flush()

	fmt.Fprintf(w, "\n%s\n", bold("Recent decisions"))
	if len(cu.Decisions) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, d := range cu.Decisions {
		kind := d.Channel
		if d.Trigger {
			kind += " (due)"
		}
		if d.Control {
			kind += " (control)"
		}
		chosen := "no action"
		if len(d.Actions) > 0 {
			chosen = strings.Join(d.Actions, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", ts(d.Time), kind, d.DecisionID, chosen)
		if len(d.Dropped) > 0 {
			reasons := make([]string, 0, len(d.Dropped))
			for r := range d.Dropped {
				reasons = append(reasons, r)
			}
			sort.Strings(reasons)
			for i, r := range reasons {
				reasons[i] = fmt.Sprintf("%d %s", d.Dropped[r], r)
			}
			fmt.Fprintf(tw, "  \t\t\t  dropped: %s\n", strings.Join(reasons, ", "))
		}
	}
	tw.Flush()
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func value(v any) string {
	if m, ok := v.(map[string]any); ok && m["sensitive"] == true {
		return "(sensitive value)"
	}
	if v == nil {
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func journeyState(j apiv1.JourneyState) string {
	switch j.State {
	case "active":
		since := ""
		if j.StageEntered != nil {
			since = " since " + ts(*j.StageEntered)
		}
		return fmt.Sprintf("active in stage %s%s (run %d)", j.Stage, since, j.Run)
	default:
		at := ""
		if j.Left != nil {
			at = " at " + ts(*j.Left)
		}
		return fmt.Sprintf("%s%s (run %d)", strings.ReplaceAll(j.State, "_", " "), at, j.Run)
	}
}

func timerName(kind string) string {
	switch kind {
	case "within":
		return "goal.within runs out"
	case "timeout":
		return "stage timeout"
	}
	return kind
}

func transition(t apiv1.Transition) string {
	switch {
	case t.Reason == "entered":
		return "entered in stage " + t.To
	case t.To != "" && t.From != "":
		how := "moved"
		if t.Reason == "timeout" {
			how = "timed out"
		}
		return fmt.Sprintf("%s %s → %s", how, t.From, t.To)
	case t.From != "":
		return fmt.Sprintf("%s from stage %s", strings.ReplaceAll(t.Reason, "_", " "), t.From)
	}
	return t.Reason
}
