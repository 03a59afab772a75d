package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/waymarkhq/waymark/lang/limits"
	"github.com/waymarkhq/waymark/lang/rtexpr"
	"github.com/waymarkhq/waymark/lang/schema"
)

// VarsFileSuffix is the suffix of variable files; *.auto.wmvars files in
// the configuration directory are read automatically.
const (
	VarsFileSuffix     = ".wmvars"
	AutoVarsFileSuffix = ".auto.wmvars"
	VarEnvPrefix       = "WAYMARK_VAR_"
)

// varValue is a value set for a variable, with where it was set.
type varValue struct {
	Val   cty.Value      // a module input's value; cty.NilVal otherwise
	Expr  hcl.Expression // nil for a raw string
	Raw   string
	Range *hcl.Range // nil when set on the command line or the environment
	From  string     // "-var", "WAYMARK_VAR_x", a file name
}

func (l *loader) decodeVariables(blocks []*hcl.Block) {
	sch := schema.File().Block("variable")
	for _, b := range blocks {
		name := b.Labels[0]
		if !l.checkIdent(name, labelRange(b), "variable") {
			continue
		}
		if prev, dup := l.cfg.Variables[name]; dup {
			l.add(errorf(rngPtr(labelRange(b)), "Duplicate variable", "variable %q was already declared at %s.", name, at(prev.DeclRange)))
			continue
		}
		c := l.content(b.Body, sch)
		v := &Variable{Name: name, Type: cty.DynamicPseudoType, Default: cty.NilVal, Nullable: true, DeclRange: b.DefRange, literal: true}
		if a := c.Attributes["type"]; a != nil {
			ty, diags := typeexpr.TypeConstraint(a.Expr)
			l.addAll(diags)
			if !diags.HasErrors() {
				v.Type = ty
				v.literal = ty.IsPrimitiveType()
			}
		}
		if a := c.Attributes["description"]; a != nil {
			v.Description, _ = l.str(a, "description")
		}
		if a := c.Attributes["sensitive"]; a != nil {
			v.Sensitive, _ = l.boolean(a, "sensitive")
		}
		if a := c.Attributes["nullable"]; a != nil {
			v.Nullable, _ = l.boolean(a, "nullable")
		}
		if a := c.Attributes["default"]; a != nil {
			if len(a.Expr.Variables()) > 0 {
				l.add(errorf(rngPtr(a.Expr.Range()), "Variables not allowed", "A variable's default must be a literal value; it cannot refer to other values."))
			} else if d := l.configValue(a.Expr, "The default of variable "+name); d != cty.NilVal {
				cv, err := convert.Convert(d, v.Type)
				if err != nil {
					l.add(errorf(rngPtr(a.Expr.Range()), "Invalid default value for variable", "This default cannot be used for variable %q: %s.", name, err))
				} else {
					v.Default = cv
				}
			}
		}
		for _, vb := range c.Blocks {
			vc := l.content(vb.Body, sch.Block("validation"))
			if vc.Attributes["condition"] == nil || vc.Attributes["error_message"] == nil {
				continue
			}
			cond := vc.Attributes["condition"]
			refsSelf := false
			for _, t := range cond.Expr.Variables() {
				if t.RootName() == "var" && len(t) > 1 {
					if a, ok := t[1].(hcl.TraverseAttr); ok && a.Name == name {
						refsSelf = true
					}
				}
			}
			if !refsSelf {
				l.add(errorf(rngPtr(cond.Expr.Range()), "Invalid variable validation condition", "The condition for variable %q must refer to var.%s.", name, name))
				continue
			}
			v.Validations = append(v.Validations, &VariableValidation{Condition: cond.Expr, ErrorMessage: vc.Attributes["error_message"].Expr, DeclRange: vb.DefRange})
		}
		l.cfg.Variables[name] = v
	}
	l.assignVariables()
}

// assignVariables gathers the values set for variables, from lowest
// precedence to highest: environment, *.auto.wmvars in lexical order, then
// -var and -var-file in the order given.
func (l *loader) assignVariables() {
	set := map[string]varValue{}
	if l.module != "" {
		l.moduleInputs(set)
	}
	env := l.opts.Environ
	sort.Strings(env)
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, VarEnvPrefix) {
			continue
		}
		name := strings.TrimPrefix(k, VarEnvPrefix)
		if _, declared := l.cfg.Variables[name]; !declared {
			continue // the environment holds values for other configurations too
		}
		set[name] = varValue{Raw: v, From: k}
	}
	entries, _ := os.ReadDir(l.dir)
	if l.module != "" {
		entries = nil // a module's variables are its inputs
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), AutoVarsFileSuffix) {
			l.readVarsFile(filepath.Join(l.dir, e.Name()), set, false)
		}
	}
	for _, a := range l.opts.Vars {
		if a.File != "" {
			l.readVarsFile(a.File, set, true)
			continue
		}
		if _, declared := l.cfg.Variables[a.Name]; !declared {
			l.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Value for undeclared variable",
				Detail: fmt.Sprintf("A variable named %q was set with -var, but the configuration declares no such variable.%s", a.Name, l.suggestName(a.Name, l.variableNames))})
			continue
		}
		set[a.Name] = varValue{Raw: a.Value, From: "-var"}
	}

	values := map[string]cty.Value{}
	for _, name := range keys(l.cfg.Variables) {
		v := l.cfg.Variables[name]
		val, ok := l.variableValue(v, set)
		if !ok {
			values[name] = cty.UnknownVal(v.Type)
			continue
		}
		if v.Sensitive {
			val = val.Mark(rtexpr.SensitiveMark)
		}
		values[name] = val
	}
	l.s.setVars(values)
	l.cfg.VariableValues = values
	for _, name := range keys(l.cfg.Variables) {
		l.validateVariable(l.cfg.Variables[name], set[name])
	}
}

