package lang

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/lang/rtexpr"
	"github.com/waymarkhq/waymark/lang/schema"
)

var clockRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// provider resolves a channel's provider local name to its requirement,
// implying a built-in provider that required_providers does not name.
func (l *loader) provider(name string, rng hcl.Range) (ProviderRequirement, bool) {
	if req, ok := l.cfg.RequiredProviders[name]; ok {
		return req, true
	}
	if src, ok := l.opts.Builtin(name); ok {
		req := ProviderRequirement{Name: name, Source: src, Builtin: true, DeclRange: rng}
		l.cfg.RequiredProviders[name] = req
		return req, true
	}
	var known []string
	for n := range l.cfg.RequiredProviders {
		known = append(known, n)
	}
	l.add(errorf(rngPtr(rng), "Unknown provider",
		"There is no provider %q: declare it in the waymark block's required_providers, such as %s = { source = \"acme/%s\" }, or use a built-in provider (inbound, log, smtp, webhook).%s",
		name, name, name, suggest(name, append(known, "inbound", "log", "smtp", "webhook"))))
	return ProviderRequirement{}, false
}

func (l *loader) providerSchema(req ProviderRequirement, rng hcl.Range) *provschema.Schema {
	if l.opts.Providers == nil {
		l.add(errorf(rngPtr(rng), "Provider schemas unavailable", "No provider source was configured, so provider %q cannot be checked.", req.Name))
		return nil
	}
	var s *provschema.Schema
	var err error
	if f := l.prefetched.get(req.Name, req.Source); f != nil {
		s, err = f.schema, f.err
	} else {
		s, err = l.opts.Providers.Schema(l.ctx, req.Name, req.Source)
	}
	if err != nil {
		l.add(errorf(rngPtr(rng), "Cannot read provider schema", "Provider %q (%s): %s", req.Name, req.Source, err))
		return nil
	}
	return s
}

// fetchedSchema is a provider's schema asked for ahead of its channels.
type fetchedSchema struct {
	schema *provschema.Schema
	err    error
}

// prefetch holds the schemas prefetchSchemas asked for, by provider name
// and source, once all have answered.
type prefetch struct {
	wg      sync.WaitGroup
	schemas map[[2]string]*fetchedSchema
}

// get waits for the prefetched schemas and returns the one of the
// provider, or nil when it was not asked for.
func (p *prefetch) get(name, source string) *fetchedSchema {
	if p == nil {
		return nil
	}
	p.wg.Wait()
	return p.schemas[[2]string{name, source}]
}

// prefetchSchemas asks for the schemas of the channels' providers, each
// on its own goroutine, so that their processes start side by side while
// the loader reads what comes before the channels; providerSchema takes
// the answers. It finds a channel's provider as decodeChannels does (a
// bare name, in required_providers or built in) and reports nothing: what
// it cannot resolve is left to decodeChannels, and asked for there if at
// all.
func (l *loader) prefetchSchemas(blocks []*hcl.Block) {
	if l.opts.Providers == nil || len(blocks) == 0 {
		return
	}
	p := &prefetch{schemas: map[[2]string]*fetchedSchema{}}
	for _, b := range blocks {
		head, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "provider"}}})
		pa := head.Attributes["provider"]
		if pa == nil {
			continue
		}
		t, diags := hcl.AbsTraversalForExpr(pa.Expr)
		if diags.HasErrors() || len(t) != 1 {
			continue
		}
		name := t.RootName()
		source := ""
		if req, ok := l.cfg.RequiredProviders[name]; ok {
			source = req.Source
		} else if src, ok := l.opts.Builtin(name); ok {
			source = src
		} else {
			continue
		}
		key := [2]string{name, source}
		if p.schemas[key] != nil {
			continue
		}
		f := &fetchedSchema{}
		p.schemas[key] = f
		p.wg.Go(func() { f.schema, f.err = l.opts.Providers.Schema(l.ctx, name, source) })
	}
	l.prefetched = p
}

