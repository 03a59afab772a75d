// Command demogen writes the demo's event stream for examples/cart-recovery
// as JSON Lines: weeks of shoppers, seeded and deterministic, ending before
// now so that a runtime on the event clock (runtime serve -clock=event)
// accepts every timestamp.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/waymarkhq/waymark/internal/demo/gen"
	"github.com/waymarkhq/waymark/lang/funcs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demogen:", err)
		os.Exit(1)
	}
}

func run() error {
	seed := flag.Uint64("seed", 42, "the seed: one seed, one stream")
	span := flag.String("span", "28d", "how long the stream covers")
	start := flag.String("start", "", "the first moment of the stream (RFC 3339); default: the span before the current day (UTC midnight), so that every run of a day, and of any day, is the same stream shifted by whole days")
	customers := flag.Int("customers", 6000, "how many shoppers")
	incident := flag.Bool("incident", true, "a payment incident in the middle of the span, so that a KPI alert fires and clears")
	out := flag.String("o", "-", "the file to write, - for stdout")
	recount := flag.Bool("recount", false, "print the journey outcomes that the stream should produce on stderr")
	flag.Parse()

	d, err := funcs.ParseDuration(*span)
	if err != nil {
		return fmt.Errorf("-span: %w", err)
	}
	opts := gen.Options{Seed: *seed, Span: d, Customers: *customers, Incident: *incident}
	if *start == "" {
		// Whole days: the stream's times of day, and so quiet hours and
		// the KPIs at each hour boundary, are the same on every run.
		opts.Start = time.Now().UTC().Truncate(24 * time.Hour).Add(-d)
	} else if opts.Start, err = time.Parse(time.RFC3339, *start); err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	evs := gen.Generate(opts)
	if *out == "-" {
		err = gen.Write(os.Stdout, evs)
	} else {
		err = writeFile(*out, evs)
	}
	if err != nil {
		return err
	}
	if *recount && len(evs) > 0 {
		o := gen.Recount(evs, gen.CartRecovery(), time.Time{})
		t := o.Totals(opts.Start, evs[len(evs)-1].Timestamp)
		fmt.Fprintf(os.Stderr, "%d events: %d entries, %d completed, %d exited, %d timed out, %d still in the journey\n",
			len(evs), t.Entries, t.Completed, t.Exited, t.TimedOut, t.Active)
	}
	return nil
}

func writeFile(name string, evs []gen.Event) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := gen.Write(f, evs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
