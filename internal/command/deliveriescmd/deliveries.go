// Package deliveriescmd implements waymark deliveries pending, failed and
// retry: the outbox's waiting deliveries, its dead-letter list, and its
// replay.
package deliveriescmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// Options are the deliveries commands' inputs.
type Options struct {
	JSON bool
	// IDs are the deliveries to retry.
	IDs []string
	// Wait, for pending, waits up to this long for the outbox to drain.
	Wait time.Duration
	// Client overrides the client made from WAYMARK_ADDR and WAYMARK_TOKEN.
	Client *client.Client
}

// New returns the deliveries command.
func New(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "Show the deliveries waiting or failed, and replay the failed",
		Example: `  waymark deliveries pending -wait 30s
  waymark deliveries failed
  waymark deliveries retry 3f2a9c0d41b7e6a85c1d9e0f2b4a6c8e`,
		Args: cobra.NoArgs,
	}
	opts := &Options{}
	failed := &cobra.Command{
		Use:   "failed",
		Short: "List the dead-letter list: deliveries that failed for good",
		Long: `Lists the deliveries of the runtime at WAYMARK_ADDR that failed for good: a
provider refused them, or every retry failed. Each has the idempotency key
that identifies it (ID), the action, the customer, the attempts made and the
last error. Replay them with waymark deliveries retry.`,
		Example: `  waymark deliveries failed
  waymark deliveries failed -json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return Failed(cmd.Context(), s, opts) },
	}
	failed.Flags().BoolVar(&opts.JSON, "json", false, "Print the deliveries as JSON.")
	retry := &cobra.Command{
		Use:   "retry ID...",
		Short: "Replay deliveries of the dead-letter list",
		Long: `Replays deliveries of the dead-letter list: each is attempted again now,
with its attempts counted afresh and the same idempotency key, so that a
receiver that saw an earlier attempt can drop the repeat.`,
		Example: `  waymark deliveries retry 3f2a9c0d41b7e6a85c1d9e0f2b4a6c8e
  waymark deliveries failed -json | jq -r '.[].id' | xargs waymark deliveries retry`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IDs = args
			return Retry(cmd.Context(), s, opts)
		},
	}
	pending := &cobra.Command{
		Use:   "pending",
		Short: "List the deliveries waiting for their next attempt",
		Long: `Lists the deliveries of the runtime at WAYMARK_ADDR that are waiting: not yet
attempted, or to be retried after a failed attempt (NEXT ATTEMPT says when).
Actions show their customer; KPI alerts show the KPI and no customer.

With -wait, waits until none is waiting, up to the duration given, and
fails (exit 1) if some still are: a script's way to let the outbox drain.`,
		Example: `  waymark deliveries pending
  waymark deliveries pending -wait 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return Pending(cmd.Context(), s, opts) },
	}
	pending.Flags().BoolVar(&opts.JSON, "json", false, "Print the deliveries as JSON.")
	pending.Flags().DurationVar(&opts.Wait, "wait", 0, "Wait up to this long (such as 30s) until no delivery is waiting.")
	cmd.AddCommand(pending, failed, retry)
	return cmd
}

func (o *Options) client(s *cmdutil.Streams) *client.Client {
	if o.Client != nil {
		return o.Client
	}
	return client.FromEnv(s.Getenv)
}

// list returns every outbox entry in state.
func list(ctx context.Context, c *client.Client, state apiv1.DeliveryState) ([]apiv1.Delivery, error) {
	var all []apiv1.Delivery
	after := ""
	for {
		page, err := c.Deliveries(ctx, state, after, 0)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 1000 {
			return all, nil
		}
		after = page[len(page)-1].ID
	}
}

// Pending prints the deliveries waiting; with opts.Wait it first waits
// for there to be none.
func Pending(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c := opts.client(s)
	deadline := time.Now().Add(opts.Wait)
	var all []apiv1.Delivery
	for {
		var err error
		if all, err = list(ctx, c, apiv1.DeliveryPending); err != nil {
			return err
		}
		if len(all) == 0 || !time.Now().Before(deadline) {
			break
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if opts.JSON {
		if err := cmdutil.WriteJSONList(s.Out, all); err != nil {
			return err
		}
	} else {
		RenderPending(s, all)
	}
	if opts.Wait > 0 && len(all) > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure,
			Err: fmt.Errorf("%d %s still waiting after %s", len(all), cmdutil.Plural(len(all), "delivery", "deliveries"), opts.Wait)}
	}
	return nil
}

// RenderPending prints the deliveries waiting, for people.
func RenderPending(s *cmdutil.Streams, ds []apiv1.Delivery) {
	w := s.Out
	if len(ds) == 0 {
		fmt.Fprintln(w, "No deliveries are waiting.")
		return
	}
	bold := s.Colorize(color.Bold)
	fmt.Fprintf(w, "%s\n\n", bold("%d %s waiting", len(ds), cmdutil.Plural(len(ds), "delivery", "deliveries")))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tACTION OR KPI\tCUSTOMER\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
	for _, d := range ds {
		next := "now"
		if d.NextAttempt != nil {
			next = d.NextAttempt.UTC().Format(time.DateTime + "Z")
		}
		who := d.CustomerID
		if who == "" {
			who = "-"
		}
		if d.RateLimited {
			next += " (send rate)"
		}
		last := d.LastError
		if last == "" {
			last = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Address, who, d.Attempts, next, last)
	}
	tw.Flush()
}

// Failed prints the dead-letter list.
func Failed(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	all, err := list(ctx, opts.client(s), apiv1.DeliveryFailed)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSONList(s.Out, all)
	}
	RenderFailed(s, all)
	return nil
}

// RenderFailed prints the dead-letter list for people.
func RenderFailed(s *cmdutil.Streams, ds []apiv1.Delivery) {
	w := s.Out
	if len(ds) == 0 {
		fmt.Fprintln(w, "No failed deliveries.")
		return
	}
	bold := s.Colorize(color.Bold)
	red := s.Colorize(color.FgRed)
	fmt.Fprintf(w, "%s\n\n", bold("%d failed %s", len(ds), cmdutil.Plural(len(ds), "delivery", "deliveries")))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ID\tACTION\tCUSTOMER\tATTEMPTS\tFAILED AT")
	for _, d := range ds {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\n", d.ID, d.Address, d.CustomerID, d.Attempts, d.Updated.UTC().Format(time.DateTime+"Z"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, d := range ds {
		why := d.LastError
		if why == "" {
			why = "(no error recorded)"
		}
		fmt.Fprintf(w, "  %s: %s\n", d.ID, red("%s", why))
	}
	fmt.Fprintln(w, "\nReplay them with: waymark deliveries retry ID...")
}

// Retry replays deliveries; it tries every id and fails if any failed.
func Retry(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c := opts.client(s)
	var failed []string
	for _, id := range opts.IDs {
		d, err := c.RetryDelivery(ctx, id)
		if rtclient.NotRunning(err) {
			return err
		}
		if err != nil {
			var ce *client.Error
			if errors.As(err, &ce) && (ce.Status == 404 || ce.Status == 422) {
				fmt.Fprintf(s.Err, "%s: %s\n", id, ce.Message)
			} else {
				fmt.Fprintf(s.Err, "%s: %v\n", id, err)
			}
			failed = append(failed, id)
			continue
		}
		fmt.Fprintf(s.Out, "%s: queued again (%s to customer %s)\n", d.ID, d.Address, d.CustomerID)
	}
	if len(failed) > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("%d of %d deliveries could not be retried: %s", len(failed), len(opts.IDs), strings.Join(failed, ", "))}
	}
	return nil
}
