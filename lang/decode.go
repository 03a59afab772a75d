package lang

import (
	"fmt"
	"maps"
	"regexp"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/lang/limits"
	"github.com/waymarkhq/waymark/lang/rtexpr"
	"github.com/waymarkhq/waymark/lang/schema"
)

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// decode works through the top-level blocks in dependency order: settings,
// variables and locals (config-time values), then the schemas that runtime
// expressions are checked against, then everything that uses them.
func (l *loader) decode(content *hcl.BodyContent) {
	byType := map[string][]*hcl.Block{}
	for _, b := range content.Blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}
	l.s = newScope(l.dir, l.budget)
	l.cfg.scope = l.s
	l.decodeSettings(byType["waymark"])
	if l.opts.Settled != nil && l.module == "" {
		l.opts.Settled(l.cfg.Stack, l.cfg.RuntimeAddress)
	}
	l.prefetchSchemas(byType["channel"])
	l.decodeVariables(byType["variable"])
	l.decodeLocals(byType["locals"])
	l.decodeCustomer(byType["customer"])
	l.decodeEvents(byType["event"])
	l.declareSegments(byType["segment"])
	journeys := l.declareJourneys(byType["journey"])
	modules := l.decodeModules(byType["module"])
	l.s.sealNames()
	l.decodeChannels(byType["channel"])
	l.decodeSegments(byType["segment"])
	l.decodeJourneys(journeys)
	for _, m := range modules {
		m.decodeJourneys(m.journeys)
		l.diags = append(l.diags, m.diags...)
		l.checks = append(l.checks, m.checks...)
	}
	l.decodeOutputs(byType["output"]) // checked; a root configuration's outputs are not deployed
	l.decodeArbitration(byType["arbitration"])
	l.decodeMoved(byType["moved"])
	l.cfg.Document.Stack = l.cfg.Stack
	l.cfg.Document.Normalize()
}

// object adds a deployable object, refusing a second one at the address.
func (l *loader) object(o deploy.Object, rng hcl.Range) {
	if prev, ok := l.cfg.Ranges[o.Address]; ok {
		l.add(errorf(rngPtr(rng), "Duplicate "+string(o.Kind), "%s was already declared at %s.", o.Address, at(prev)))
		return
	}
	l.cfg.Ranges[o.Address] = rng
	l.cfg.Document.Objects = append(l.cfg.Document.Objects, o)
}

func (l *loader) content(body hcl.Body, blk *schema.Block) *hcl.BodyContent {
	c, diags := body.Content(l.bodySchema(blk))
	l.addAll(diags)
	l.checkRepeats(c, blk)
	return c
}

// checkRepeats reports, and drops, each nested block after the first of a
// kind that the schema does not let repeat.
func (l *loader) checkRepeats(c *hcl.BodyContent, blk *schema.Block) {
	first := map[string]*hcl.Block{}
	kept := c.Blocks[:0]
	for _, b := range c.Blocks {
		if nb := blk.Block(b.Type); nb != nil && !nb.Repeat {
			if f, dup := first[b.Type]; dup {
				parent := "A configuration"
				if blk.Type != "" {
					parent = capitalize(article(blk.Type)) + " " + blk.Type
				}
				l.add(errorf(rngPtr(b.DefRange), "Duplicate "+b.Type+" block",
					"%s has at most one %s block; the first is at %s.", parent, b.Type, at(f.DefRange)))
				continue
			}
			first[b.Type] = b
		}
		kept = append(kept, b)
	}
	c.Blocks = kept
}

// bodySchema is blk.BodySchema(), made once a load. The caller must not
// change it.
func (l *loader) bodySchema(blk *schema.Block) *hcl.BodySchema {
	s := l.schemas[blk]
	if s == nil {
		s = blk.BodySchema()
		l.schemas[blk] = s
	}
	return s
}

func (l *loader) partialContent(body hcl.Body, blk *schema.Block) (*hcl.BodyContent, hcl.Body) {
	c, rest, diags := body.PartialContent(l.bodySchema(blk))
	l.addAll(diags)
	return c, rest
}

// only returns the one block of a kind that may not repeat, or nil;
// checkRepeats has reported any others.
func only(blocks []*hcl.Block) *hcl.Block {
	if len(blocks) == 0 {
		return nil
	}
	return blocks[0]
}

func (l *loader) checkIdent(label string, rng hcl.Range, what string) bool {
	if identRe.MatchString(label) {
		return true
	}
	l.add(errorf(rngPtr(rng), "Invalid name", "%q is not a valid %s name: a name starts with a letter or underscore and holds only letters, digits and underscores.", label, what))
	return false
}

