package testcmd

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/wmtest"
)

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes the results as JUnit XML: one suite for the
// directory, a case per test, a failure per failed test with every
// expectation that did not hold, an error for a test that could not run.
func writeJUnit(path, dir string, results []*wmtest.Result, elapsed time.Duration) error {
	name := filepath.ToSlash(filepath.Clean(dir))
	suite := junitSuite{Name: name, Tests: len(results), Time: fmt.Sprintf("%.3f", elapsed.Seconds())}
	for _, res := range results {
		c := junitCase{Name: res.Test.Name, Classname: name, File: res.Test.DeclRange.Filename, Line: res.Test.DeclRange.Start.Line,
			Time: fmt.Sprintf("%.3f", res.Elapsed.Seconds())}
		if res.Diags.HasErrors() {
			var b strings.Builder
			for _, d := range res.Diags {
				if d.Subject != nil {
					b.WriteString(d.Subject.String() + ": ")
				}
				b.WriteString(d.Summary + ": " + d.Detail + "\n")
			}
			c.Error = &junitProblem{Message: res.Diags[0].Summary, Type: "error", Text: b.String()}
			suite.Errors++
		} else if len(res.Failures) > 0 {
			var b strings.Builder
			for _, f := range res.Failures {
				b.WriteString(strings.Join(failureLines(f), "\n") + "\n")
			}
			f := res.Failures[0]
			c.Failure = &junitProblem{Message: fmt.Sprintf("%s: %s: want %s, got %s", f.Range.String(), f.What, f.Want, f.Got), Type: string(f.Kind), Text: b.String()}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	out, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{suite}}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}
