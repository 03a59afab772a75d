package service

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-version"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/lockfile"
	"github.com/waymarkhq/waymark/providers/sdk"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
)

// providers runs the channels' providers: each is added to the host the
// first time a delivery needs it, and each channel configured (secrets
// included, in memory only) before its first delivery and again when its
// configuration changes.
type providers struct {
	env  *discovery.Env
	host *host.Host
	log  *slog.Logger

	mu         sync.Mutex
	added      map[string]string // source -> version added
	configured map[string][32]byte
}

func newProviders(env *discovery.Env, opts host.Options, log *slog.Logger) (*providers, error) {
	h, err := host.New(opts)
	if err != nil {
		return nil, err
	}
	return &providers{env: env, host: h, log: log, added: map[string]string{}, configured: map[string][32]byte{}}, nil
}

func (p *providers) close() { p.host.Close() }

// errNoProviders is the failure of every delivery of a runtime that runs
// no provider.
var errNoProviders = fmt.Errorf("this runtime runs no provider: %w", host.ErrNotAvailable)

// ready makes sure the provider of ch runs and has ch's configuration.
// docs are the deployed documents, whose Providers say which version of a
// non-built-in provider to run.
func (p *providers) ready(ctx context.Context, ch *decide.Channel, docs []*deploy.Document) error {
	if p.env == nil {
		return errNoProviders
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.added[ch.Source]; !ok {
		exe, err := p.executable(ch, docs)
		if err != nil {
			return err
		}
		if err := p.host.Add(exe); err != nil {
			return err
		}
		p.added[ch.Source] = exe.Version
	}
	digest, cfg, err := channelConfig(ch)
	if err != nil {
		return fmt.Errorf("channel %s: %w", ch.Name, err)
	}
	if p.configured[ch.Name] == digest {
		return nil
	}
	diags, err := p.host.Configure(ctx, ch.Source, ch.Name, cfg)
	if err != nil {
		return err
	}
	for _, d := range diags {
		if d.Severity == provschema.Error {
			// The summary names the problem; the detail may quote a value.
			return &host.DeliveryError{Source: ch.Source, Message: fmt.Sprintf("channel %s cannot be configured: %s", ch.Name, d.Summary)}
		}
	}
	p.configured[ch.Name] = digest
	return nil
}

// executable finds how to run the provider of ch.
func (p *providers) executable(ch *decide.Channel, docs []*deploy.Document) (host.Executable, error) {
	if discovery.IsBuiltin(ch.Source) {
		return p.env.Builtin(ch.Provider, ch.Source), nil
	}
	for _, d := range docs {
		for _, pr := range d.Providers {
			if pr.Source == ch.Source {
				exe, err := p.env.Locate(pr.Name, pr.Source, pr.Version, pr.Hashes)
				if err != nil {
					return host.Executable{}, err
				}
				exe.LockedBy = fmt.Sprintf("the deployment of stack %q", d.Stack)
				return exe, nil
			}
		}
	}
	return host.Executable{}, fmt.Errorf("provider %s: no deployment records which version to run: %w", ch.Source, host.ErrNotAvailable)
}

// channelConfig converts a channel's configuration to provider values, and
// digests it.
func channelConfig(ch *decide.Channel) ([32]byte, map[string]cty.Value, error) {
	keys := make([]string, 0, len(ch.Config))
	for k := range ch.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	cfg := make(map[string]cty.Value, len(keys))
	for _, k := range keys {
		raw := ch.Config[k]
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write(raw)
		h.Write([]byte{0})
		t, err := ctyjson.ImpliedType(raw)
		if err != nil {
			return [32]byte{}, nil, fmt.Errorf("config %s: %w", k, err)
		}
		v, err := ctyjson.Unmarshal(raw, t)
		if err != nil {
			return [32]byte{}, nil, fmt.Errorf("config %s: %w", k, err)
		}
		cfg[k] = v
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d, cfg, nil
}

// deliver makes one delivery through the channel's provider.
func (s *Service) deliver(ctx context.Context, source string, d *host.Delivery) (string, error) {
	ch := s.eng.Decisioning().Channels[d.Channel]
	if ch == nil || ch.Source != source {
		return "", &host.DeliveryError{Source: source, Message: fmt.Sprintf("channel %s is no longer deployed with provider %s", d.Channel, source)}
	}
	if s.cfg.Deliver != nil {
		return s.cfg.Deliver(ctx, source, d)
	}
	if err := s.prov.ready(ctx, ch, s.documents()); err != nil {
		s.m.providerError(source, d.Channel, err)
		return "", err
	}
	id, err := s.prov.host.Deliver(ctx, source, d)
	if err != nil && ctx.Err() == nil {
		s.m.providerError(source, d.Channel, err)
	}
	return id, err
}

// documents returns the latest deployment of every stack.
func (s *Service) documents() []*deploy.Document {
	s.deployMu.Lock()
	defer s.deployMu.Unlock()
	out := make([]*deploy.Document, 0, len(s.deployed))
	for _, d := range s.deployed {
		out = append(out, d.Doc)
	}
	return out
}

// check refuses the providers of doc that this runtime cannot run: a
// provider that is not built in must be installed on this host at the
// version the deployment records, for this platform, with one of the
// hashes the configuration's lock recorded. Without the check the
// deployment would be accepted and every delivery through it fail.
func (p *providers) check(doc *deploy.Document) catalog.Problems {
	var ps catalog.Problems
	for _, pr := range doc.Providers {
		if discovery.IsBuiltin(pr.Source) {
			continue
		}
		if msg := p.cannotRun(pr); msg != "" {
			ps = append(ps, catalog.Problem{Address: usedBy(doc, pr.Source), Message: msg})
		}
	}
	return ps
}

// cannotRun says why the runtime cannot run pr, or "" when it can.
func (p *providers) cannotRun(pr deploy.Provider) string {
	if p.env == nil {
		return fmt.Sprintf("provider %s %s cannot run: this runtime runs no provider", pr.Source, pr.Version)
	}
	platform := discovery.CurrentPlatform()
	if p.env.Platform != "" {
		platform = p.env.Platform
	}
	_, name, err := discovery.ParseSource(pr.Source)
	if err != nil {
		return err.Error()
	}
	if pr.Version == "" {
		return fmt.Sprintf("provider %s: the deployment records no version to run; run \"waymark init\" and plan again", pr.Source)
	}
	pkgs, err := p.env.Find(pr.Source)
	if err != nil {
		return fmt.Sprintf("provider %s %s: %v", pr.Source, pr.Version, err)
	}
	want, err := version.NewVersion(pr.Version)
	if err != nil {
		return fmt.Sprintf("provider %s: version %q: %v", pr.Source, pr.Version, err)
	}
	for _, pkg := range pkgs {
		if !pkg.Version.Equal(want) {
			continue
		}
		path := pkg.Executables[platform]
		if len(pr.Hashes) == 0 {
			return ""
		}
		got, err := lockfile.HashFile(path)
		if err != nil {
			return fmt.Sprintf("provider %s %s: %v", pr.Source, pr.Version, err)
		}
		if slices.Contains(pr.Hashes, got) {
			return ""
		}
		return fmt.Sprintf("provider %s %s is installed on the runtime host as %s, but its hash %s is not one the configuration's lock records (%s): "+
			"replace it with the executable \"waymark init\" locked, or, if the runtime host's is the one to trust, run \"waymark init -upgrade\" with it and plan again",
			pr.Source, pr.Version, path, got, strings.Join(pr.Hashes, ", "))
	}
	dirs := p.env.Dirs()
	rel := filepath.Join(filepath.FromSlash(pr.Source), pr.Version, platform, discovery.ExecutableName(name, platform))
	return fmt.Sprintf("provider %s %s for %s is not installed on the runtime host; install it on the runtime host as %s "+
		"(copy it from the configuration's %s, which \"waymark init\" fills), or under another directory the runtime searches (%s), then apply again",
		pr.Source, pr.Version, platform, filepath.Join(dirs[len(dirs)-1], rel), filepath.Join(discovery.LocalDir, rel), strings.Join(dirs, ", "))
}

// usedBy is the address of the first channel of doc served by source.
func usedBy(doc *deploy.Document, source string) string {
	for _, o := range doc.Objects {
		if o.Channel != nil && o.Channel.Source == source {
			return o.Address
		}
	}
	return ""
}

// schemas returns the schemas, by source, of the providers of doc's
// channels, starting each provider as a delivery would; a provider that
// cannot be started is a problem of the channel. A runtime that runs no
// provider has no schema.
func (p *providers) schemas(ctx context.Context, doc *deploy.Document, docs []*deploy.Document) (map[string]*provschema.Schema, catalog.Problems) {
	out := map[string]*provschema.Schema{}
	var ps catalog.Problems
	for i := range doc.Objects {
		o := &doc.Objects[i]
		if o.Channel == nil || out[o.Channel.Source] != nil {
			continue
		}
		ch := o.Channel
		if bp, ok := builtinProvider(ch.Source); ok {
			out[ch.Source] = &bp.Schema
			continue
		}
		if p.env == nil {
			continue
		}
		s, err := p.schema(ctx, &decide.Channel{Name: ch.Name, Provider: ch.Provider, Source: ch.Source}, append(docs, doc))
		if err != nil {
			ps = append(ps, catalog.Problem{Address: o.Address, Message: fmt.Sprintf("the schema of provider %s cannot be read: %v", ch.Source, err)})
			continue
		}
		out[ch.Source] = s
	}
	return out, ps
}

// schema starts the provider of ch if it is not running, and returns its
// schema.
func (p *providers) schema(ctx context.Context, ch *decide.Channel, docs []*deploy.Document) (*provschema.Schema, error) {
	p.mu.Lock()
	if _, ok := p.added[ch.Source]; !ok {
		exe, err := p.executable(ch, docs)
		if err == nil {
			err = p.host.Add(exe)
		}
		if err != nil {
			p.mu.Unlock()
			return nil, err
		}
		p.added[ch.Source] = exe.Version
	}
	p.mu.Unlock()
	return p.host.Schema(ctx, ch.Provider, ch.Source)
}

// validateChannels asks each channel's provider to validate its
// configuration, per-delivery attributes unknown, as validate does.
func (p *providers) validateChannels(ctx context.Context, doc *deploy.Document, schemas map[string]*provschema.Schema) catalog.Problems {
	var ps catalog.Problems
	for i := range doc.Objects {
		o := &doc.Objects[i]
		ch := o.Channel
		if ch == nil || schemas[ch.Source] == nil {
			continue
		}
		s := schemas[ch.Source]
		cfg := map[string]cty.Value{}
		for _, a := range s.Channel {
			cfg[a.Name] = cty.NullVal(a.Type)
			if _, ok := ch.PerDelivery[a.Name]; ok {
				cfg[a.Name] = cty.UnknownVal(a.Type)
			}
			raw, ok := ch.Config[a.Name]
			if !ok {
				continue
			}
			var generic any
			if json.Unmarshal(raw, &generic) == nil && deploy.IsWithheld(generic) {
				cfg[a.Name] = cty.UnknownVal(a.Type)
				continue
			}
			if v, err := ctyjson.Unmarshal(raw, a.Type); err == nil {
				cfg[a.Name] = v
			}
		}
		var diags []provschema.Diagnostic
		var err error
		if bp, ok := builtinProvider(ch.Source); ok {
			if bp.ValidateChannel != nil {
				diags = bp.ValidateChannel(ctx, cfg)
			}
		} else {
			diags, err = p.host.ValidateChannel(ctx, ch.Provider, ch.Source, cfg)
		}
		if err != nil {
			ps = append(ps, catalog.Problem{Address: o.Address, Message: fmt.Sprintf("provider %s could not validate the channel: %v", ch.Source, err)})
			continue
		}
		for _, d := range diags {
			if d.Severity == provschema.Error {
				// The summary names the problem; the detail may quote a
				// value.
				where := ""
				if len(d.Path) > 0 {
					where = strings.Join(d.Path, ".") + ": "
				}
				ps = append(ps, catalog.Problem{Address: o.Address, Message: fmt.Sprintf("%sprovider %s: %s", where, ch.Source, d.Summary)})
			}
		}
	}
	return ps
}

// builtinProvider is the built-in provider of source, whose schema and
// checks the runtime has without running it.
func builtinProvider(source string) (sdk.Provider, bool) {
	if !discovery.IsBuiltin(source) {
		return sdk.Provider{}, false
	}
	name, ok := strings.CutPrefix(source, "waymark/")
	if !ok {
		return sdk.Provider{}, false
	}
	return builtin.Provider(name, "")
}
