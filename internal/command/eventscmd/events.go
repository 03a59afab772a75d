package eventscmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/events"
)

// Options are events send's inputs.
type Options struct {
	// File is the file to send; "-" or "" reads standard input.
	File string
	// BatchSize is the most events per request, at most the runtime's
	// limit (events.DefaultLimits.MaxEvents).
	BatchSize int
	// MaxBatchBytes is the most bytes per request.
	MaxBatchBytes int
	// Wait waits until the runtime has processed the events sent.
	Wait bool
	// Client overrides the client made from WAYMARK_ADDR and WAYMARK_TOKEN.
	Client *client.Client

	// throttle is the least time between two drawings of the progress bar
	// (tests draw every change).
	throttle time.Duration
}

// New returns the events command.
func New(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Send events to the runtime, or export those it recorded",
	}
	opts := &Options{}
	send := &cobra.Command{
		Use:   "send [FILE or -]",
		Short: "Send events (JSON Lines, a JSON array, JSON objects) to the runtime, in batches",
		Long: `Reads events from FILE or standard input and sends them to the runtime at
WAYMARK_ADDR in batches. The input is JSON Lines (one event per line), a JSON
array of events, or JSON objects one after another (such as one
pretty-printed event); it is read as it comes, so a producer can pipe into
it. Waymark events, Segment calls (and Segment's {"batch": [...]}
envelopes, sent as the calls they hold) and structured CloudEvents are
accepted (docs/trackers.md). Each event the runtime rejects is printed with its line and
reason, and the command then exits 1.

On a terminal, a progress bar shows how much of the input has been sent,
with the rate and the time left.

-batch-size is capped at the runtime's limit of events per request; a
runtime that takes fewer gets smaller batches.

The runtime processes accepted events a moment later; with -wait, the
command returns once it has (journeys moved, actions due decided, analytics
and KPI alerts up to date), so that a script can read what they did.`,
		Example: `  waymark events send events.jsonl
  waymark events send -wait events.jsonl && waymark status
  cat events.json | waymark events send -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.File = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	send.Flags().IntVar(&opts.BatchSize, "batch-size", 500, fmt.Sprintf("Events per request (at most %d).", events.DefaultLimits.MaxEvents))
	send.Flags().BoolVar(&opts.Wait, "wait", false, "Wait until the runtime has processed the events sent.")
	cmd.AddCommand(send, newExport(s))
	return cmd
}

// sender sends the events of one run and counts what became of them.
type sender struct {
	s        *cmdutil.Streams
	c        *client.Client
	name     string
	batch    int // events per request, lowered when the runtime takes fewer
	progress *progress

	read, sent int
	total      apiv1.IngestResult
	rejected   int
}

// readError is input that could not be read as events.
type readError struct {
	name string
	err  error
}

func (e *readError) Error() string { return fmt.Sprintf("reading %s: %s", e.name, e.err) }

func (e *readError) Unwrap() error { return e.err }

// rejection is an event refused, here or by the runtime.
type rejection struct {
	line         int
	id           string
	code, reason string
}

// Run sends the events.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	batchSize, most := opts.BatchSize, events.DefaultLimits.MaxEvents
	switch {
	case batchSize <= 0:
		batchSize = 500
	case batchSize > most:
		fmt.Fprintf(s.Err, "Note: the runtime takes at most %d events in one request: -batch-size %d is lowered to %d.\n", most, batchSize, most)
		batchSize = most
	}
	maxBytes := opts.MaxBatchBytes
	if maxBytes <= 0 {
		maxBytes = 4 << 20
	}
	var in io.Reader = s.In
	name := "standard input"
	size := int64(-1)
	if opts.File != "" && opts.File != "-" {
		f, err := os.Open(opts.File)
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
		in, name = f, opts.File
	}
	c := opts.Client
	if c == nil {
		c = client.FromEnv(s.Getenv)
	}
	snd := &sender{s: s, c: c, name: name, batch: batchSize}
	if s.ErrTerminal && !isTerminal(in) {
		throttle := opts.throttle
		if throttle == 0 {
			throttle = 100 * time.Millisecond
		}
		snd.progress = newProgress(s.Err, size, throttle)
	}
	err := snd.run(ctx, in, maxBytes)
	snd.progress.finish()
	var re *readError
	if err != nil && (!errors.As(err, &re) || snd.read == 0) {
		return err
	}
	fmt.Fprintf(s.Out, "Sent %d events: %d accepted, %d duplicates, %d rejected.\n", snd.sent, snd.total.Accepted, snd.total.Duplicates, snd.rejected)
	if snd.total.Dropped > 0 {
		fmt.Fprintf(s.Out, "%d undeclared attributes or traits were dropped.\n", snd.total.Dropped)
	}
	if err != nil {
		switch snd.sent {
		case 0:
			return err
		case 1:
			return fmt.Errorf("%w; the event before it was sent", err)
		}
		return fmt.Errorf("%w; the %d events before it were sent", err, snd.sent)
	}
	if opts.Wait && snd.sent > 0 {
		start := time.Now()
		if err := c.Sync(ctx); err != nil {
			return fmt.Errorf("waiting for the runtime to process the events: %w", err)
		}
		fmt.Fprintf(s.Out, "The runtime processed them in %s.\n", time.Since(start).Round(time.Millisecond))
	}
	if snd.rejected > 0 {
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	return nil
}

// run reads the input and sends it in batches of at most s.batch events
// and maxBytes bytes. A reading error ends it after the events before it
// are sent.
func (s *sender) run(ctx context.Context, in io.Reader, maxBytes int) error {
	src, err := newSource(in)
	if err != nil {
		return &readError{s.name, err}
	}
	src = &unbatching{src: src}
	var batch []event
	size := 0
	for {
		ev, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ferr := s.flush(ctx, batch); ferr != nil {
				return ferr
			}
			return &readError{s.name, err}
		}
		s.read++
		if len(batch) > 0 && size+len(ev.text)+1 > maxBytes {
			if err := s.flush(ctx, batch); err != nil {
				return err
			}
			batch, size = batch[:0], 0
		}
		batch = append(batch, ev)
		size += len(ev.text) + 1
		if len(batch) >= s.batch {
			if err := s.flush(ctx, batch); err != nil {
				return err
			}
			batch, size = batch[:0], 0
		}
	}
	return s.flush(ctx, batch)
}

// flush sends a batch and prints its rejections in the order of the input.
func (s *sender) flush(ctx context.Context, batch []event) error {
	if len(batch) == 0 {
		return nil
	}
	var rej []rejection
	if err := s.send(ctx, batch, &rej); err != nil {
		return err
	}
	s.sent += len(batch)
	sort.SliceStable(rej, func(i, j int) bool { return rej[i].line < rej[j].line })
	if len(rej) > 0 {
		s.progress.clear()
	}
	red := s.s.Colorize(color.FgRed, color.Bold)
	for _, r := range rej {
		s.rejected++
		id := ""
		if r.id != "" {
			id = fmt.Sprintf(" (id %q)", r.id)
		}
		fmt.Fprintf(s.s.Out, "%s %s:%d%s: %s: %s\n", red("rejected"), s.name, r.line, id, r.code, r.reason)
	}
	s.progress.sent(s.sent, batch[len(batch)-1].end)
	return nil
}

// send sends the events of batch that are JSON objects as one request;
// when the runtime answers that it takes fewer events at once, it sends
// each half, and lowers the batch size for the rest of the run.
func (s *sender) send(ctx context.Context, batch []event, rej *[]rejection) error {
	var body bytes.Buffer
	var sent []event // by the runtime's index
	for _, ev := range batch {
		if ev.bad != "" {
			*rej = append(*rej, rejection{line: ev.line, code: string(events.CodeMalformed), reason: ev.bad})
			continue
		}
		body.Write(ev.text)
		body.WriteByte('\n')
		sent = append(sent, ev)
	}
	if len(sent) == 0 {
		return nil
	}
	res, err := sendWithRetry(ctx, s.c, body.Bytes())
	var e *client.Error
	if errors.As(err, &e) && e.Status == 413 && len(sent) > 1 {
		if half := len(sent) / 2; half < s.batch {
			s.progress.clear()
			fmt.Fprintf(s.s.Err, "Note: the runtime refused %d events in one request as too many: sending at most %d at a time.\n", len(sent), half)
			s.batch = half
		}
		half := len(sent) / 2
		if err := s.send(ctx, sent[:half], rej); err != nil {
			return err
		}
		return s.send(ctx, sent[half:], rej)
	}
	if err != nil {
		return err
	}
	s.total.Accepted += res.Accepted
	s.total.Duplicates += res.Duplicates
	s.total.Dropped += res.Dropped
	for _, r := range res.Rejected {
		line := 0
		if r.Index >= 0 && r.Index < len(sent) {
			line = sent[r.Index].line
		}
		*rej = append(*rej, rejection{line: line, id: r.ID, code: string(r.Code), reason: r.Reason})
	}
	return nil
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

// isTerminal reports whether r is a terminal: events typed by hand get no
// progress bar.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
