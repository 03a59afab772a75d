// Command evalmodels evaluates the runtime's adaptive models (make
// eval-models): on generated responses by default, or on a CSV or JSON
// Lines file given with -data, replayed in time order.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/waymarkhq/waymark/internal/modeleval"
	"github.com/waymarkhq/waymark/runtime/models"
)

func main() {
	data := flag.String("data", "", "A CSV (with a header) or JSON Lines file of responses in time order; without it, generated responses.")
	label := flag.String("label", "y", "The column or field holding the outcome (1/0, true/false, yes/no).")
	n := flag.Int("n", 60000, "How many responses to generate.")
	seed := flag.Uint64("seed", 1, "The generator's seed.")
	train := flag.Float64("train", 0.7, "The share of responses, from the first, to train on.")
	halfLife := flag.Int("half-life-responses", 4000, "The model's half-life in responses; 0 for none.")
	flag.Parse()
	var rows []modeleval.Row
	var err error
	switch {
	case *data == "":
		for _, shift := range []bool{false, true} {
			rows = modeleval.Generate(*n, *seed, shift)
			what := "stationary"
			if shift {
				what = "the plan's effect reversed half-way"
			}
			fmt.Printf("%d generated responses (seed %d), true probabilities known: %s\n", *n, *seed, what)
			res, err := modeleval.Evaluate(rows, modeleval.Options{TrainShare: *train, Settings: models.Settings{HalfLifeResponses: *halfLife}})
			if err != nil {
				fail(err)
			}
			res.Print(os.Stdout)
			fmt.Println()
		}
		return
	default:
		f, e := os.Open(*data)
		if e != nil {
			fail(e)
		}
		if strings.HasSuffix(*data, ".jsonl") || strings.HasSuffix(*data, ".ndjson") {
			rows, err = modeleval.ReadJSONL(f, *label)
		} else {
			rows, err = modeleval.ReadCSV(f, *label)
		}
		f.Close()
		if err != nil {
			fail(fmt.Errorf("%s: %w", *data, err))
		}
		fmt.Printf("%d responses from %s\n", len(rows), *data)
	}
	res, err := modeleval.Evaluate(rows, modeleval.Options{TrainShare: *train, Settings: models.Settings{HalfLifeResponses: *halfLife}})
	if err != nil {
		fail(err)
	}
	res.Print(os.Stdout)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "evalmodels:", err)
	os.Exit(1)
}
