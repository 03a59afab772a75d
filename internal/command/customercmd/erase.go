package customercmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/applycmd"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// EraseOptions are customer erase's inputs.
type EraseOptions struct {
	ID          string
	AutoApprove bool
	// Interactive says a person can answer on standard input.
	Interactive bool
	// Client overrides the client made from WAYMARK_ADDR and WAYMARK_TOKEN.
	Client *client.Client
}

func newErase(s *cmdutil.Streams) *cobra.Command {
	opts := &EraseOptions{}
	cmd := &cobra.Command{
		Use:   "erase ID",
		Short: "Erase a customer everywhere in the runtime",
		Long: `Erases a customer from the runtime at WAYMARK_ADDR (DELETE /v1/customers/ID):
their profile, stored events, journey states, timers, decision records and
pending deliveries, and their runs in analytics. Events of theirs still in
the log become unreadable. The audit log records that an erasure happened,
not what was erased. There is no undo.

It asks for yes first; -auto-approve answers beforehand (for scripts, and
when standard input is not a terminal). The token needs the admin scope.`,
		Example: `  waymark customer erase c-42
  waymark customer erase c-42 -auto-approve`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			opts.Interactive = applycmd.Interactive(s.In)
			return Erase(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.AutoApprove, "auto-approve", false, "Erase without asking for yes.")
	return cmd
}

// Erase asks for yes, unless told beforehand, and erases the customer.
func Erase(ctx context.Context, s *cmdutil.Streams, opts *EraseOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c := opts.Client
	if c == nil {
		c = client.FromEnv(s.Getenv)
	}
	if !opts.AutoApprove {
		q := applycmd.Question{
			Ask: fmt.Sprintf("Do you really want to erase customer %q?", opts.ID),
			Detail: fmt.Sprintf("Waymark will erase their profile, events, journeys, timers, decisions and pending\n"+
				"  deliveries in the runtime at %s. There is no undo.", c.Addr()),
			Cancelled: "Erase cancelled.",
			Command:   "waymark customer erase",
			Flag:      "-auto-approve",
		}
		if err := applycmd.Approve(s, opts.Interactive, q); err != nil {
			return err
		}
	}
	err := c.DeleteCustomer(ctx, opts.ID)
	if client.IsCode(err, apiv1.CodeNotFound) {
		return fmt.Errorf("customer %q is unknown to the runtime at %s: nothing to erase", opts.ID, c.Addr())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "Customer %q erased.\n", opts.ID)
	return nil
}
