package expr

import "testing"

// FuzzCompile compiles arbitrary source against a fixed environment and
// evaluates what compiles: never a panic, either an error or a value.
func FuzzCompile(f *testing.F) {
	for _, src := range diffExprs {
		f.Add(src)
	}
	for _, src := range []string{
		``, `(`, `"${`, `customer.`, `customer.tags[-1]`, `1/0`, `0/0`, `-(-(-1))`,
		`"%{for x in customer.tags}${x}%{endfor}"`, `context.page[0]`, `[[["a"]]][0][0][0]`,
		`customer.tags[*].x`, `{for k, v in customer : k => v}`, `journey.onboarding`,
		`"\u0000"`, `1E5555551`, `"${"1e999" + 1}"`, `<<EOT
${customer.tier}
EOT
`,
	} {
		f.Add(src)
	}
	env := testEnv()
	a := testActivation(env)
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src, env)
		if err != nil {
			if err.Error() == "" {
				t.Errorf("Compile(%q): an error without a message", src)
			}
		} else {
			v := p.Eval(a)
			p.EvalBool(a)
			p.EvalNumber(a)
			if !v.IsNull() && p.Kind() != KindDynamic && v.Kind() != p.Kind() {
				t.Errorf("%q: a %v value from a program of kind %v", src, v.Kind(), p.Kind())
			}
		}
		if tp, err := CompileTemplate(src, env); err == nil {
			tp.Render(a)
		}
	})
}
