package apiv1_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

var update = flag.Bool("update", false, "rewrite testdata/wire.golden")

// contract is every struct type of the package.
var contract = []any{
	apiv1.ErrorResponse{}, apiv1.ErrorBody{}, apiv1.Problem{}, apiv1.StaleSerial{},
	apiv1.Stack{}, apiv1.Deployment{}, apiv1.DeployRequest{}, apiv1.DeploymentList{}, apiv1.RollbackRequest{},
	apiv1.ImpactRequest{}, apiv1.ImpactList{}, apiv1.Impact{},
	apiv1.IngestResult{}, apiv1.Rejected{}, apiv1.Status{}, apiv1.SegmentCall{}, apiv1.EventPage{}, apiv1.RecordedEvent{},
	apiv1.Customer{}, apiv1.Withheld{}, apiv1.JourneyState{}, apiv1.Timer{}, apiv1.Transition{}, apiv1.DecisionSummary{},
	apiv1.DecideRequest{}, apiv1.Decision{}, apiv1.RankedAction{}, apiv1.Candidate{}, apiv1.DecisionRecord{},
	apiv1.ResponseRequest{}, apiv1.ResponseResult{}, apiv1.ModelList{}, apiv1.Model{}, apiv1.ModelDecile{}, apiv1.ModelPredictor{}, apiv1.ModelBin{},
	apiv1.DeliveryList{}, apiv1.Delivery{}, apiv1.OutcomeRequest{},
	apiv1.TokenRequest{}, apiv1.Token{},
	apiv1.Analytics{}, apiv1.Totals{}, apiv1.FunnelStage{}, apiv1.Path{}, apiv1.ActionReport{}, apiv1.KPI{},
	apiv1.Target{}, apiv1.Hour{},
	apiv1.KPIHoldout{}, apiv1.HoldoutSide{}, apiv1.HoldoutLift{}, apiv1.HoldoutTest{},
	apiv1.OptOut{}, apiv1.UnsubscribeResult{},
	apiv1.Experiment{}, apiv1.Variant{}, apiv1.Rate{}, apiv1.Lift{}, apiv1.VariantTest{},
}

// queries are the contract's query parameter types, as their query
// strings.
var queries = []interface{ Values() url.Values }{
	apiv1.AnalyticsQuery{Window: "30d"},
	apiv1.EventsQuery{After: "12", Limit: 100, Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)},
	apiv1.AnalyticsQuery{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)},
}

var (
	stamp   = time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
	rawType = reflect.TypeFor[json.RawMessage]()
	timeTyp = reflect.TypeFor[time.Time]()
)

// fill sets every field of v, so that no omitempty hides one.
func fill(v reflect.Value) {
	switch {
	case v.Type() == rawType:
		v.SetBytes([]byte(`{"raw":"json"}`))
		return
	case v.Type() == timeTyp:
		v.Set(reflect.ValueOf(stamp))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.Interface:
		v.Set(reflect.ValueOf("any"))
	case reflect.String:
		v.SetString("s")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint64:
		v.SetUint(7)
	case reflect.Float64:
		v.SetFloat(0.25)
	default:
		panic(fmt.Sprintf("fill: no value for %s", v.Type()))
	}
}

// TestWire encodes every contract type with every field set, decodes it
// back strictly and checks that nothing changed, and compares the JSON,
// the codes and the routes with testdata/wire.golden: a change of the
// wire format is a diff of that file (go test -update to accept it).
func TestWire(t *testing.T) {
	var out bytes.Buffer
	for _, zero := range contract {
		typ := reflect.TypeOf(zero)
		v := reflect.New(typ)
		fill(v.Elem())
		enc, err := json.Marshal(v.Interface())
		if err != nil {
			t.Fatalf("%s: %v", typ.Name(), err)
		}
		back := reflect.New(typ)
		dec := json.NewDecoder(bytes.NewReader(enc))
		dec.DisallowUnknownFields()
		if err := dec.Decode(back.Interface()); err != nil {
			t.Errorf("%s does not decode what it encodes: %v", typ.Name(), err)
		}
		if !reflect.DeepEqual(v.Interface(), back.Interface()) {
			t.Errorf("%s changed in a round trip:\n%#v\n%#v", typ.Name(), v.Interface(), back.Interface())
		}
		var indented bytes.Buffer
		json.Indent(&indented, enc, "", "  ")
		fmt.Fprintf(&out, "## %s\n%s\n\n", typ.Name(), indented.Bytes())
	}
	for _, q := range queries {
		fmt.Fprintf(&out, "## %s query\n%s\n\n", reflect.TypeOf(q).Name(), q.Values().Encode())
	}
	decls := constants(t)
	out.WriteString("## constants\n")
	for _, c := range decls {
		out.WriteString(c + "\n")
	}
	path := filepath.Join("testdata", "wire.golden")
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("the wire format differs from %s (go test -update to accept the change); got\n%s", path, out.Bytes())
	}
}

// constants lists the package's constants as "Type Name = value", and
// checks that contract lists every struct type it declares.
func constants(t *testing.T) []string {
	t.Helper()
	listed := map[string]bool{}
	for _, z := range contract {
		listed[reflect.TypeOf(z).Name()] = true
	}
	for _, q := range queries {
		listed[reflect.TypeOf(q).Name()] = true
	}
	var out []string
	for _, f := range sources(t, 0) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gd.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if _, isStruct := s.Type.(*ast.StructType); isStruct && s.Name.IsExported() && !listed[s.Name.Name] {
						t.Errorf("type %s is missing from contract", s.Name.Name)
					}
				case *ast.ValueSpec:
					if gd.Tok != token.CONST {
						continue
					}
					typ := "string"
					if id, ok := s.Type.(*ast.Ident); ok {
						typ = id.Name
					}
					for i, n := range s.Names {
						lit, ok := s.Values[i].(*ast.BasicLit)
						if !ok {
							t.Fatalf("constant %s is not a literal", n.Name)
						}
						out = append(out, fmt.Sprintf("%s %s = %s", typ, n.Name, lit.Value))
					}
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// The contract imports nothing but the standard library.
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	for _, f := range sources(t, parser.ImportsOnly) {
		for _, im := range f.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
				t.Errorf("the contract imports %s: it must import only the standard library", p)
			}
		}
	}
}

// sources parses the package's files but its tests.
func sources(t *testing.T, mode parser.Mode) []*ast.File {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, mode)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}
