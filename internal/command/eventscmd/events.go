// Package eventscmd implements waymark events send.
package eventscmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// Options are events send's inputs.
type Options struct {
	// File is the JSON Lines file to send; "-" or "" reads standard input.
	File string
	// BatchSize is the most events per request.
	BatchSize int
	// MaxBatchBytes is the most bytes per request.
	MaxBatchBytes int
	// Wait waits until the runtime has processed the events sent.
	Wait bool
	// Client overrides the client made from WAYMARK_ADDR and WAYMARK_TOKEN.
	Client *client.Client
}

// New returns the events command.
func New(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Send events to the runtime",
		Args:  cobra.NoArgs,
	}
	opts := &Options{}
	send := &cobra.Command{
		Use:   "send [FILE or -]",
		Short: "Send events (JSON Lines) to the runtime, in batches",
		Long: `Reads events, one JSON object per line, from FILE or standard input and
sends them to the runtime at WAYMARK_ADDR in batches. Each event the runtime
rejects is printed with its line and reason, and the command then exits 1.
Waymark events, Segment track/identify calls and CloudEvents are accepted.

The runtime processes accepted events a moment later; with -wait, the
command returns once it has (journeys moved, actions due decided, analytics
and KPI alerts up to date), so that a script can read what they did.`,
		Example: `  waymark events send events.jsonl
  waymark events send -wait events.jsonl && waymark status
  cat events.jsonl | waymark events send -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.File = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	send.Flags().IntVar(&opts.BatchSize, "batch-size", 500, "Events per request.")
	send.Flags().BoolVar(&opts.Wait, "wait", false, "Wait until the runtime has processed the events sent.")
	cmd.AddCommand(send)
	return cmd
}

// line is one event of the input and where it was.
type line struct {
	n    int
	text []byte
}

// Run sends the events.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = 4 << 20
	}
	in := s.In
	name := "standard input"
	if opts.File != "" && opts.File != "-" {
		f, err := os.Open(opts.File)
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, opts.File
	}
	c := opts.Client
	if c == nil {
		c = client.FromEnv(s.Getenv)
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var batch []line
	size := 0
	var total apiv1.IngestResult
	sent, rejected := 0, 0
	red := s.Colorize(color.FgRed, color.Bold)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var body bytes.Buffer
		for _, l := range batch {
			body.Write(l.text)
			body.WriteByte('\n')
		}
		res, err := sendWithRetry(ctx, c, body.Bytes())
		if err != nil {
			return err
		}
		total.Accepted += res.Accepted
		total.Duplicates += res.Duplicates
		total.Dropped += res.Dropped
		for _, r := range res.Rejected {
			rejected++
			where := fmt.Sprintf("%s:%d", name, lineOf(batch, r.Index))
			id := ""
			if r.ID != "" {
				id = fmt.Sprintf(" (id %q)", r.ID)
			}
			fmt.Fprintf(s.Out, "%s %s%s: %s: %s\n", red("rejected"), where, id, r.Code, r.Reason)
		}
		sent += len(batch)
		if s.ErrTerminal {
			fmt.Fprintf(s.Err, "\rsent %d events", sent)
		}
		batch, size = batch[:0], 0
		return nil
	}
	n := 0
	for sc.Scan() {
		n++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if size+len(text) > opts.MaxBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, line{n, bytes.Clone(text)})
		size += len(text) + 1
		if len(batch) == opts.BatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if err := flush(); err != nil {
		return err
	}
	if s.ErrTerminal && sent > 0 {
		fmt.Fprintln(s.Err)
	}
	fmt.Fprintf(s.Out, "Sent %d events: %d accepted, %d duplicates, %d rejected.\n", sent, total.Accepted, total.Duplicates, rejected)
	if total.Dropped > 0 {
		fmt.Fprintf(s.Out, "%d undeclared attributes or traits were dropped.\n", total.Dropped)
	}
	if opts.Wait && sent > 0 {
		start := time.Now()
		if err := c.Sync(ctx); err != nil {
			return fmt.Errorf("waiting for the runtime to process the events: %w", err)
		}
		fmt.Fprintf(s.Out, "The runtime processed them in %s.\n", time.Since(start).Round(time.Millisecond))
	}
	if rejected > 0 {
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	return nil
}

func lineOf(batch []line, index int) int {
	if index >= 0 && index < len(batch) {
		return batch[index].n
	}
	return 0
}

// sendWithRetry sends a batch, waiting and retrying while the runtime
// answers 429 or 503.
func sendWithRetry(ctx context.Context, c *client.Client, body []byte) (*apiv1.IngestResult, error) {
	wait := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		res, err := c.SendEvents(ctx, body)
		var e *client.Error
		if err == nil || !errors.As(err, &e) || (e.Status != 429 && e.Status != 503) || attempt == 20 {
			return res, err
		}
		d := e.RetryAfter
		if d <= 0 {
			d = wait
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if wait < 8*time.Second {
			wait *= 2
		}
	}
}