func labelRange(b *hcl.Block) hcl.Range {
	if len(b.LabelRanges) > 0 {
		return b.LabelRanges[0]
	}
	return b.DefRange
}

func (l *loader) decodeSettings(blocks []*hcl.Block) {
	l.cfg.Stack = "default"
	b := only(blocks)
	if b == nil {
		return
	}
	sch := schema.File().Block("waymark")
	c := l.content(b.Body, sch)
	for _, name := range keys(c.Attributes) {
		if !l.literalSetting(c.Attributes[name]) {
			delete(c.Attributes, name)
		}
	}
	if a := c.Attributes["stack"]; a != nil {
		if s, ok := l.str(a, "stack"); ok && l.checkIdent(s, a.Expr.Range(), "stack") {
			l.cfg.Stack = s
		}
	}
	if a := c.Attributes["required_version"]; a != nil {
		if s, ok := l.str(a, "required_version"); ok {
			l.cfg.RequiredVersion = s
			cons, err := version.NewConstraint(s)
			if err != nil {
				l.add(errorf(rngPtr(a.Expr.Range()), "Invalid version constraint", "%q is not a version constraint: %s.", s, err))
			} else if l.opts.Version != "" {
				if v, err := version.NewVersion(l.opts.Version); err == nil && !cons.Check(v.Core()) {
					l.add(errorf(rngPtr(a.Expr.Range()), "Unsupported Waymark version",
						"This configuration needs Waymark %s; this is Waymark %s.", s, l.opts.Version))
				}
			}
		}
	}
	for _, nb := range c.Blocks {
		switch nb.Type {
		case "required_providers":
			l.decodeRequiredProviders(nb)
		case "runtime":
			rc := l.content(nb.Body, sch.Block("runtime"))
			if a := rc.Attributes["address"]; a != nil && l.literalSetting(a) {
				l.cfg.RuntimeAddress, _ = l.str(a, "runtime.address")
			}
		}
	}
}

// literalSetting refuses a setting of the waymark block that refers to a
// variable or a local: the settings are read before them, and say what the
// directory is (its stack, the Waymark, providers and runtime it is for),
// which no input may change.
func (l *loader) literalSetting(a *hcl.Attribute) bool {
	for _, t := range a.Expr.Variables() {
		example, more := a.Name+` = "..."`, ""
		switch a.Name {
		case "stack":
			example = `stack = "growth"`
		case "required_version":
			example = `required_version = ">= 0.1.0"`
		case "address":
			example, more = `address = "http://127.0.0.1:7400"`, " WAYMARK_ADDR overrides the address."
		default: // a required provider
			example = a.Name + ` = { source = "acme/` + a.Name + `", version = "~> 1.0" }`
		}
		l.add(errorf(rngPtr(t.SourceRange()), "Variables not allowed",
			"The settings of the waymark block are literal values, such as %s: they say what this directory deploys and where, so no variable, local or other reference may change them.%s",
			example, more))
		return false
	}
	return true
}

func (l *loader) decodeRequiredProviders(b *hcl.Block) {
	attrs, diags := b.Body.JustAttributes()
	l.addAll(diags)
	for _, name := range keys(attrs) {
		a := attrs[name]
		if !l.literalSetting(a) {
			continue
		}
		v := l.configValue(a.Expr, "required_providers."+name)
		if v == cty.NilVal {
			continue
		}
		ty := v.Type()
		if !(ty.IsObjectType() || ty.IsMapType()) || v.IsNull() {
			l.add(errorf(rngPtr(a.Expr.Range()), "Invalid provider requirement",
				"required_providers.%s must be an object such as { source = \"waymark/%s\", version = \"~> 0.1\" }.", name, name))
			continue
		}
		req := ProviderRequirement{Name: name, DeclRange: a.Range}
		for k, ev := range v.AsValueMap() {
			switch k {
			case "source", "version":
				s, err := convert.Convert(ev, cty.String)
				if err != nil || s.IsNull() {
					l.add(errorf(rngPtr(a.Expr.Range()), "Invalid provider requirement", "required_providers.%s.%s must be a string.", name, k))
					continue
				}
				if k == "source" {
					req.Source = s.AsString()
				} else {
					req.Constraint = s.AsString()
				}
			default:
				l.add(errorf(rngPtr(a.Expr.Range()), "Invalid provider requirement",
					"required_providers.%s has an attribute %q; only source and version are allowed.", name, k))
			}
		}
		if req.Source == "" {
			if src, ok := l.opts.Builtin(name); ok {
				req.Source = src
			} else {
				l.add(errorf(rngPtr(a.Expr.Range()), "Missing provider source", "required_providers.%s needs a source, such as \"acme/%s\".", name, name))
				continue
			}
		}
		if !regexp.MustCompile(`^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*$`).MatchString(req.Source) {
			l.add(errorf(rngPtr(a.Expr.Range()), "Invalid provider source",
				"%q is not a provider source: write namespace/name in lower case, such as \"waymark/smtp\".", req.Source))
			continue
		}
		if req.Constraint != "" {
			if _, err := version.NewConstraint(req.Constraint); err != nil {
				l.add(errorf(rngPtr(a.Expr.Range()), "Invalid version constraint", "required_providers.%s: %q is not a version constraint: %s.", name, req.Constraint, err))
				continue
			}
		}
		l.cfg.RequiredProviders[name] = req
	}
}

