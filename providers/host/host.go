package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/internal/protocol"
)

// Options configure a Host. The zero value is usable.
type Options struct {
	// Logger receives the host's messages and each provider's log, named
	// after the provider. Nil logs warnings and errors to standard error.
	Logger hclog.Logger
	// Stdout receives what providers print to standard output (the log
	// provider writes there by default). Nil discards it.
	Stdout io.Writer
	// CallTimeout is the deadline of a call whose context has none
	// (default 30s).
	CallTimeout time.Duration
	// StartTimeout bounds a provider's start and handshake (default 30s).
	StartTimeout time.Duration
	// Reattach is the value of WAYMARK_REATTACH_PROVIDERS: providers
	// started by hand to attach to instead of launching.
	Reattach string
}

// ProtocolVersion is the provider protocol version this host speaks.
const ProtocolVersion = protocol.Version

// ErrNotAvailable is wrapped by the error for a provider the host was not
// given.
var ErrNotAvailable = errors.New("provider not available")

// Host runs providers. Its methods are safe for concurrent use.
type Host struct {
	opts     Options
	reattach map[string]protocol.Reattach

	mu        sync.Mutex
	providers map[string]*Provider // by source
	closed    bool
}

// New returns a host with no providers.
func New(opts Options) (*Host, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.New(&hclog.LoggerOptions{Name: "waymark", Level: hclog.Warn, Output: os.Stderr})
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 30 * time.Second
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 30 * time.Second
	}
	re, err := protocol.ParseReattach(opts.Reattach)
	if err != nil {
		return nil, err
	}
	return &Host{opts: opts, reattach: re, providers: map[string]*Provider{}}, nil
}

// Add makes a provider available by its source address. Nothing runs until
// it is first used. Adding a source twice replaces the first, which must not
// have been used yet.
func (h *Host) Add(e Executable) error {
	if e.Source == "" {
		return errors.New("a provider executable needs a source address")
	}
	if e.Name == "" {
		e.Name = path.Base(e.Source)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("the provider host is closed")
	}
	if old, ok := h.providers[e.Source]; ok {
		if old.PID() != 0 {
			return fmt.Errorf("provider %s is already running", e.Source)
		}
	}
	h.providers[e.Source] = h.newProvider(e)
	return nil
}

func (h *Host) newProvider(e Executable) *Provider {
	p := &Provider{
		exe:        e,
		opts:       &h.opts,
		log:        h.opts.Logger.Named("provider").Named(e.Name),
		pluginLog:  h.opts.Logger.Named("provider"),
		configured: map[string]map[string]cty.Value{},
	}
	if r, ok := h.reattach[e.Source]; ok {
		p.reattach = &r
	}
	return p
}

// Provider returns the provider with the given source address. A provider
// listed in WAYMARK_REATTACH_PROVIDERS is available even if it was never
// added.
func (h *Host) Provider(source string) (*Provider, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errors.New("the provider host is closed")
	}
	if p, ok := h.providers[source]; ok {
		return p, nil
	}
	if _, ok := h.reattach[source]; ok {
		p := h.newProvider(Executable{Source: source, Name: path.Base(source)})
		h.providers[source] = p
		return p, nil
	}
	return nil, fmt.Errorf("provider %s: %w; built-in providers are waymark/inbound, waymark/log, waymark/smtp and waymark/webhook, and others must be declared in required_providers and installed with \"waymark init\"", source, ErrNotAvailable)
}

// Sources lists the source addresses of the providers the host has.
func (h *Host) Sources() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.providers))
	for s := range h.providers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Close kills every provider process and waits for them to exit. The host
// cannot be used afterwards.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	ps := make([]*Provider, 0, len(h.providers))
	for _, p := range h.providers {
		ps = append(ps, p)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close()
		}()
	}
	wg.Wait()
	return nil
}

// Schema implements provschema.Source.
func (h *Host) Schema(ctx context.Context, _, source string) (*provschema.Schema, error) {
	p, err := h.Provider(source)
	if err != nil {
		return nil, err
	}
	return p.Schema(ctx)
}

// ValidateChannel implements provschema.Source.
func (h *Host) ValidateChannel(ctx context.Context, _, source string, config map[string]cty.Value) ([]provschema.Diagnostic, error) {
	p, err := h.Provider(source)
	if err != nil {
		return nil, err
	}
	return p.ValidateChannel(ctx, config)
}

// ValidateMessage implements provschema.Source.
func (h *Host) ValidateMessage(ctx context.Context, _, source string, message map[string]cty.Value) ([]provschema.Diagnostic, error) {
	p, err := h.Provider(source)
	if err != nil {
		return nil, err
	}
	return p.ValidateMessage(ctx, message)
}

// Configure hands the provider with the given source a channel's
// configuration; see Provider.Configure.
func (h *Host) Configure(ctx context.Context, source, channel string, config map[string]cty.Value) ([]provschema.Diagnostic, error) {
	p, err := h.Provider(source)
	if err != nil {
		return nil, err
	}
	return p.Configure(ctx, channel, config)
}

// Deliver makes one delivery through the provider with the given source;
// see Provider.Deliver.
func (h *Host) Deliver(ctx context.Context, source string, d *Delivery) (string, error) {
	p, err := h.Provider(source)
	if err != nil {
		return "", err
	}
	return p.Deliver(ctx, d)
}

// Health asks the provider with the given source whether it can deliver.
func (h *Host) Health(ctx context.Context, source string) error {
	p, err := h.Provider(source)
	if err != nil {
		return err
	}
	return p.Health(ctx)
}

var _ provschema.Source = (*Host)(nil)
