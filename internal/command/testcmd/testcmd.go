// Package testcmd implements waymark test: load the configuration and the
// *.wmtest.hcl files beside it, run each test in its own in-memory runtime
// on the event clock (internal/wmtest), and report as go test does: a
// line per test, each failed expectation with its source range and what
// was wanted and got, and a summary with the time taken. -json prints
// go test -json's event stream, -junit writes JUnit XML for CI.
package testcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/wmtest"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/provschema"
)

// Options are test's inputs.
type Options struct {
	Dir     string
	Run     string
	JSON    bool
	JUnit   string
	Explain bool
	Vars    cfgload.Vars
	// Providers overrides the provider schemas (tests); nil uses the real
	// providers.
	Providers provschema.Source
}

// New returns the test command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the scenario tests of the configuration (*.wmtest.hcl)",
		Long: `Test runs the tests of the *.wmtest.hcl files beside the configuration (the
current directory by default). Each test runs in its own in-memory runtime on
the event clock with the configuration deployed: its customers and events are
sent, and its expectations checked at their times (a customer's stage or
state, a decision's ranked actions, deliveries and their rendered fields, KPI
values and states, alerts). The channels' providers are replaced by a
recording sink unless the test says providers = "real". docs/testing.md
describes the test language.

Output is as go test's: --- PASS or --- FAIL per test with each failed
expectation's range, what was wanted and what happened, then ok or FAIL with
the time the run took. Exit status 0 when every test passes, 1 otherwise.`,
		Example: `  waymark test
  waymark test -run 'reminder' -explain examples/cart-recovery
  waymark test -json | jq -c 'select(.Action == "fail")'
  waymark test -junit report.xml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Run, "run", "", "Run only the tests whose name matches this regular expression.")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print one JSON object per event, as go test -json does (Time, Action, Package, Test, Elapsed, Output), with Failures on a failed test's fail event.")
	cmd.Flags().StringVar(&opts.JUnit, "junit", "", "Also write the results as JUnit XML to this file.")
	cmd.Flags().BoolVar(&opts.Explain, "explain", false, "Print every decision's candidates with the reason each was kept or dropped, also for passing tests.")
	opts.Vars.AddFlags(cmd.Flags())
	return cmd
}

// Run runs the tests and reports.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	began := time.Now()
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	var re *regexp.Regexp
	if opts.Run != "" {
		var err error
		if re, err = regexp.Compile(opts.Run); err != nil {
			return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("-run: %w", err)}
		}
	}
	tests, diags := lang.LoadTests(dir)
	if diags.HasErrors() {
		var src cmdutil.Sources
		if tests != nil {
			src = tests.Sources
		}
		s.WriteDiagnostics(s.Err, diags, src)
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	rep := newReporter(s.Out, dir, opts.JSON)
	if len(tests.Tests) == 0 {
		rep.noTests()
		return nil
	}
	cfg, diags := cfgload.Load(ctx, s, cfgload.Options{Dir: dir, Vars: opts.Vars.Args, Providers: opts.Providers})
	if diags.HasErrors() {
		s.WriteDiagnostics(s.Err, diags, cfgload.Sources(cfg))
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	env, err := cfgload.EnvFor(s, dir)
	if err != nil {
		return err
	}
	wopts := wmtest.Options{Config: cfg, Providers: &env, Explain: opts.Explain,
		Load: func(ctx context.Context, vars []lang.VarArg) (*lang.Config, hcl.Diagnostics) {
			all := append(append([]lang.VarArg(nil), opts.Vars.Args...), vars...)
			return cfgload.Load(ctx, s, cfgload.Options{Dir: dir, Vars: all, Providers: opts.Providers})
		}}
	var results []*wmtest.Result
	for _, t := range tests.Tests {
		if re != nil && !re.MatchString(t.Name) {
			continue
		}
		rep.run(t)
		res := wmtest.Run(ctx, t, wopts)
		rep.result(res) // with what kept the test from running, if anything
		results = append(results, res)
	}
	elapsed := time.Since(began)
	failed := rep.summary(results, elapsed)
	if opts.JUnit != "" {
		if err := writeJUnit(opts.JUnit, dir, results, elapsed); err != nil {
			return fmt.Errorf("-junit: %w", err)
		}
	}
	if failed {
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	return nil
}

// reporter prints the run as text or as go test -json events.
type reporter struct {
	w    io.Writer
	pkg  string
	json bool
	enc  *json.Encoder
}

func newReporter(w io.Writer, dir string, asJSON bool) *reporter {
	pkg := filepath.ToSlash(filepath.Clean(dir))
	return &reporter{w: w, pkg: pkg, json: asJSON, enc: json.NewEncoder(w)}
}

// event is one line of -json, as go test -json's test2json events, with
// Failures added to a failed test's fail event.
type event struct {
	Time     time.Time  `json:"Time"`
	Action   string     `json:"Action"`
	Package  string     `json:"Package"`
	Test     string     `json:"Test,omitempty"`
	Elapsed  *float64   `json:"Elapsed,omitempty"`
	Output   string     `json:"Output,omitempty"`
	Failures []jfailure `json:"Failures,omitempty"`
}

type jfailure struct {
	Kind    string   `json:"kind"`
	Range   string   `json:"range"`
	What    string   `json:"what"`
	Want    string   `json:"want"`
	Got     string   `json:"got"`
	Explain []string `json:"explain,omitempty"`
}

func (r *reporter) emit(e event) {
	e.Time = time.Now()
	e.Package = r.pkg
	_ = r.enc.Encode(e)
}

func (r *reporter) print(test, line string) {
	if r.json {
		r.emit(event{Action: "output", Test: test, Output: line + "\n"})
		return
	}
	fmt.Fprintln(r.w, line)
}

func (r *reporter) noTests() {
	if r.json {
		r.emit(event{Action: "skip", Output: "no test files"})
		return
	}
	fmt.Fprintf(r.w, "?   \t%s\t[no test files]\n", r.pkg)
}

func (r *reporter) run(t *lang.Test) {
	if r.json {
		r.emit(event{Action: "run", Test: t.Name})
	}
}

func (r *reporter) result(res *wmtest.Result) {
	name := res.Test.Name
	status := "PASS"
	if !res.Passed() {
		status = "FAIL"
	}
	r.print(name, fmt.Sprintf("--- %s: %s (%.2fs)", status, name, res.Elapsed.Seconds()))
	for _, d := range res.Diags {
		where := ""
		if d.Subject != nil {
			where = d.Subject.String() + ": "
		}
		r.print(name, fmt.Sprintf("    %s%s: %s", where, d.Summary, d.Detail))
	}
	var jf []jfailure
	for _, f := range res.Failures {
		for _, l := range failureLines(f) {
			r.print(name, l)
		}
		jf = append(jf, jfailure{Kind: string(f.Kind), Range: f.Range.String(), What: f.What, Want: f.Want, Got: f.Got, Explain: f.Explain})
	}
	for _, l := range res.Logs {
		r.print(name, "    "+l)
	}
	if r.json {
		el := res.Elapsed.Seconds()
		action := "pass"
		if !res.Passed() {
			action = "fail"
		}
		r.emit(event{Action: action, Test: name, Elapsed: &el, Failures: jf})
	}
}

func failureLines(f *wmtest.Failure) []string {
	out := []string{
		fmt.Sprintf("    %s: %s", f.Range.String(), f.What),
		"        want: " + f.Want,
		"         got: " + f.Got,
	}
	if len(f.Explain) > 0 {
		out = append(out, "        candidates:")
		for _, e := range f.Explain {
			out = append(out, "          "+e)
		}
	}
	return out
}

// summary prints PASS or FAIL and the ok/FAIL line with the time the whole
// run took; it reports whether a test failed.
func (r *reporter) summary(results []*wmtest.Result, elapsed time.Duration) bool {
	failed := 0
	for _, res := range results {
		if !res.Passed() {
			failed++
		}
	}
	sec := elapsed.Seconds()
	counts := fmt.Sprintf("%d tests", len(results))
	if len(results) == 1 {
		counts = "1 test"
	}
	if failed > 0 {
		counts = fmt.Sprintf("%d of %d tests failed", failed, len(results))
	}
	if r.json {
		action := "pass"
		if failed > 0 {
			action = "fail"
		}
		r.emit(event{Action: action, Elapsed: &sec, Output: counts})
		return failed > 0
	}
	if failed > 0 {
		fmt.Fprintln(r.w, "FAIL")
		fmt.Fprintf(r.w, "FAIL\t%s\t%.3fs\t(%s)\n", r.pkg, sec, counts)
	} else {
		fmt.Fprintln(r.w, "PASS")
		fmt.Fprintf(r.w, "ok  \t%s\t%.3fs\t(%s)\n", r.pkg, sec, counts)
	}
	return failed > 0
}
