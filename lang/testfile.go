package lang

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/lang/schema"
)

// SuffixTest is the suffix of test files, read by waymark test beside the
// configuration.
const SuffixTest = ".wmtest.hcl"

// DefaultTestStart is when a test starts without `start`.
var DefaultTestStart = time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)

// Tests are the scenario tests of a directory's *.wmtest.hcl files.
type Tests struct {
	Files []string
	// Sources holds the text of each file read, for diagnostics.
	Sources map[string][]byte
	Tests   []*Test
}

// Test is one test block.
type Test struct {
	Name        string
	Description string
	Start       time.Time
	// RealProviders runs the channels' providers instead of the
	// recording sink.
	RealProviders bool
	// Vars are the variables the test sets, by name, as JSON.
	Vars      map[string]json.RawMessage
	Customers []*TestCustomer
	Steps     []*Step
	DeclRange hcl.Range
}

// TestCustomer is a customer block: traits as a JSON object.
type TestCustomer struct {
	ID        string
	Traits    json.RawMessage
	DeclRange hcl.Range
}

// StepKind says what a step does.
type StepKind string

// The step kinds, named as their blocks.
const (
	StepEvent    StepKind = "event"
	StepExpect   StepKind = "expect"
	StepDecision StepKind = "expect_decision"
	StepDelivery StepKind = "expect_delivery"
	StepKPI      StepKind = "expect_kpi"
	StepAlert    StepKind = "expect_alert"
)

// Step is an event or an expectation, at its time. The fields that its
// kind's block has are set.
type Step struct {
	Kind StepKind
	At   time.Time

	Customer string
	Journey  string
	Channel  string
	Action   string
	KPI      string
	// Treatment is expect_delivery's treatment, "" for any.
	Treatment string

	// event
	Type       string
	Attributes json.RawMessage
	Traits     json.RawMessage

	// expect: Stage is nil when not checked.
	Stage *string
	State string

	// expect_decision
	Context json.RawMessage
	Actions []string
	Explain bool

	// expect_delivery, expect_alert
	Sent   bool
	Fields map[string]string
	// Variant is the experiment variant an expect_delivery wants, "" for
	// any.
	Variant string

	// expect_kpi
	Value     *float64
	Tolerance float64
	// Samples is how many samples the KPI's value must be over, nil for
	// any.
	Samples *int64

	// DeclRange is the block's header; Ranges has each attribute's.
	DeclRange hcl.Range
	Ranges    map[string]hcl.Range
}

// Range is the range of attribute name when the block sets it, else the
// block's header.
func (s *Step) Range(name string) hcl.Range {
	if r, ok := s.Ranges[name]; ok {
		return r
	}
	return s.DeclRange
}

// FindTestFiles lists the test files of dir in lexical order.
func FindTestFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading test directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && !strings.HasPrefix(n, ".") && strings.HasSuffix(n, SuffixTest) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// LoadTests reads the *.wmtest.hcl files of dir. It checks their form
// (blocks, attributes, types, times); whether the names they use exist in
// the configuration is found when they run.
func LoadTests(dir string) (*Tests, hcl.Diagnostics) {
	files, err := FindTestFiles(dir)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the tests", Detail: err.Error()}}
	}
	out := &Tests{Files: files, Sources: map[string][]byte{}}
	var diags hcl.Diagnostics
	names := map[string]hcl.Range{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read a test file", Detail: err.Error()})
			continue
		}
		if len(src) > MaxFileSize {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Test file too large", Detail: fmt.Sprintf("%s has %d bytes; at most %d are read.", f, len(src), MaxFileSize)})
			continue
		}
		out.Sources[f] = src
		ts, ds := ParseTests(f, src)
		diags = append(diags, ds...)
		for _, t := range ts {
			if prev, dup := names[t.Name]; dup {
				diags = append(diags, errorf(rngPtr(t.DeclRange), "Duplicate test", "A test named %q is already declared at %s.", t.Name, at(prev)))
				continue
			}
			names[t.Name] = t.DeclRange
			out.Tests = append(out.Tests, t)
		}
	}
	return out, diags
}

// ParseTests decodes one test file's text.
func ParseTests(filename string, src []byte) ([]*Test, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	d := &testDecoder{}
	top := schema.TestFile()
	c, ds := f.Body.Content(top.BodySchema())
	d.diags = append(diags, ds...)
	var out []*Test
	for _, b := range c.Blocks {
		if t := d.test(b, top.Block("test")); t != nil {
			out = append(out, t)
		}
	}
	return out, d.diags
}

type testDecoder struct{ diags hcl.Diagnostics }

func (d *testDecoder) add(diag *hcl.Diagnostic) { d.diags = append(d.diags, diag) }