func (l *loader) decodeLocals(blocks []*hcl.Block) {
	pending := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		attrs, diags := b.Body.JustAttributes()
		l.addAll(diags)
		for name, a := range attrs {
			if prev, ok := pending[name]; ok {
				l.add(errorf(rngPtr(a.NameRange), "Duplicate local value", "local.%s was already declared at %s.", name, at(prev.NameRange)))
				continue
			}
			pending[name] = a
			l.s.localDecl[name] = true
		}
	}
	// Evaluate in dependency order (Kahn's algorithm: each local once its
	// dependencies are done), each in a context whose local object holds
	// only what it refers to, so that the cost stays linear in the number
	// of locals and references. What is left at the end is in a cycle or
	// depends on one.
	names := keys(pending)
	deps := make(map[string][]string, len(pending))
	waiting := make(map[string]int, len(pending))
	users := map[string][]string{}
	failed := map[string]bool{}
	for _, name := range names {
		seen := map[string]bool{}
		for _, t := range pending[name].Expr.Variables() {
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			dep, ok := t[1].(hcl.TraverseAttr)
			if !ok || seen[dep.Name] {
				continue
			}
			if dep.Name == name {
				l.add(errorf(rngPtr(t.SourceRange()), "Cycle in local values", "local.%s refers to itself.", name))
				failed[name] = true
				continue
			}
			seen[dep.Name] = true
			if _, declared := pending[dep.Name]; declared {
				deps[name] = append(deps[name], dep.Name)
				users[dep.Name] = append(users[dep.Name], name)
				waiting[name]++
			}
		}
	}
	values := make(map[string]cty.Value, len(pending))
	l.s.locals = values // declaredValue looks names up here meanwhile
	var ready []string
	for _, name := range names {
		if waiting[name] == 0 {
			ready = append(ready, name)
		}
	}
	for len(ready) > 0 {
		name := ready[0]
		ready = ready[1:]
		a := pending[name]
		delete(pending, name)
		for _, u := range users[name] {
			if waiting[u]--; waiting[u] == 0 {
				ready = append(ready, u)
			}
		}
		if failed[name] {
			continue
		}
		own := make(map[string]cty.Value, len(deps[name]))
		for _, d := range deps[name] {
			if failed[d] {
				failed[name] = true
				break
			}
			own[d] = values[d]
		}
		if failed[name] {
			continue
		}
		ctx := l.s.eval.NewChild()
		ctx.Variables = map[string]cty.Value{"local": cty.ObjectVal(own)}
		v := l.configValueIn(ctx, a.Expr, "local."+name)
		if v == cty.NilVal {
			failed[name] = true
			continue
		}
		values[name] = v
	}
	if len(pending) > 0 {
		left := keys(pending)
		for _, name := range left {
			l.add(errorf(rngPtr(pending[name].Expr.Range()), "Cycle in local values",
				"local.%s depends, through other local values, on itself: %s.", name, quoteListMax(left, 10)))
		}
	}
	l.s.setLocals(values)
}

// attributeType reads an attribute block's type: string, number, bool or
// list(string).
func (l *loader) attributeType(a *hcl.Attribute) (cty.Type, string, bool) {
	ty, diags := typeexpr.Type(a.Expr)
	if diags.HasErrors() {
		l.add(errorf(rngPtr(a.Expr.Range()), "Invalid attribute type", "The type must be string, number, bool or list(string)."))
		return cty.NilType, "", false
	}
	switch {
	case ty == cty.String, ty == cty.Number, ty == cty.Bool, ty.Equals(cty.List(cty.String)):
		return ty, typeexpr.TypeString(ty), true
	}
	l.add(errorf(rngPtr(a.Expr.Range()), "Unsupported attribute type",
		"%s is not an attribute type; profile and event attributes are string, number, bool or list(string).", typeexpr.TypeString(ty)))
	return cty.NilType, "", false
}

