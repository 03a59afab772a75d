package eventscmd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// ExportOptions are events export's inputs.
type ExportOptions struct {
	// Since and Until bound the events' timestamps (zero: unbounded).
	Since, Until time.Time
	// Out is the file written; "" or "-" is standard output.
	Out string
	// PageSize is the events asked for per request (0: the runtime's).
	PageSize int
	// Client overrides the client made from WAYMARK_ADDR and WAYMARK_TOKEN.
	Client *client.Client
}

func newExport(s *cmdutil.Streams) *cobra.Command {
	opts := &ExportOptions{}
	var since, until string
	cmd := &cobra.Command{
		Use:   "export [-since T] [-until T] [-o FILE]",
		Short: "Write the events the runtime recorded as JSON Lines, which events send and plan -simulate read",
		Long: `Reads the events the runtime at WAYMARK_ADDR recorded, in the order it
processed them, and writes them as JSON Lines: one event a line, in the shape
events send takes, so the output can be sent to another runtime or replayed
with waymark plan -simulate. The events are as recorded: validated, with the
undeclared attributes and traits dropped. Events of customers erased since
are left out. It needs a token with the read scope.

-since and -until (RFC 3339 or a date, midnight UTC) bound the events'
timestamps: since inclusive, until exclusive.`,
		Example: `  waymark events export -o events.jsonl
  waymark events export -since 2026-11-01 -until 2026-11-08 | waymark plan -simulate -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []struct {
				name, v string
				to      *time.Time
			}{{"since", since, &opts.Since}, {"until", until, &opts.Until}} {
				if f.v == "" {
					continue
				}
				t, err := apiv1.ParseTime(f.v)
				if err != nil {
					return fmt.Errorf("-%s %q is not an RFC 3339 time or a date (2006-01-02)", f.name, f.v)
				}
				*f.to = t
			}
			return Export(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "Only events at or after this time (RFC 3339 or a date).")
	cmd.Flags().StringVar(&until, "until", "", "Only events before this time (RFC 3339 or a date).")
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "Write to this file instead of standard output.")
	return cmd
}

// Export writes the runtime's recorded events as JSON Lines.
func Export(ctx context.Context, s *cmdutil.Streams, opts *ExportOptions) error {
	c := opts.Client
	if c == nil {
		c = client.FromEnv(os.Getenv)
	}
	var w io.Writer = s.Out
	var f *os.File
	if opts.Out != "" && opts.Out != "-" {
		var err error
		if f, err = os.Create(opts.Out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	n, err := WriteEvents(ctx, c, apiv1.EventsQuery{Since: opts.Since, Until: opts.Until, Limit: opts.PageSize}, w)
	if err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "Exported %d events to %s.\n", n, opts.Out)
	}
	return nil
}

// WriteEvents pages through the runtime's recorded events from q and
// writes them to w as JSON Lines; it returns how many it wrote.
func WriteEvents(ctx context.Context, c *client.Client, q apiv1.EventsQuery, w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	for {
		page, err := c.Events(ctx, q)
		if err != nil {
			return n, err
		}
		for i := range page.Events {
			if err := enc.Encode(&page.Events[i]); err != nil {
				return n, err
			}
			n++
		}
		if page.Next == "" {
			return n, bw.Flush()
		}
		q.After = page.Next
	}
}