func (d *testDecoder) test(b *hcl.Block, blk *schema.Block) *Test {
	t := &Test{Name: b.Labels[0], Start: DefaultTestStart, DeclRange: b.DefRange}
	if strings.TrimSpace(t.Name) == "" {
		d.add(errorf(rngPtr(labelRange(b)), "Invalid test name", "A test needs a name."))
	}
	c, ds := b.Body.Content(blk.BodySchema())
	d.diags = append(d.diags, ds...)
	if a := c.Attributes["description"]; a != nil {
		t.Description, _ = d.str(a)
	}
	if a := c.Attributes["start"]; a != nil {
		if s, ok := d.str(a); ok {
			st, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				d.add(errorf(rngPtr(a.Expr.Range()), "Invalid start", "start must be an RFC 3339 time such as \"2024-01-01T09:00:00Z\": %s.", err))
			} else {
				t.Start = st.UTC()
			}
		}
	}
	if a := c.Attributes["providers"]; a != nil {
		if s, ok := d.str(a); ok {
			switch s {
			case "sink":
			case "real":
				t.RealProviders = true
			default:
				d.add(errorf(rngPtr(a.Expr.Range()), "Invalid providers", "providers is \"sink\" or \"real\", not %q.", s))
			}
		}
	}
	if a := c.Attributes["vars"]; a != nil {
		if v, ok := d.object(a); ok {
			t.Vars = map[string]json.RawMessage{}
			for k, e := range v.AsValueMap() {
				t.Vars[k], _ = ctyjson.Marshal(e, e.Type())
			}
		}
	}
	now := t.Start
	seen := map[string]hcl.Range{}
	for _, nb := range c.Blocks {
		if nb.Type == "customer" {
			id := nb.Labels[0]
			if prev, dup := seen[id]; dup {
				d.add(errorf(rngPtr(nb.DefRange), "Duplicate customer", "Customer %q is already declared at %s.", id, at(prev)))
				continue
			}
			seen[id] = nb.DefRange
			tc := &TestCustomer{ID: id, DeclRange: nb.DefRange}
			cc, ds := nb.Body.Content(blk.Block("customer").BodySchema())
			d.diags = append(d.diags, ds...)
			if a := cc.Attributes["traits"]; a != nil {
				tc.Traits, _ = d.objectJSON(a)
			}
			t.Customers = append(t.Customers, tc)
			continue
		}
		s := d.step(nb, blk.Block(nb.Type), t.Start, now)
		if s == nil {
			continue
		}
		now = s.At
		t.Steps = append(t.Steps, s)
	}
	return t
}