// attrDecl is a decoded attribute block of the customer or an event.
type attrDecl struct {
	Name        string
	Type        cty.Type
	TypeName    string
	Default     []byte
	Sensitive   bool
	Required    bool
	Description string
	Range       hcl.Range
}

func (l *loader) decodeAttributeBlock(b *hcl.Block, of string) (*attrDecl, bool) {
	name := b.Labels[0]
	if !l.checkIdent(name, labelRange(b), "attribute") {
		return nil, false
	}
	c := l.content(b.Body, schema.File().Block("customer").Block("attribute"))
	d := &attrDecl{Name: name, Range: b.DefRange}
	ok := true
	if a := c.Attributes["type"]; a != nil {
		d.Type, d.TypeName, ok = l.attributeType(a)
	} else {
		return nil, false // Content reported the missing type
	}
	if a := c.Attributes["sensitive"]; a != nil {
		d.Sensitive, _ = l.boolean(a, "sensitive")
	}
	if a := c.Attributes["required"]; a != nil {
		d.Required, _ = l.boolean(a, "required")
	}
	if a := c.Attributes["description"]; a != nil {
		d.Description, _ = l.str(a, "description")
	}
	if a := c.Attributes["default"]; a != nil && ok {
		v := l.typedValue(a, d.Type, fmt.Sprintf("The default of %s attribute %q", of, name))
		if v != cty.NilVal {
			js, err := ctyjson.Marshal(v, d.Type)
			if err == nil {
				d.Default = js
			}
		}
	}
	return d, ok
}

func (l *loader) decodeCustomer(blocks []*hcl.Block) {
	sch := schema.File().Block("customer")
	for _, b := range blocks {
		c := l.content(b.Body, sch)
		for _, ab := range c.Blocks {
			d, ok := l.decodeAttributeBlock(ab, "customer")
			if !ok {
				continue
			}
			if d.Name == "id" {
				l.add(errorf(rngPtr(labelRange(ab)), "Reserved attribute name", "customer.id always exists (a string): it is the customer's id and cannot be declared."))
				continue
			}
			addr := addrs.Address{Kind: addrs.CustomerAttribute, Name: d.Name}.String()
			if _, dup := l.cfg.Ranges[addr]; dup {
				l.add(errorf(rngPtr(labelRange(ab)), "Duplicate customer attribute", "customer attribute %q was already declared at %s.", d.Name, at(l.cfg.Ranges[addr])))
				continue
			}
			l.s.customer[d.Name] = rtexpr.Attr{Type: d.Type, Sensitive: d.Sensitive}
			l.object(deploy.Object{
				Address: addr,
				Kind:    deploy.KindCustomerAttribute,
				CustomerAttribute: &deploy.CustomerAttribute{
					Name: d.Name, Type: d.TypeName, Default: d.Default, Sensitive: d.Sensitive,
					Required: d.Required, Description: d.Description,
				},
			}, ab.DefRange)
		}
	}
}

func (l *loader) decodeEvents(blocks []*hcl.Block) {
	sch := schema.File().Block("event")
	aliases := map[string]string{}
	for _, b := range blocks {
		name := b.Labels[0]
		if !l.checkIdent(name, labelRange(b), "event type") {
			continue
		}
		if prev, dup := l.s.events[name]; dup {
			l.add(errorf(rngPtr(labelRange(b)), "Duplicate event", "event %q was already declared at %s.", name, at(prev.Range)))
			continue
		}
		c := l.content(b.Body, sch)
		ev := &deploy.Event{Name: name}
		decl := &eventDecl{Name: name, Attrs: map[string]rtexpr.Attr{}, Range: b.DefRange}
		if a := c.Attributes["description"]; a != nil {
			ev.Description, _ = l.str(a, "description")
		}
		if a := c.Attributes["aliases"]; a != nil {
			if v := l.typedValue(a, cty.List(cty.String), "aliases"); v != cty.NilVal {
				for _, e := range v.AsValueSlice() {
					s := e.AsString()
					if other, taken := aliases[s]; taken {
						l.add(errorf(rngPtr(a.Expr.Range()), "Duplicate event alias", "The alias %q already names event %q.", s, other))
						continue
					}
					aliases[s] = name
					ev.Aliases = append(ev.Aliases, s)
				}
			}
		}
		for _, ab := range c.Blocks {
			d, ok := l.decodeAttributeBlock(ab, "event "+name)
			if !ok {
				continue
			}
			if _, dup := decl.Attrs[d.Name]; dup {
				l.add(errorf(rngPtr(labelRange(ab)), "Duplicate event attribute", "event %q already declares attribute %q.", name, d.Name))
				continue
			}
			decl.Attrs[d.Name] = rtexpr.Attr{Type: d.Type, Sensitive: d.Sensitive}
			ev.Attributes = append(ev.Attributes, deploy.EventAttribute{
				Name: d.Name, Type: d.TypeName, Default: d.Default, Sensitive: d.Sensitive,
				Required: d.Required, Description: d.Description,
			})
		}
		sortEventAttributes(ev.Attributes)
		l.s.events[name] = decl
		l.object(deploy.Object{Address: "event." + name, Kind: deploy.KindEvent, Event: ev}, b.DefRange)
	}
}

