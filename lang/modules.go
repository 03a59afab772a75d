package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/rtexpr"
	"github.com/waymarkhq/waymark/lang/schema"
)

// moduleBlocks are the blocks a module may declare. Customer attributes,
// event types, channels and segments are the calling configuration's.
var moduleBlocks = map[string]bool{"variable": true, "locals": true, "output": true, "journey": true}

// moduleInput is a value a module block sets for one of the module's
// variables.
type moduleInput struct {
	val cty.Value
	rng hcl.Range
}

// moduleSource is a module directory, read once however often it is used.
type moduleSource struct {
	bad   bool
	byTyp map[string][]*hcl.Block
}

// decodeModules reads every instance of every module block: its
// variables from the block's inputs, its locals and outputs, and declares
// its journeys under the instance's address. The outputs become
// module.<name> in the caller's scope. The returned loaders decode their
// journeys once the caller's channels and segments are (decode).
func (l *loader) decodeModules(blocks []*hcl.Block) []*loader {
	if len(blocks) == 0 {
		return nil
	}
	if l.module != "" {
		for _, b := range blocks {
			l.add(errorf(rngPtr(b.DefRange), "Nested module", "%s calls module %q; modules cannot call modules yet. Call both from the root configuration.", l.module, b.Labels[0]))
		}
		return nil
	}
	sch := schema.File().Block("module")
	sources := map[string]*moduleSource{}
	outputs := map[string]cty.Value{}
	seen := map[string]hcl.Range{}
	var out []*loader
	for _, b := range blocks {
		name := b.Labels[0]
		if !l.newLabel(seen, b, "module") {
			continue
		}
		attrs, diags := b.Body.JustAttributes()
		l.addAll(diags)
		sa := attrs["source"]
		if sa == nil {
			l.add(errorf(rngPtr(b.DefRange), "Missing required argument", "module %q needs source, the path of the module's directory, such as \"./modules/cart\".", name))
			continue
		}
		dir, ok := l.moduleDir(sa)
		if !ok {
			continue
		}
		src := sources[dir]
		if src == nil {
			src = l.readModule(dir, sa.Expr.Range())
			sources[dir] = src
		}
		if src.bad {
			continue
		}
		insts := l.instances(b.Body, fmt.Sprintf("module %q", name))
		each := map[string]cty.Value{}
		var counted []cty.Value
		for _, in := range insts {
			addr := "module." + addrs.Instance(name, in.key)
			inputs := map[string]moduleInput{}
			l.within(in, func() {
				for _, k := range keys(attrs) {
					if sch.Attribute(k) != nil { // source, for_each, count
						continue
					}
					a := attrs[k]
					if v := l.configValue(a.Expr, fmt.Sprintf("The input %s of module %q", k, name)); v != cty.NilVal {
						inputs[k] = moduleInput{val: v, rng: a.Expr.Range()}
					}
				}
			})
			m := l.child(dir, addr, inputs, b.DefRange)
			m.moduleName = name
			m.decodeVariables(src.byTyp["variable"])
			m.decodeLocals(src.byTyp["locals"])
			m.journeys = m.declareJourneys(src.byTyp["journey"])
			outs := cty.ObjectVal(m.decodeOutputs(src.byTyp["output"]))
			switch {
			case in.key == cty.NilVal:
				outputs[name] = outs
			case in.key.Type() == cty.Number:
				counted = append(counted, outs)
			default:
				each[in.key.AsString()] = outs
			}
			out = append(out, m)
		}
		switch {
		case counted != nil:
			outputs[name] = cty.TupleVal(counted)
		case len(each) > 0:
			outputs[name] = cty.ObjectVal(each)
		case len(insts) == 0 || insts[0].key != cty.NilVal:
			outputs[name] = cty.EmptyObjectVal
		}
	}
	l.s.eval.Variables["module"] = cty.ObjectVal(outputs)
	return out
}

// moduleDir resolves a module's source: a local path, relative to the
// calling configuration's directory, to a directory.
func (l *loader) moduleDir(a *hcl.Attribute) (string, bool) {
	rng := rngPtr(a.Expr.Range())
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || v.Type() != cty.String {
		l.add(errorf(rng, "Invalid module source", "source must be a literal string, the path of the module's directory, such as \"./modules/cart\"; it is read before any variable is."))
		return "", false
	}
	p := v.AsString()
	if !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") {
		l.add(errorf(rng, "Invalid module source", "source %q is not a local path: it must start with ./ or ../ (other sources are not supported yet).", p))
		return "", false
	}
	dir := filepath.Join(l.dir, filepath.FromSlash(p))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		l.add(errorf(rng, "Module not found", "source %q names %s, which is not a directory.", p, l.displayName(dir)))
		return "", false
	}
	return dir, true
}