func (l *loader) decodeChannels(blocks []*hcl.Block) {
	sch := schema.File().Block("channel")
	for _, b := range blocks {
		name := b.Labels[0]
		if !l.checkIdent(name, labelRange(b), "channel") {
			continue
		}
		if prev, dup := l.s.channels[name]; dup {
			l.add(errorf(rngPtr(labelRange(b)), "Duplicate channel", "channel %q was already declared at %s.", name, at(prev.Range)))
			continue
		}
		decl := &channelDecl{Name: name, Range: b.DefRange}
		l.s.channels[name] = decl
		// The provider decides which further attributes the body may hold,
		// so read it first, then the whole body against the language's
		// schema plus the provider's.
		head, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "provider"}}})
		pa := head.Attributes["provider"]
		if pa == nil {
			l.add(errorf(rngPtr(b.DefRange), "Missing required argument", "channel %q needs a provider, such as provider = smtp.", name))
			continue
		}
		pname, prng, ok := l.bareName(pa.Expr, "provider")
		if !ok {
			continue
		}
		req, ok := l.provider(pname, prng)
		if !ok {
			continue
		}
		ps := l.providerSchema(req, prng)
		if ps == nil {
			continue
		}
		decl.Schema = ps
		l.cfg.Document.Providers = appendProvider(l.cfg.Document.Providers, deploy.Provider{Name: pname, Source: req.Source, Version: ps.Version})
		full := sch.BodySchema()
		for _, sa := range ps.Channel {
			full.Attributes = append(full.Attributes, hcl.AttributeSchema{Name: sa.Name, Required: sa.Required})
		}
		c, diags := b.Body.Content(full)
		for _, d := range diags {
			if d.Summary == "Unsupported argument" {
				var names []string
				for _, x := range ps.Channel {
					names = append(names, x.Name)
				}
				d.Detail += fmt.Sprintf(" Provider %q (%s) takes %s, beside provider, consent, limit and quiet_hours.", pname, req.Source, quoteList(names))
			}
			if d.Summary == "Missing required argument" {
				d.Detail += fmt.Sprintf(" Provider %q (%s) needs it in every channel.", pname, req.Source)
			}
		}
		l.addAll(diags)
		l.checkRepeats(c, sch)
		ch := &deploy.Channel{Name: name, Provider: pname, Source: req.Source, Delivers: ps.Delivers}
		obj := deploy.Object{Address: "channel." + name, Kind: deploy.KindChannel, Channel: ch}

		config := map[string]cty.Value{}
		attrRanges := map[string]hcl.Range{}
		for _, an := range keys(c.Attributes) {
			a := c.Attributes[an]
			sa := ps.ChannelAttribute(an)
			if sa == nil {
				continue // provider and consent, read below
			}
			attrRanges[an] = a.Expr.Range()
			if sa.PerDelivery {
				sc := l.s.rtScope(fmt.Sprintf("%s of channel %q", an, name), scopeOpts{segments: true, journeys: true, sensitive: sa.Recipient})
				r := l.runtimeExpr(a.Expr, sc, sa.Type)
				if r == nil {
					continue
				}
				if ch.PerDelivery == nil {
					ch.PerDelivery = map[string]string{}
				}
				ch.PerDelivery[an] = r.Source
				config[an] = cty.UnknownVal(sa.Type)
				if r.Sensitive || sa.Sensitive {
					obj.Sensitive = append(obj.Sensitive, "per_delivery."+an)
				}
				continue
			}
			v := l.configValue(a.Expr, fmt.Sprintf("%s of channel %q", an, name))
			if v == cty.NilVal {
				continue
			}
			v, err := convertValue(v, sa.Type)
			if err != nil {
				l.add(errorf(rngPtr(a.Expr.Range()), "Incorrect attribute value type", "%s of channel %q must be %s: %s.", an, name, typeName(sa.Type), err))
				continue
			}
			plain, marks := v.Unmark()
			config[an] = plain
			if plain.IsNull() {
				continue
			}
			js, err := ctyjson.Marshal(plain, sa.Type)
			if err != nil {
				l.add(errorf(rngPtr(a.Expr.Range()), "Invalid value", "%s of channel %q cannot be encoded: %s.", an, name, err))
				continue
			}
			if ch.Config == nil {
				ch.Config = map[string]json.RawMessage{}
			}
			ch.Config[an] = js
			if _, marked := marks[rtexpr.SensitiveMark]; marked || sa.Sensitive {
				obj.Sensitive = append(obj.Sensitive, "config."+an)
			}
		}
		if a := c.Attributes["consent"]; a != nil {
			sc := l.s.rtScope(fmt.Sprintf("the consent of channel %q", name), scopeOpts{segments: true, journeys: true})
			if r := l.runtimeExpr(a.Expr, sc, cty.Bool); r != nil {
				ch.Consent = r.Source
				if r.Sensitive {
					obj.Sensitive = append(obj.Sensitive, "consent")
				}
			}
		}
		for _, nb := range c.Blocks {
			switch nb.Type {
			case "limit":
				ch.Limit = l.limit(nb, sch.Block("limit"))
			case "rate":
				ch.Rate = l.rate(nb, sch.Block("rate"))
				if !ps.Delivers && ch.Rate != nil {
					l.add(warnf(rngPtr(nb.DefRange), "Send rate on an inbound channel",
						"Channel %q is answered through the decide API and never sends, so a send rate has no effect on it.", name))
				}
			case "quiet_hours":
				ch.QuietHours = l.quietHours(nb, sch.Block("quiet_hours"))
				if !ps.Delivers && ch.QuietHours != nil {
					l.add(warnf(rngPtr(nb.DefRange), "Quiet hours on an inbound channel",
						"Channel %q is answered through the decide API and never sends, so quiet hours have no effect on it.", name))
				}
			}
		}
		if diags := l.providerDiagnostics(func() ([]provschema.Diagnostic, error) {
			return l.opts.Providers.ValidateChannel(l.ctx, pname, req.Source, config)
		}, pname, b.DefRange, attrRanges); diags {
			continue
		}
		l.object(obj, b.DefRange)
	}
}

