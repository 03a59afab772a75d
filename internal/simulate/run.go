package simulate

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// GCPercent is the garbage collector's target (GOGC) while Run runs,
// unless the GOGC environment variable sets one.
const GCPercent = 400

// Run replays ev against before (the deployed configuration; nil when
// nothing is) and after (the proposed one), each in its own Runtime, side
// by side, with the clock run on for tail past the latest event, and
// compares the outcomes: plan -simulate.
func Run(ctx context.Context, before, after *deploy.Document, ev *Events, tail time.Duration) (*Report, error) {
	arrival, until := Clock(ev, tail)
	// Two runtimes' worth of state, made and dropped in seconds: the
	// collector runs less often, for memory a batch command can spare.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(GCPercent))
	}
	var b, a *Outcome
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if b, err = Replay(gctx, before, ev, arrival, until); err != nil {
			err = fmt.Errorf("simulating the deployed configuration: %w", err)
		}
		return err
	})
	g.Go(func() (err error) {
		if a, err = Replay(gctx, after, ev, arrival, until); err != nil {
			err = fmt.Errorf("simulating the proposed configuration: %w", err)
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return Compare(ev, arrival, until, b, a), nil
}
