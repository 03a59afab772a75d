package rtexpr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/waymarkhq/waymark/lang/limits"
)

// templatefileCall resolves templatefile(path, vars) now: the file is read
// and converted with the passed vars, and runtime references in it are
// kept. When the result is constant the call counts as config-time, so that
// an enclosing config-time expression is evaluated whole (through
// templatefileFunc).
func (c *converter) templatefileCall(e *hclsyntax.FunctionCallExpr, depth int) (node, hclsyntax.Expression) {
	bad := &errNode{rng: e.Range()}
	if c.file != nil {
		c.st.errorf(e.NameRange, "Error in function call", "templatefile cannot be called from inside a template file read by templatefile.")
		return bad, nil
	}
	switch {
	case e.ExpandFinal:
		c.st.errorf(e.Args[len(e.Args)-1].Range(), "Invalid function argument", "The arguments of templatefile cannot be expanded with \"...\".")
		return bad, nil
	case len(e.Args) < 2:
		missing := "path"
		if len(e.Args) == 1 {
			missing = "vars"
		}
		c.st.errorf(e.CloseParenRange, "Not enough function arguments", "Function \"templatefile\" expects 2 argument(s). Missing value for %q.", missing)
		return bad, nil
	case len(e.Args) > 2:
		c.st.errorf(e.Args[2].StartRange(), "Too many function arguments", "Function \"templatefile\" expects only 2 argument(s).")
		return bad, nil
	}

	pathExpr := e.Args[0]
	pn, ps := c.convert(pathExpr, depth+1)
	if ps == nil {
		if _, isErr := pn.(*errNode); !isErr {
			c.st.errorf(pathExpr.Range(), "Invalid function argument", "Invalid value for \"path\" parameter: the path must be known when planning, but it refers to runtime values.")
		}
		return bad, nil
	}
	pl, ok := c.fold(ps, false).(*litNode)
	if !ok {
		return bad, nil
	}
	if pl.val.IsNull() || pl.val.Type() != cty.String {
		c.st.errorf(pathExpr.Range(), "Invalid function argument", "Invalid value for \"path\" parameter: a string is required.")
		return bad, nil
	}

	vars, allConst, ok := c.templateVars(e.Args[1], depth+1)
	if !ok {
		return bad, nil
	}
	n := c.renderFile(pl.val.AsString(), pathExpr.Range(), pl.sensitive, vars, depth+1)
	if _, isLit := n.(*litNode); isLit && allConst {
		return nil, e
	}
	return n, nil
}

// templateVars reads the vars argument: an object constructor, whose
// values may refer to run time, or any config-time object or map.
func (c *converter) templateVars(arg hclsyntax.Expression, depth int) (vars map[string]node, allConst, ok bool) {
	vars = map[string]node{}
	allConst = true
	ok = true
	add := func(name string, rng hcl.Range, n node) {
		if !hclsyntax.ValidIdentifier(name) {
			c.st.errorf(rng, "Invalid function argument", "Invalid value for \"vars\" parameter: invalid template variable name %q: must start with a letter, followed by zero or more letters, digits, and underscores.", name)
			ok = false
			return
		}
		vars[name] = n
		if _, isLit := n.(*litNode); !isLit {
			allConst = false
		}
	}
	if oc, isObj := arg.(*hclsyntax.ObjectConsExpr); isObj {
		on, osrc := c.object(oc, depth)
		if osrc != nil {
			on = c.fold(osrc, false)
		}
		switch on := on.(type) {
		case *objNode:
			for _, it := range on.items {
				kl, isLit := it.key.(*litNode)
				if !isLit || kl.val.Type() != cty.String || kl.val.IsNull() {
					if _, isErr := it.key.(*errNode); !isErr {
						c.st.errorf(it.key.Range(), "Invalid function argument", "Invalid value for \"vars\" parameter: the names of template variables must be known when planning.")
					}
					ok = false
					continue
				}
				add(kl.val.AsString(), kl.rng, it.val)
			}
			return vars, allConst, ok
		case *litNode:
			return c.constVars(on, arg.Range(), vars)
		default:
			return vars, allConst, false
		}
	}
	n, src := c.convert(arg, depth)
	if src == nil {
		if _, isErr := n.(*errNode); !isErr {
			c.st.errorf(arg.Range(), "Invalid function argument", "Invalid value for \"vars\" parameter: vars that refer to runtime values must be written as an object constructor, such as { name = customer.first_name }.")
		}
		return vars, false, false
	}
	l, isLit := c.fold(src, false).(*litNode)
	if !isLit {
		return vars, false, false
	}
	return c.constVars(l, arg.Range(), vars)
}

func (c *converter) constVars(l *litNode, rng hcl.Range, vars map[string]node) (map[string]node, bool, bool) {
	ty := l.val.Type()
	if l.val.IsNull() || !(ty.IsObjectType() || ty.IsMapType()) {
		c.st.errorf(rng, "Invalid function argument", "Invalid value for \"vars\" parameter: an object or a map is required.")
		return vars, false, false
	}
	for it := l.val.ElementIterator(); it.Next(); {
		k, v := it.Element()
		name := k.AsString()
		if !hclsyntax.ValidIdentifier(name) {
			c.st.errorf(rng, "Invalid function argument", "Invalid value for \"vars\" parameter: invalid template variable name %q: must start with a letter, followed by zero or more letters, digits, and underscores.", name)
			return vars, false, false
		}
		vars[name] = &litNode{val: v, rng: rng, sensitive: l.sensitive}
	}
	return vars, true, true
}