func (d *testDecoder) step(b *hcl.Block, blk *schema.Block, start, prev time.Time) *Step {
	c, ds := b.Body.Content(blk.BodySchema())
	d.diags = append(d.diags, ds...)
	if ds.HasErrors() {
		return nil
	}
	s := &Step{Kind: StepKind(b.Type), At: prev, DeclRange: b.DefRange, Ranges: map[string]hcl.Range{}, Sent: true, Tolerance: 1e-9}
	for name, a := range c.Attributes {
		s.Ranges[name] = a.Range
	}
	ok := true
	strAttr := func(name string, dst *string) {
		if a := c.Attributes[name]; a != nil {
			v, good := d.str(a)
			ok = ok && good
			*dst = v
		}
	}
	enumAttr := func(name string, dst *string) {
		strAttr(name, dst)
		if a := blk.Attribute(name); a != nil && *dst != "" && len(a.Enum) > 0 {
			for _, e := range a.Enum {
				if e == *dst {
					return
				}
			}
			d.add(errorf(rngPtr(c.Attributes[name].Expr.Range()), "Invalid "+name, "%s is one of %s, not %q.", name, orList(a.Enum), *dst))
			ok = false
		}
	}
	if a := c.Attributes["at"]; a != nil {
		if v, good := d.str(a); good {
			t, err := testTime(v, start)
			switch {
			case err != nil:
				d.add(errorf(rngPtr(a.Expr.Range()), "Invalid time", "%s.", err))
				ok = false
			case t.Before(prev):
				d.add(errorf(rngPtr(a.Expr.Range()), "Time goes back", "This step is at %s, before the step above it (%s): steps run in the order written.", t.Format(time.RFC3339), prev.Format(time.RFC3339)))
				ok = false
			default:
				s.At = t
			}
		} else {
			ok = false
		}
	}
	strAttr("customer", &s.Customer)
	strAttr("journey", &s.Journey)
	strAttr("channel", &s.Channel)
	strAttr("action", &s.Action)
	strAttr("variant", &s.Variant)
	strAttr("treatment", &s.Treatment)
	strAttr("kpi", &s.KPI)
	strAttr("type", &s.Type)
	enumAttr("state", &s.State)
	if a := c.Attributes["stage"]; a != nil {
		v, good := d.str(a)
		ok = ok && good
		s.Stage = &v
	}
	for name, dst := range map[string]*json.RawMessage{"attributes": &s.Attributes, "traits": &s.Traits, "context": &s.Context} {
		if a := c.Attributes[name]; a != nil {
			v, good := d.objectJSON(a)
			ok = ok && good
			*dst = v
		}
	}
	if a := c.Attributes["actions"]; a != nil {
		v, good := d.typed(a, cty.List(cty.String))
		if good && !v.IsNull() {
			s.Actions = []string{}
			for _, e := range v.AsValueSlice() {
				s.Actions = append(s.Actions, e.AsString())
			}
		}
		ok = ok && good
	}
	for name, dst := range map[string]*bool{"explain": &s.Explain, "sent": &s.Sent} {
		if a := c.Attributes[name]; a != nil {
			v, good := d.typed(a, cty.Bool)
			if good {
				*dst = v.True()
			}
			ok = ok && good
		}
	}
	for name, dst := range map[string]*float64{"value": nil, "tolerance": &s.Tolerance} {
		if a := c.Attributes[name]; a != nil {
			v, good := d.typed(a, cty.Number)
			ok = ok && good
			if !good {
				continue
			}
			f, _ := v.AsBigFloat().Float64()
			if dst == nil {
				s.Value = &f
			} else {
				*dst = f
			}
		}
	}
	if a := c.Attributes["samples"]; a != nil {
		v, good := d.typed(a, cty.Number)
		if good {
			n, acc := v.AsBigFloat().Int64()
			if acc != big.Exact || n < 0 {
				d.add(errorf(rngPtr(a.Expr.Range()), "Invalid samples", "samples is a whole number of 0 or more."))
				good = false
			} else {
				s.Samples = &n
			}
		}
		ok = ok && good
	}
	if a := c.Attributes["fields"]; a != nil {
		v, good := d.typed(a, cty.Map(cty.String))
		ok = ok && good
		if good {
			s.Fields = map[string]string{}
			for k, e := range v.AsValueMap() {
				s.Fields[k] = e.AsString()
			}
		}
	}
	switch s.Kind {
	case StepExpect:
		if s.Stage == nil && s.State == "" {
			d.add(errorf(rngPtr(b.DefRange), "Nothing expected", "An expect block checks a stage, a state or both: set stage or state."))
			ok = false
		}
	case StepKPI:
		if s.Value == nil && s.State == "" && s.Samples == nil {
			d.add(errorf(rngPtr(b.DefRange), "Nothing expected", "An expect_kpi block checks a value, its samples, a state or more: set value, samples or state."))
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return s
}

// testTime reads "+2h" (after start) or an RFC 3339 time.
func testTime(s string, start time.Time) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		d, err := funcs.ParseDuration(rest)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a duration after the start such as \"+2h\": %w", s, err)
		}
		return start.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither \"+<duration>\" (such as \"+2h\") nor an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

func (d *testDecoder) value(a *hcl.Attribute) (cty.Value, bool) {
	v, ds := a.Expr.Value(nil)
	if ds.HasErrors() {
		for _, diag := range ds {
			if diag.Summary == "Variables not allowed" || diag.Summary == "Function calls not allowed" {
				diag.Detail = "A test's values are literals: strings, numbers, bools, lists and objects."
			}
		}
		d.diags = append(d.diags, ds...)
		return cty.NilVal, false
	}
	return v, true
}

func (d *testDecoder) typed(a *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	v, ok := d.value(a)
	if !ok {
		return v, false
	}
	c, err := convert.Convert(v, ty)
	if err != nil || (c.IsNull() && ty != cty.DynamicPseudoType) {
		d.add(errorf(rngPtr(a.Expr.Range()), "Incorrect attribute value type", "%s must be %s.", a.Name, typeName(ty)))
		return cty.NilVal, false
	}
	return c, true
}

func (d *testDecoder) str(a *hcl.Attribute) (string, bool) {
	v, ok := d.typed(a, cty.String)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

func (d *testDecoder) object(a *hcl.Attribute) (cty.Value, bool) {
	v, ok := d.value(a)
	if !ok {
		return v, false
	}
	if !(v.Type().IsObjectType() || v.Type().IsMapType()) || v.IsNull() {
		d.add(errorf(rngPtr(a.Expr.Range()), "Incorrect attribute value type", "%s must be an object, such as { name = \"value\" }.", a.Name))
		return cty.NilVal, false
	}
	return v, true
}

func (d *testDecoder) objectJSON(a *hcl.Attribute) (json.RawMessage, bool) {
	v, ok := d.object(a)
	if !ok {
		return nil, false
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		d.add(errorf(rngPtr(a.Expr.Range()), "Invalid value", "%s cannot be sent as JSON: %s.", a.Name, err))
		return nil, false
	}
	return b, true
}
