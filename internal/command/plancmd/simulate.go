package plancmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/simulate"
	"github.com/waymarkhq/waymark/planner/plans"
	"github.com/waymarkhq/waymark/planner/views"
)

// DefaultSimulateTail is how long a simulation runs the clock on past the
// latest event, for the timers the events set to fall due.
const DefaultSimulateTail = 7 * 24 * time.Hour

// Simulate replays the events of file ("-": standard input) against the
// plan's prior (deployed) and desired configurations, each in its own
// in-memory runtime, and compares the outcomes.
func Simulate(ctx context.Context, s *cmdutil.Streams, p *plans.Plan, file string, tail time.Duration) (*simulate.Report, error) {
	var r io.Reader = s.In
	name := "standard input"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("-simulate: %w", err)
		}
		defer f.Close()
		r, name = f, file
	}
	ev, err := simulate.ReadEvents(r, name)
	if err != nil {
		return nil, fmt.Errorf("-simulate: %w", err)
	}
	return simulate.Run(ctx, p.Prior, p.Desired, ev, tail)
}

// withSimulation adds the report to a JSON plan under "simulation", the
// last key.
func withSimulation(plan []byte, rep *simulate.Report) ([]byte, error) {
	b, err := json.MarshalIndent(rep, "  ", "  ")
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimRight(plan, "\n")
	if len(trimmed) == 0 || trimmed[len(trimmed)-1] != '}' {
		return nil, fmt.Errorf("the JSON plan is not an object")
	}
	body := bytes.TrimRight(trimmed[:len(trimmed)-1], "\n ")
	out := append(bytes.Clone(body), []byte(",\n  \"simulation\": ")...)
	out = append(out, b...)
	return append(out, '\n', '}', '\n'), nil
}

// renderSimulated prints the plan and then the simulation's report, or
// the JSON plan with the report under "simulation".
func renderSimulated(s *cmdutil.Streams, p *plans.Plan, rep *simulate.Report, asJSON bool) error {
	if asJSON {
		b, err := views.MarshalJSON(p)
		if err != nil {
			return err
		}
		if b, err = withSimulation(b, rep); err != nil {
			return err
		}
		_, err = s.Out.Write(b)
		return err
	}
	if err := Render(s, p, false); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "\n%s\n\n", rule)
	return rep.WriteText(s.Out)
}