// readModule parses a module's files and sorts its blocks by type,
// refusing those a module may not declare.
func (l *loader) readModule(dir string, at hcl.Range) *moduleSource {
	src := &moduleSource{byTyp: map[string][]*hcl.Block{}}
	paths, err := FindFiles(dir)
	if err != nil || len(paths) == 0 {
		detail := fmt.Sprintf("The module's directory %s holds no *%s or *%s files.", l.displayName(dir), SuffixHCL, SuffixJSON)
		if err != nil {
			detail = err.Error()
		}
		l.add(errorf(rngPtr(at), "Cannot read module", "%s", detail))
		src.bad = true
		return src
	}
	var srcs []source
	for _, p := range paths {
		if name, text, ok := l.read(p); ok {
			srcs = append(srcs, source{name: name, src: text})
		}
	}
	before := len(l.diags)
	files := l.parseAll(srcs)
	if hcl.Diagnostics(l.diags[before:]).HasErrors() {
		src.bad = true
		return src
	}
	var parsed []*hcl.File
	for _, f := range files {
		if f != nil {
			parsed = append(parsed, f)
		}
	}
	body := l.content(hcl.MergeFiles(parsed), schema.File())
	for _, b := range body.Blocks {
		if !moduleBlocks[b.Type] {
			l.add(errorf(rngPtr(b.DefRange), "Not allowed in a module",
				"A module declares only variable, locals, output and journey blocks; %s blocks belong in the configuration that calls it, whose declarations the module's journeys use.", b.Type))
			src.bad = true
			continue
		}
		src.byTyp[b.Type] = append(src.byTyp[b.Type], b)
	}
	return src
}

// child is a loader for one instance of a module: its own variables and
// locals, the caller's runtime-wide declarations, and the caller's
// Document, into which its journeys go.
func (l *loader) child(dir, module string, inputs map[string]moduleInput, call hcl.Range) *loader {
	m := &loader{
		ctx: l.ctx, budget: l.budget, dir: dir, opts: l.opts, schemas: l.schemas,
		module: module, inputs: inputs, call: call,
		cfg: &Config{
			Dir:               dir,
			Sources:           l.cfg.Sources,
			RequiredProviders: l.cfg.RequiredProviders,
			Variables:         map[string]*Variable{},
			Document:          l.cfg.Document,
			Ranges:            l.cfg.Ranges,
		},
	}
	m.opts.Vars, m.opts.Environ = nil, nil
	m.s = newScope(dir, l.budget)
	m.s.customer, m.s.events, m.s.segments, m.s.journeys, m.s.channels = l.s.customer, l.s.events, l.s.segments, l.s.journeys, l.s.channels
	return m
}

// decodeOutputs evaluates a module's outputs.
func (l *loader) decodeOutputs(blocks []*hcl.Block) map[string]cty.Value {
	sch := schema.File().Block("output")
	out := map[string]cty.Value{}
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		name := b.Labels[0]
		if !l.newLabel(seen, b, "output") {
			continue
		}
		c := l.content(b.Body, sch)
		a := c.Attributes["value"]
		if a == nil {
			continue
		}
		v := l.configValue(a.Expr, fmt.Sprintf("The value of output %q", name))
		if v == cty.NilVal {
			v = cty.DynamicVal
		}
		if s := c.Attributes["sensitive"]; s != nil {
			if yes, _ := l.boolean(s, "sensitive"); yes {
				v = v.Mark(rtexpr.SensitiveMark)
			}
		}
		out[name] = v
	}
	return out
}

// newLabel checks a block's label and that no earlier block of the kind,
// recorded in seen, has it; then records it.
func (l *loader) newLabel(seen map[string]hcl.Range, b *hcl.Block, kind string) bool {
	label := b.Labels[0]
	if !l.checkIdent(label, labelRange(b), kind) {
		return false
	}
	if prev, dup := seen[label]; dup {
		l.add(errorf(rngPtr(labelRange(b)), "Duplicate "+kind, "%s %q was already declared at %s.", kind, label, at(prev)))
		return false
	}
	seen[label] = b.DefRange
	return true
}
