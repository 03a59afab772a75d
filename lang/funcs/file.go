package funcs

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/waymarkhq/waymark/lang/limits"
)

// readFile reads the UTF-8 text file at path, resolved against baseDir when
// relative. Only a regular file of at most limits.MaxFileBytes is read: a
// directory, named pipe or device is refused before it is opened. Errors
// name path as the user wrote it.
func readFile(baseDir, path string) (string, error) {
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(baseDir, full)
	}
	src, err := limits.ReadRegular(full, limits.MaxFileBytes)
	var le *limits.Error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("no file exists at %q (a relative path is read from the configuration directory)", path)
	case errors.As(err, &le):
		return "", &limits.Error{Summary: le.Summary, Detail: fmt.Sprintf("%q %s", path, le.Detail)}
	case err != nil:
		return "", fmt.Errorf("reading %q: %w", path, err)
	case !utf8.Valid(src):
		return "", fmt.Errorf("the contents of %q are not valid UTF-8 text", path)
	}
	return string(src), nil
}

// makeFileFunc returns file(path), which reads a text file relative to
// baseDir.
func makeFileFunc(baseDir string) function.Function {
	return function.New(&function.Spec{
		Description: "Reads the text file at the given path, relative to the configuration directory, and returns its contents as a string.",
		Params: []function.Parameter{{
			Name:        "path",
			Description: "The path of a UTF-8 text file, relative to the configuration directory.",
			Type:        cty.String,
		}},
		Type: function.StaticReturnType(cty.String),
		RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
			return b.NotNull()
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			src, err := readFile(baseDir, args[0].AsString())
			if err != nil {
				return cty.NilVal, argError(err)
			}
			return cty.StringVal(src), nil
		},
	})
}

// makeTemplateFileFunc returns templatefile(path, vars), which renders the
// HCL template in a file relative to baseDir with the given variables and
// the functions that funcs returns. A template may not call templatefile.
func makeTemplateFileFunc(baseDir string, b *limits.Budget, funcs func() map[string]function.Function) function.Function {
	return function.New(&function.Spec{
		Description: "Reads the file at the given path, relative to the configuration directory, and renders it as a template with the given variables.",
		Params: []function.Parameter{
			{
				Name:        "path",
				Description: "The path of a template file, relative to the configuration directory.",
				Type:        cty.String,
			},
			{
				Name:        "vars",
				Description: "An object or map whose keys are the variables the template refers to.",
				Type:        cty.DynamicPseudoType,
			},
		},
		Type: func(args []cty.Value) (cty.Type, error) {
			if ty := args[1].Type(); !(ty.IsObjectType() || ty.IsMapType() || ty == cty.DynamicPseudoType) {
				return cty.NilType, function.NewArgErrorf(1, "vars must be an object or a map, not a %s", ty.FriendlyName())
			}
			return cty.DynamicPseudoType, nil
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			path := args[0].AsString()
			src, err := readFile(baseDir, path)
			if err != nil {
				return cty.NilVal, argError(err)
			}
			if d := limits.CheckNesting([]byte(src), path, hcl.InitialPos, limits.Template); d != nil {
				return cty.NilVal, function.NewArgError(0, hcl.Diagnostics{d})
			}
			tmpl, diags := hclsyntax.ParseTemplate([]byte(src), path, hcl.InitialPos)
			if diags.HasErrors() {
				return cty.NilVal, function.NewArgError(0, diags)
			}

			vars := make(map[string]cty.Value)
			for it := args[1].ElementIterator(); it.Next(); {
				k, v := it.Element()
				name := k.AsString()
				if !hclsyntax.ValidIdentifier(name) {
					return cty.NilVal, function.NewArgErrorf(1, "%q cannot be a template variable: a variable name starts with a letter and holds only letters, digits, underscores and dashes", name)
				}
				vars[name] = v
			}
			for _, tr := range tmpl.Variables() {
				if _, ok := vars[tr.RootName()]; !ok {
					return cty.NilVal, function.NewArgErrorf(1, "the template refers to %q at %s, but vars has no such key", tr.RootName(), tr.SourceRange())
				}
			}

			ctx := &hcl.EvalContext{Variables: vars, Functions: funcs()}
			v, diags := limits.Eval(tmpl, ctx, b)
			if le := limits.FromDiagnostics(diags); le != nil {
				// Keep the limit's summary for the call's diagnostic.
				where := ""
				for _, d := range diags {
					if d.Subject != nil && d.Severity == hcl.DiagError {
						where = fmt.Sprintf(" at line %d, column %d", d.Subject.Start.Line, d.Subject.Start.Column)
						break
					}
				}
				return cty.NilVal, &limits.Error{Summary: le.Summary, Detail: "In the template " + path + where + ": " + le.Detail}
			}
			if diags.HasErrors() {
				return cty.NilVal, diags
			}
			return v, nil
		},
	})
}

// argError reports err as about the path argument, unless it is a limit,
// which keeps its own summary.
func argError(err error) error {
	var le *limits.Error
	if errors.As(err, &le) {
		return le
	}
	return function.NewArgError(0, err)
}

// noNestedTemplateFunc stands in for templatefile inside a template.
var noNestedTemplateFunc = function.New(&function.Spec{
	Description: "Not available inside a template.",
	Params: []function.Parameter{
		{Name: "path", Type: cty.String},
		{Name: "vars", Type: cty.DynamicPseudoType},
	},
	Type: func([]cty.Value) (cty.Type, error) {
		return cty.NilType, errors.New("templatefile cannot be called from inside a template")
	},
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		return cty.NilVal, errors.New("templatefile cannot be called from inside a template")
	},
})