// convertValue converts a possibly marked value to ty, keeping its marks.
func convertValue(v cty.Value, ty cty.Type) (cty.Value, error) {
	plain, marks := v.Unmark()
	c, err := convertPlain(plain, ty)
	if err != nil {
		return cty.NilVal, err
	}
	return c.WithMarks(marks), nil
}

// providerDiagnostics runs a provider's validation and places what it
// reports at the attribute its path names. It reports whether there were
// errors.
// providerCheck is a provider validation whose diagnostics point at block,
// or at the attribute of ranges that a diagnostic's path names.
type providerCheck struct {
	call     func() ([]provschema.Diagnostic, error)
	provider string
	block    hcl.Range
	ranges   map[string]hcl.Range

	diags []provschema.Diagnostic
	err   error
}

// concurrentChecks bounds the provider validations in flight: a large
// configuration has thousands of messages, each a call to a provider
// process, which answers several at once.
const concurrentChecks = 16

// runChecks makes the queued provider validations, several at a time, and
// adds their diagnostics in the order they were queued.
func (l *loader) runChecks() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrentChecks)
	for i := range l.checks {
		c := &l.checks[i]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.diags, c.err = c.call()
		}()
	}
	wg.Wait()
	for _, c := range l.checks {
		l.providerDiagnostics(func() ([]provschema.Diagnostic, error) { return c.diags, c.err }, c.provider, c.block, c.ranges)
	}
	l.checks = nil
}

func (l *loader) providerDiagnostics(call func() ([]provschema.Diagnostic, error), pname string, block hcl.Range, ranges map[string]hcl.Range) bool {
	pd, err := call()
	if err != nil {
		l.add(errorf(rngPtr(block), "Provider validation failed", "Provider %q could not validate this block: %s", pname, err))
		return true
	}
	failed := false
	for _, d := range pd {
		subject := block
		if len(d.Path) > 0 {
			if r, ok := ranges[d.Path[0]]; ok {
				subject = r
			}
		}
		sev := hcl.DiagError
		if d.Severity == provschema.Warning {
			sev = hcl.DiagWarning
		} else {
			failed = true
		}
		l.add(&hcl.Diagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail, Subject: rngPtr(subject)})
	}
	return failed
}

