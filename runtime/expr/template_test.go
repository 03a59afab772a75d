package expr

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

func TestRender(t *testing.T) {
	env := testEnv()
	env.Event = ""
	a := testActivation(env)
	tests := []struct {
		src, want, err string
	}{
		{src: `Hi ${customer.first_name}, you left something behind`, want: "Hi Ada, you left something behind"},
		{src: `${customer.first_name}`, want: "Ada"},
		{src: `${customer.age} years, opted in: ${customer.email_opt_in}`, want: "37 years, opted in: true"},
		{src: `%{if segment.vip}Dear VIP%{else}Hello%{endif} ${upper(customer.first_name)}`, want: "Dear VIP ADA"},
		{src: `%{for t in customer.tags}[${t}]%{endfor}`, want: "[vip][new]"},
		{src: `Stage: ${journey.onboarding.stage}, page ${context.page}`, want: "Stage: welcome, page checkout"},
		{src: `$${literal} and %%{not a directive}`, want: "${literal} and %{not a directive}"},
		{src: "e\u0301${customer.first_name}", want: "\u00e9Ada"},
		{src: `Your email: ${customer.email}`, err: "1:15: invalid template interpolation value: the value is null"},
		{src: "line one\n${customer.tags}", err: "2:3: the interpolation could not be evaluated"},
		{src: `${customer.age > context.device ? "a" : "b"}`, err: "1:3: the interpolation could not be evaluated"},
	}
	for _, tt := range tests {
		tp, err := CompileTemplate(tt.src, env)
		if err != nil {
			t.Errorf("CompileTemplate(%q): %v", tt.src, err)
			continue
		}
		got, err := tp.Render(a)
		switch {
		case tt.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.err)):
			t.Errorf("Render(%q) = %q, %v; want the error %q", tt.src, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("Render(%q) = %q, %v; want %q", tt.src, got, err, tt.want)
		}
	}
}

func TestCompileTemplateErrors(t *testing.T) {
	env := testEnv()
	env.Event = ""
	for _, src := range []string{
		`Hi ${customer.first_nam}`,
		`Hi ${event.amount}`,
		`%{if segment.vip}unterminated`,
		`${` + strings.Repeat("(", MaxDepth) + `1` + strings.Repeat(")", MaxDepth) + `}`,
	} {
		if _, err := CompileTemplate(src, env); err == nil {
			t.Errorf("CompileTemplate(%q) succeeded, want an error", src)
		}
	}
}

// TestRenderDifferential renders templates over random activations and
// compares with HCL's own rendering.
func TestRenderDifferential(t *testing.T) {
	env := testEnv()
	g := &gen{r: rand.New(rand.NewPCG(3, 4)), env: env}
	srcs := []string{
		`Hi ${customer.first_name}, ${event.cart_value} in your cart`,
		`${customer.age}/${customer.email_opt_in}/${context.page}/${context.n}`,
		`%{if customer.email_opt_in}yes%{else}no%{endif}: ${coalesce(customer.email, "-")}`,
		`${customer.tier == "gold" ? "Dear VIP" : "Hello"} ${lower(customer.country)}`,
		`%{for t in customer.tags}${t} %{endfor}`,
		`${customer.tags[0]}`,
		`${journey.onboarding.stage}e${"\u0301"}`,
	}
	for _, src := range srcs {
		tp, err := CompileTemplate(src, env)
		if err != nil {
			t.Fatalf("CompileTemplate(%q): %v", src, err)
		}
		e, diags := hclsyntax.ParseTemplate([]byte(src), "", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		for i := 0; i < 2000; i++ {
			a := g.activation()
			want, wantErr := "", true
			if v, diags := e.Value(oracleContext(env, a)); !diags.HasErrors() && !v.IsNull() {
				if s, err := convert.Convert(v, cty.String); err == nil {
					want, wantErr = s.AsString(), false
				}
			}
			got, err := tp.Render(a)
			if (err != nil) != wantErr || got != want {
				t.Errorf("%q, activation %d: Render = %q, %v; HCL gives %q (failing: %v)", src, i, got, err, want, wantErr)
				break
			}
		}
	}
}