func (l *loader) declareSegments(blocks []*hcl.Block) {
	for _, b := range blocks {
		name := b.Labels[0]
		if !l.checkIdent(name, labelRange(b), "segment") {
			continue
		}
		if prev, dup := l.s.segments[name]; dup {
			l.add(errorf(rngPtr(labelRange(b)), "Duplicate segment", "segment %q was already declared at %s.", name, at(prev)))
			continue
		}
		l.s.segments[name] = b.DefRange
	}
}

func (l *loader) decodeSegments(blocks []*hcl.Block) {
	sch := schema.File().Block("segment")
	deps := map[string][]ref{}
	for _, b := range blocks {
		name := b.Labels[0]
		if rng, ok := l.s.segments[name]; !ok || rng != b.DefRange {
			continue // invalid or duplicate, reported
		}
		c := l.content(b.Body, sch)
		seg := &deploy.Segment{Name: name}
		obj := deploy.Object{Address: "segment." + name, Kind: deploy.KindSegment, Segment: seg}
		if a := c.Attributes["condition"]; a != nil {
			sc := l.s.rtScope(fmt.Sprintf("the condition of segment %q", name), scopeOpts{segments: true, journeys: true})
			if r := l.runtimeExpr(a.Expr, sc, cty.Bool); r != nil {
				seg.Condition = r.Source
				if r.Sensitive {
					obj.Sensitive = append(obj.Sensitive, "condition")
				}
				for _, t := range r.Refs {
					if t.RootName() == "segment" && len(t) > 1 {
						if s, ok := t[1].(hcl.TraverseAttr); ok {
							deps[name] = append(deps[name], ref{Kind: "segment", Name: s.Name, Range: t.SourceRange()})
						}
					}
				}
			}
		}
		l.object(obj, b.DefRange)
	}
	l.checkSegmentCycles(deps)
}

// checkSegmentCycles refuses segments whose conditions refer to each other
// in a circle, reporting each cycle once at the reference that closes it.
func (l *loader) checkSegmentCycles(deps map[string][]ref) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = visiting
		stack = append(stack, name)
		for _, r := range deps[name] {
			switch state[r.Name] {
			case unvisited:
				visit(r.Name)
			case visiting:
				i := len(stack) - 1
				for i > 0 && stack[i] != r.Name {
					i--
				}
				cycle := append(append([]string(nil), stack[i:]...), r.Name)
				l.add(errorf(rngPtr(r.Range), "Cycle in segments",
					"segment %q refers back to itself: %s.", r.Name, strings.Join(cycle, " -> ")))
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
	}
	for _, n := range keys(deps) {
		if state[n] == unvisited {
			visit(n)
		}
	}
}

func newScope(dir string, b *limits.Budget) *scope {
	s := &scope{
		customer:  map[string]rtexpr.Attr{},
		events:    map[string]*eventDecl{},
		segments:  map[string]hcl.Range{},
		journeys:  map[string]*journeyDecl{},
		channels:  map[string]*channelDecl{},
		vars:      map[string]cty.Value{},
		locals:    map[string]cty.Value{},
		localDecl: map[string]bool{},
	}
	fns := funcs.Config(dir, b)
	maps.Copy(fns, b.Functions())
	s.eval = &hcl.EvalContext{Variables: map[string]cty.Value{}, Functions: fns}
	s.rcfg = &rtexpr.Config{Eval: s.eval, BaseDir: dir, Budget: b}
	s.runtimeFuncs = funcs.Runtime()
	s.setVars(s.vars)
	s.setLocals(s.locals)
	return s
}
