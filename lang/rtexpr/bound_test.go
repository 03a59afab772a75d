package rtexpr

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/funcs"
)

// TestOverBudgetWarning: an expression whose worst case, over values as
// large as the runtime takes, is over the evaluation budget gets a warning
// on the call that costs most; everyday expressions get none.
func TestOverBudgetWarning(t *testing.T) {
	sc := testScope()
	sc.Functions = funcs.Runtime()
	tests := []struct {
		src  string
		warn string // the text the warning's subject starts with; "" for none
		what string // in the detail
	}{
		{`join(event.currency, split("", event.currency)) == ""`, `join(`, "build about 4"},
		{`replace(customer.first_name, "", customer.first_name) != ""`, `replace(`, "GiB"},
		// The substring read could be a pattern "/.../", whose automaton
		// runs over the string for each of its bytes.
		{`replace(customer.first_name, customer.tier, "x") != ""`, `replace(`, "steps of work"},
		{`replace(customer.first_name, ",", "x") != ""`, ``, ""},
		{`length(split(",", customer.first_name)) > 2`, ``, ""},
		{`format(customer.tier, 1) == ""`, `format(`, "unbounded"},
		{`"${upper(customer.first_name)}-${event.currency}" == "x"`, ``, ""},
		{`contains(customer.tags, lower(context.page)) && event.cart_value > 20`, ``, ""},
		{`indent(event.cart_value, customer.tier) == ""`, `indent(`, "unbounded"},
		{`substr(join(",", customer.tags), 0, 10) == ""`, ``, ""},
	}
	for _, tt := range tests {
		e, diags := parse(tt.src)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		_, diags = Expression(e, sc, nil, cty.Bool)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tt.src, diags)
		}
		var warns []string
		for _, d := range diags {
			warns = append(warns, d.Summary+": "+d.Detail)
			if tt.warn == "" {
				continue
			}
			start, end := d.Subject.Start.Byte, d.Subject.End.Byte
			if got := tt.src[start:end]; !strings.HasPrefix(got, tt.warn) || !strings.Contains(d.Detail, tt.what) || !strings.Contains(d.Detail, "the entry condition") {
				t.Errorf("%s: a warning on %q: %s", tt.src, got, d.Detail)
			}
		}
		if (tt.warn != "") != (len(warns) == 1) || len(warns) > 1 {
			t.Errorf("%s: warnings %q", tt.src, warns)
		}
	}
	// A smaller budget of the caller's.
	sc.Bounds = &Bounds{Bytes: 10000}
	e, _ := parse(`lower(customer.tier) == "gold"`)
	if _, diags := Expression(e, sc, nil, cty.Bool); len(diags) != 1 || diags[0].Summary != "Expression can go over its evaluation budget" {
		t.Errorf("with a budget of 10000 bytes: %v", diags)
	}
}

// TestOverBudgetTemplate: message templates are checked too.
func TestOverBudgetTemplate(t *testing.T) {
	sc := testScope()
	sc.Functions = funcs.Runtime()
	sc.What = "message.body"
	e, _ := parse(`"Hi ${replace(customer.first_name, "", customer.tier)}"`)
	_, diags := Template(e, sc, nil)
	if len(diags) != 1 || diags.HasErrors() || !strings.Contains(diags[0].Detail, "a message fails to render") {
		t.Errorf("template: %v", diags)
	}
}
