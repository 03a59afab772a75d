// Command evalmodels evaluates the runtime's adaptive models (make
// eval-models) through a real runtime: it starts waymark runtime serve on
// a loopback port (event clock, no tokens, data in a temporary directory),
// applies a configuration with waymark apply, and replays responses in
// time order over /v1: generated ones by default, or a CSV or JSON Lines
// file given with -data.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/waymarkhq/waymark/internal/modeleval"
	"github.com/waymarkhq/waymark/runtime/models"
)

func main() {
	data := flag.String("data", "", "A CSV (with a header) or JSON Lines file of responses in time order; without it, generated responses.")
	label := flag.String("label", "y", "The column or field holding the outcome (1/0, true/false, yes/no).")
	n := flag.Int("n", 60000, "How many responses to generate.")
	seed := flag.Uint64("seed", 1, "The generator's seed.")
	train := flag.Float64("train", 0.7, "The share of responses, from the first, to train on.")
	halfLife := flag.Int("half-life-responses", 3000, "The models' half-life in responses; 0 for none.")
	bin := flag.String("waymark", "", "The waymark binary to run; without it, one is built with go build.")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *data, *label, *n, *seed, *train, *halfLife, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "evalmodels:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, data, label string, n int, seed uint64, train float64, halfLife int, bin string) error {
	tmp, err := os.MkdirTemp("", "evalmodels")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		if bin, err = modeleval.BuildWaymark(ctx, tmp); err != nil {
			return err
		}
	}
	o := modeleval.Options{TrainShare: train, Settings: models.Settings{HalfLifeResponses: halfLife}}
	eval := func(rows []modeleval.Row) error {
		rt, err := modeleval.StartRuntime(ctx, bin, tmp)
		if err != nil {
			return err
		}
		defer rt.Stop()
		fmt.Printf("replayed through waymark runtime serve at %s (half-life %d responses)\n", rt.Addr, halfLife)
		res, err := modeleval.Evaluate(ctx, rt, rows, o)
		if err != nil {
			return err
		}
		res.Print(os.Stdout)
		return nil
	}
	if data == "" {
		for _, shift := range []bool{false, true} {
			what := "stationary"
			if shift {
				what = "the plan's effect reversed half-way"
			}
			fmt.Printf("%d generated responses (seed %d), true probabilities known: %s\n", n, seed, what)
			if err := eval(modeleval.Generate(n, seed, shift)); err != nil {
				return err
			}
			fmt.Println()
		}
		return nil
	}
	f, err := os.Open(data)
	if err != nil {
		return err
	}
	var rows []modeleval.Row
	if strings.HasSuffix(data, ".jsonl") || strings.HasSuffix(data, ".ndjson") {
		rows, err = modeleval.ReadJSONL(f, label)
	} else {
		rows, err = modeleval.ReadCSV(f, label)
	}
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", data, err)
	}
	fmt.Printf("%d responses from %s\n", len(rows), data)
	return eval(rows)
}