func (l *loader) readVarsFile(path string, set map[string]varValue, explicit bool) {
	f := l.parse(path)
	if f == nil {
		return
	}
	attrs, diags := f.Body.JustAttributes()
	l.addAll(diags)
	for _, name := range keys(attrs) {
		a := attrs[name]
		if _, declared := l.cfg.Variables[name]; !declared {
			// As Terraform: a file may hold values for other configurations.
			l.add(warnf(rngPtr(a.NameRange), "Value for undeclared variable",
				"The file sets %q, but the configuration declares no such variable; the value is ignored.%s", name, l.suggestName(name, l.variableNames)))
			continue
		}
		if len(a.Expr.Variables()) > 0 {
			l.add(errorf(rngPtr(a.Expr.Range()), "Variables not allowed", "A variable file holds literal values; it cannot refer to other values."))
			continue
		}
		set[name] = varValue{Expr: a.Expr, Range: rngPtr(a.Expr.Range()), From: l.displayName(path)}
	}
	_ = explicit
}

func (l *loader) variableValue(v *Variable, set map[string]varValue) (cty.Value, bool) {
	src, ok := set[v.Name]
	if !ok {
		if v.Default == cty.NilVal && l.module != "" {
			l.add(errorf(rngPtr(l.call), "Missing required argument",
				"Module %q needs a value for its variable %q, which has no default: set %s = ... in the module block.", l.moduleName, v.Name, v.Name))
			return cty.NilVal, false
		}
		if v.Default == cty.NilVal {
			l.add(errorf(rngPtr(v.DeclRange), "No value for required variable",
				"The variable %q has no default, so it must be set: -var '%s=...', a -var-file, a *%s file or %s%s.", v.Name, v.Name, AutoVarsFileSuffix, VarEnvPrefix, v.Name))
			return cty.NilVal, false
		}
		return v.Default, true
	}
	var raw cty.Value
	if src.Val != cty.NilVal {
		raw = src.Val
	} else if src.Expr != nil {
		val, diags := limits.Eval(src.Expr, nil, l.budget)
		l.addAll(diags)
		if diags.HasErrors() {
			return cty.NilVal, false
		}
		raw = val
	} else if v.literal {
		// As Terraform: a value on the command line or in the environment
		// for a variable of no type or a primitive type is taken as a
		// string, and converted.
		raw = cty.StringVal(src.Raw)
	} else {
		var diags hcl.Diagnostics
		if d := limits.CheckNesting([]byte(src.Raw), src.From, hcl.InitialPos, limits.Expression); d != nil {
			diags = hcl.Diagnostics{d}
		} else {
			var expr hclsyntax.Expression
			expr, diags = hclsyntax.ParseExpression([]byte(src.Raw), src.From, hcl.InitialPos)
			if !diags.HasErrors() {
				var vd hcl.Diagnostics
				raw, vd = limits.Eval(expr, nil, l.budget)
				diags = append(diags, vd...)
			}
		}
		if diags.HasErrors() {
			l.add(errorf(nil, "Invalid value for variable", "The value of %q from %s is not a valid expression: %s.", v.Name, src.From, diags.Error()))
			return cty.NilVal, false
		}
	}
	if raw.IsNull() {
		if !v.Nullable {
			l.add(errorf(src.Range, "Invalid value for variable", "The variable %q is not nullable, but %s sets it to null.", v.Name, src.From))
			return cty.NilVal, false
		}
		return cty.NullVal(v.Type), true
	}
	val, err := convert.Convert(raw, v.Type)
	if err != nil {
		l.add(errorf(src.Range, "Invalid value for variable", "The value of %q set by %s is not suitable: %s.", v.Name, src.From, err))
		return cty.NilVal, false
	}
	return val, true
}

func (l *loader) validateVariable(v *Variable, src varValue) {
	for _, val := range v.Validations {
		res, diags := limits.Eval(val.Condition, l.s.eval, l.budget)
		if diags.HasErrors() {
			l.addAll(diags)
			continue
		}
		res, _ = res.Unmark()
		if !res.IsKnown() {
			continue // the value itself was wrong, and reported
		}
		if res.IsNull() || res.Type() != cty.Bool {
			l.add(errorf(rngPtr(val.Condition.Range()), "Invalid variable validation result", "The condition must be true or false."))
			continue
		}
		if res.True() {
			continue
		}
		msg, md := limits.Eval(val.ErrorMessage, l.s.eval, l.budget)
		text := "The value is not valid."
		if !md.HasErrors() {
			if m, _ := msg.Unmark(); m.Type() == cty.String && !m.IsNull() && m.IsKnown() {
				text = m.AsString()
			}
		}
		subject := src.Range
		if subject == nil {
			subject = rngPtr(v.DeclRange)
		}
		from := ""
		if src.From != "" {
			from = fmt.Sprintf(" (set by %s)", src.From)
		}
		l.add(errorf(subject, "Invalid value for variable",
			"%s\n\nThis was checked by the validation rule at %s%s.", text, at(val.DeclRange), from))
	}
}

// moduleInputs sets a module's variables from its module block, refusing
// inputs it does not declare.
func (l *loader) moduleInputs(set map[string]varValue) {
	for _, k := range keys(l.inputs) {
		in := l.inputs[k]
		if _, declared := l.cfg.Variables[k]; !declared {
			l.add(errorf(rngPtr(in.rng), "Unsupported argument",
				"Module %q declares no variable %q.%s", l.moduleName, k, l.suggestName(k, l.variableNames)))
			continue
		}
		rng := in.rng
		set[k] = varValue{Val: in.val, Range: &rng, From: l.module}
	}
}