// renderFile reads a template file and converts it with vars: constant vars
// are evaluated into the text, runtime ones substituted.
func (c *converter) renderFile(path string, pathRng hcl.Range, pathSensitive bool, vars map[string]node, depth int) node {
	bad := &errNode{rng: pathRng}
	shown := fmt.Sprintf("%q", path)
	if pathSensitive {
		shown = "(sensitive value)"
	}
	full := path
	if !filepath.IsAbs(path) {
		full = filepath.Join(c.baseDir, path)
	}
	info, err := os.Stat(full)
	if err == nil && info.Size() > MaxTemplateLen {
		c.st.errorf(pathRng, "Invalid function argument", "Invalid value for \"path\" parameter: the file at %s is %d bytes long; a template may be at most %d bytes.", shown, info.Size(), MaxTemplateLen)
		return bad
	}
	var src []byte
	if err == nil {
		src, err = limits.ReadRegular(full, MaxTemplateLen)
	}
	var le *limits.Error
	if err != nil {
		if errors.As(err, &le) {
			c.st.errorf(pathRng, "Invalid function argument", "Invalid value for \"path\" parameter: the file at %s %s", shown, le.Detail)
		} else if errors.Is(err, fs.ErrNotExist) {
			c.st.errorf(pathRng, "Invalid function argument", "Invalid value for \"path\" parameter: no file exists at %s.", shown)
		} else {
			c.st.errorf(pathRng, "Invalid function argument", "Invalid value for \"path\" parameter: cannot read the file at %s.", shown)
		}
		return bad
	}
	if len(src) > MaxTemplateLen {
		c.st.errorf(pathRng, "Invalid function argument", "Invalid value for \"path\" parameter: the file at %s is longer than %d bytes.", shown, MaxTemplateLen)
		return bad
	}
	if d := prescan(src, full, hcl.InitialPos, limits.Template); d != nil {
		c.st.diags = append(c.st.diags, d)
		return bad
	}
	expr, diags := hclsyntax.ParseTemplate(src, full, hcl.Pos{Line: 1, Column: 1, Byte: 0})
	c.st.diags = append(c.st.diags, diags...)
	if diags.HasErrors() {
		return bad
	}

	sub := &converter{
		st:           c.st,
		cfg:          c.cfg,
		subst:        map[string]node{},
		file:         &tmplFile{consts: map[string]bool{}},
		baseDir:      c.baseDir,
		templatefile: true, // a nested call is refused
	}
	constVars := map[string]cty.Value{}
	for _, name := range sortedKeys(vars) {
		sub.file.vars = append(sub.file.vars, name)
		if l, isLit := vars[name].(*litNode); isLit {
			sub.file.consts[name] = true
			v := l.val
			if l.sensitive {
				v = v.Mark(SensitiveMark)
			}
			constVars[name] = v
		} else {
			sub.subst[name] = vars[name]
		}
	}
	// The config functions, but not var and local (which the converter
	// refuses before anything is evaluated), and no templatefile.
	sub.ctx = c.evalCtx().NewChild()
	sub.ctx.Variables = constVars
	sub.ctx.Functions = map[string]function.Function{"templatefile": nestedTemplatefile}
	n, s := sub.convert(expr, depth)
	if s != nil {
		return sub.fold(s, false)
	}
	return n
}

// nestedTemplatefile stands for templatefile inside a template file.
var nestedTemplatefile = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "path", Type: cty.String},
		{Name: "vars", Type: cty.DynamicPseudoType},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		return cty.NilVal, errors.New("templatefile cannot be called from inside a template file read by templatefile")
	},
})

// templatefileFunc is templatefile as a config function, for a call inside
// a config-time expression (a for expression, say): it works when the
// template refers to no runtime values.
func (c *converter) templatefileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Reads a template file and renders it with the given variables.",
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			st := &state{}
			tmp := *c
			tmp.st = st
			vars := map[string]node{}
			v := args[1]
			if !v.IsNull() && (v.Type().IsObjectType() || v.Type().IsMapType()) {
				for it := v.ElementIterator(); it.Next(); {
					k, ev := it.Element()
					vars[k.AsString()] = &litNode{val: ev}
				}
			} else {
				return cty.NilVal, function.NewArgErrorf(1, "an object or a map is required")
			}
			for name := range vars {
				if !hclsyntax.ValidIdentifier(name) {
					return cty.NilVal, function.NewArgErrorf(1, "invalid template variable name %q: must start with a letter, followed by zero or more letters, digits, and underscores", name)
				}
			}
			n := tmp.renderFile(args[0].AsString(), hcl.Range{}, false, vars, 1)
			if err := st.diags.Errs(); len(err) > 0 {
				return cty.NilVal, err[0]
			}
			l, ok := n.(*litNode)
			if !ok {
				return cty.NilVal, errors.New("the template refers to runtime values, which templatefile keeps only where its result is used directly in a runtime expression or message template")
			}
			return toString(l.val)
		},
	})
}