func (l *loader) limit(b *hcl.Block, sch *schema.Block) *deploy.Limit {
	n, per, ok := l.maxPer(b, sch, "limit", 0)
	if !ok {
		return nil
	}
	return &deploy.Limit{Max: n, Per: per}
}

func (l *loader) rate(b *hcl.Block, sch *schema.Block) *deploy.Rate {
	n, per, ok := l.maxPer(b, sch, "rate", 1)
	if !ok {
		return nil
	}
	return &deploy.Rate{Max: n, Per: per}
}

// maxPer reads the max (a whole number, at least least) and per (a
// duration longer than zero) of a limit or rate block named name; ok
// reports both present and valid.
func (l *loader) maxPer(b *hcl.Block, sch *schema.Block, name string, least int) (n int, per string, ok bool) {
	c := l.content(b.Body, sch)
	ok = true
	if a := c.Attributes["max"]; a != nil {
		n, ok = l.wholeNumber(a, name+".max", least)
	}
	if a := c.Attributes["per"]; a != nil {
		var good bool
		var d time.Duration
		per, d, good = l.duration(a, name+".per")
		if good && d <= 0 {
			l.add(errorf(rngPtr(a.Expr.Range()), "Invalid duration", "%s.per must be longer than zero.", name))
			good = false
		}
		ok = ok && good
	}
	return n, per, ok && c.Attributes["max"] != nil && c.Attributes["per"] != nil
}

func (l *loader) quietHours(b *hcl.Block, sch *schema.Block) *deploy.QuietHours {
	c := l.content(b.Body, sch)
	q := &deploy.QuietHours{Timezone: "UTC", OnQuiet: "defer"}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"start", &q.Start}, {"end", &q.End}} {
		a := c.Attributes[f.name]
		if a == nil {
			return nil
		}
		s, ok := l.str(a, "quiet_hours."+f.name)
		if !ok {
			return nil
		}
		if !clockRe.MatchString(s) {
			l.add(errorf(rngPtr(a.Expr.Range()), "Invalid time of day", "quiet_hours.%s must be a time of day written \"HH:MM\" (00:00 to 23:59); got %q.", f.name, s))
			return nil
		}
		*f.dst = s
	}
	if q.Start == q.End {
		l.add(errorf(rngPtr(c.Attributes["end"].Expr.Range()), "Empty quiet hours", "quiet_hours.start and end are both %s; give a span of time.", q.Start))
		return nil
	}
	if a := c.Attributes["timezone"]; a != nil {
		s, ok := l.str(a, "quiet_hours.timezone")
		if !ok {
			return nil
		}
		if _, err := time.LoadLocation(s); err != nil || s == "" || s == "Local" {
			l.add(errorf(rngPtr(a.Expr.Range()), "Unknown time zone", "quiet_hours.timezone must be an IANA time zone name such as \"Europe/Berlin\" or \"UTC\"; got %q.", s))
			return nil
		}
		q.Timezone = s
	}
	if a := c.Attributes["on_quiet"]; a != nil {
		s, ok := l.enum(a, "quiet_hours.on_quiet", []string{"defer", "drop"})
		if !ok {
			return nil
		}
		q.OnQuiet = s
	}
	return q
}

func sortEventAttributes(a []deploy.EventAttribute) {
	sort.Slice(a, func(i, j int) bool { return a[i].Name < a[j].Name })
}

// appendProvider records a provider the channels use, once per local name.
func appendProvider(ps []deploy.Provider, p deploy.Provider) []deploy.Provider {
	for _, have := range ps {
		if have.Name == p.Name {
			return ps
		}
	}
	return append(ps, p)
}
