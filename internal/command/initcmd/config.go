package initcmd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/providers/discovery"
)

// Config is what init and providers need from the configuration: the
// providers it requires and the channels that use each.
type Config struct {
	// Requirements are the required_providers entries, plus an implied
	// entry for each built-in provider a channel uses undeclared; sorted by
	// local name.
	Requirements []discovery.Requirement
	// Channels lists, by provider local name, the channels that use it.
	Channels map[string][]string
	// Sources are the files read, for rendering diagnostics.
	Sources cmdutil.Sources
}

// ReadConfig reads the required_providers of the waymark block and the
// provider of each channel block from the configuration files in dir,
// *.wm.hcl and *.wm.json, as cfgload.ReadFiles reads them for every
// command.
//
// It reads only those two things and ignores everything else in the
// files: the providers it finds must be installed before the language
// loader, which checks channels against their providers' schemas, can run.
func ReadConfig(dir string) (*Config, hcl.Diagnostics) {
	files, srcs, diags := cfgload.ReadFiles(dir)
	cfg := &Config{Channels: map[string][]string{}, Sources: srcs}
	declared := map[string]hcl.Range{}
	uses := map[string]hcl.Range{} // provider local name → first use
	for _, f := range files {
		content, _, _ := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
			{Type: "waymark"},
			{Type: "channel", LabelNames: []string{"name"}},
		}})
		for _, b := range content.Blocks {
			switch b.Type {
			case "waymark":
				reqs, more := readRequiredProviders(b.Body, declared)
				diags = append(diags, more...)
				cfg.Requirements = append(cfg.Requirements, reqs...)
			case "channel":
				inner, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "provider"}}})
				attr, ok := inner.Attributes["provider"]
				if !ok {
					continue
				}
				trav, more := hcl.AbsTraversalForExpr(attr.Expr)
				if more.HasErrors() || len(trav) != 1 {
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid provider reference",
						Detail: "A channel's provider is a bare provider name, such as provider = smtp.", Subject: attr.Expr.Range().Ptr()})
					continue
				}
				name := trav.RootName()
				cfg.Channels[name] = append(cfg.Channels[name], b.Labels[0])
				if _, ok := uses[name]; !ok {
					uses[name] = attr.Expr.Range()
				}
			}
		}
	}
	names := make([]string, 0, len(uses))
	for n := range uses {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := declared[name]; ok {
			continue
		}
		src := discovery.BuiltinNamespace + "/" + name
		if !discovery.IsBuiltin(src) {
			rng := uses[name]
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Undeclared provider",
				Detail:  fmt.Sprintf("No provider named %q is built in or declared in required_providers. Declare it in the waymark block:\n\n  required_providers {\n    %s = { source = \"namespace/%s\", version = \"~> 1.0\" }\n  }", name, name, name),
				Subject: &rng})
			continue
		}
		cfg.Requirements = append(cfg.Requirements, discovery.Requirement{Name: name, Source: src})
	}
	sort.Slice(cfg.Requirements, func(i, j int) bool { return cfg.Requirements[i].Name < cfg.Requirements[j].Name })
	return cfg, diags
}

// readRequiredProviders reads a waymark block's required_providers:
//
//	required_providers {
//	  slack = { source = "acme/slack", version = "~> 1.0" }
//	}
func readRequiredProviders(body hcl.Body, declared map[string]hcl.Range) ([]discovery.Requirement, hcl.Diagnostics) {
	content, _, _ := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "required_providers"}}})
	var reqs []discovery.Requirement
	var diags hcl.Diagnostics
	for _, b := range content.Blocks {
		attrs, more := b.Body.JustAttributes()
		diags = append(diags, more...)
		names := make([]string, 0, len(attrs))
		for n := range attrs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			attr := attrs[name]
			if prev, ok := declared[name]; ok {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate required provider",
					Detail: fmt.Sprintf("Provider %q is already required at %s.", name, prev), Subject: attr.NameRange.Ptr()})
				continue
			}
			declared[name] = attr.NameRange
			req, more := readRequirement(name, attr)
			diags = append(diags, more...)
			if !more.HasErrors() {
				reqs = append(reqs, req)
			}
		}
	}
	return reqs, diags
}

func readRequirement(name string, attr *hcl.Attribute) (discovery.Requirement, hcl.Diagnostics) {
	req := discovery.Requirement{Name: name, Source: discovery.BuiltinNamespace + "/" + name}
	bad := func(detail string) (discovery.Requirement, hcl.Diagnostics) {
		return req, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid required provider", Detail: detail, Subject: attr.Expr.Range().Ptr()}}
	}
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return req, diags
	}
	if !v.Type().IsObjectType() {
		return bad(fmt.Sprintf("Provider %q must be an object such as { source = \"acme/%s\", version = \"~> 1.0\" }.", name, name))
	}
	vals := v.AsValueMap()
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		val := vals[key]
		if val.IsNull() || !val.Type().Equals(cty.String) {
			return bad(fmt.Sprintf("Provider %q: %s must be a string.", name, key))
		}
		switch key {
		case "source":
			req.Source = strings.TrimSpace(val.AsString())
			if _, _, err := discovery.ParseSource(req.Source); err != nil {
				return bad(err.Error() + ".")
			}
		case "version":
			req.Constraints = val.AsString()
			if _, err := discovery.ParseConstraints(req.Constraints); err != nil {
				return bad(fmt.Sprintf("Provider %q: invalid version constraint %q: %s.", name, req.Constraints, err))
			}
		default:
			return bad(fmt.Sprintf("Provider %q: unexpected %q; the arguments are source and version.", name, key))
		}
	}
	return req, nil
}
