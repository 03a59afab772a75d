package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/internal/protocol"
	"github.com/waymarkhq/waymark/providers/proto/providerv1"
)

// Provider is one provider of a Host: a process launched on first use and
// relaunched after it dies. Its methods are safe for concurrent use.
type Provider struct {
	exe       Executable
	reattach  *protocol.Reattach // set for a provider started by hand
	opts      *Options
	log       hclog.Logger // named after the provider
	pluginLog hclog.Logger // go-plugin's, which names stderr lines itself

	mu         sync.Mutex
	client     *plugin.Client
	rpc        providerv1.ProviderClient
	pid        int
	schema     *provschema.Schema
	configured map[string]map[string]cty.Value // by channel, replayed on restart
	order      []string                        // channels in the order configured
	closed     bool
}

// Source returns the provider's source address.
func (p *Provider) Source() string { return p.exe.Source }

// PID returns the process id of the provider's running process, or 0 when
// none is running.
func (p *Provider) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil || p.client.Exited() {
		return 0
	}
	return p.pid
}

// Schema returns the provider's schema, asking the process once.
func (p *Provider) Schema(ctx context.Context) (*provschema.Schema, error) {
	p.mu.Lock()
	s := p.schema
	p.mu.Unlock()
	if s != nil {
		return s, nil
	}
	var resp *providerv1.GetSchema_Response
	err := p.call(ctx, "GetSchema", func(ctx context.Context, c providerv1.ProviderClient) (err error) {
		resp, err = c.GetSchema(ctx, &providerv1.GetSchema_Request{})
		return err
	})
	if err != nil {
		return nil, err
	}
	if diags := protocol.DecodeDiagnostics(resp.GetDiagnostics()); protocol.HasErrors(diags) {
		return nil, fmt.Errorf("provider %s: GetSchema: %s", p.exe.Source, diags[0].Summary)
	}
	s, err = protocol.DecodeSchema(resp.GetSchema())
	if err != nil {
		return nil, fmt.Errorf("provider %s: invalid schema: %w", p.exe.Source, err)
	}
	if s.Provider != p.exe.Source {
		return nil, fmt.Errorf("provider %s: the executable %s serves provider %q instead", p.exe.Source, p.exe.Path, s.Provider)
	}
	switch {
	case s.Version == "":
		s.Version = p.exe.Version
	case p.exe.Version != "" && s.Version != p.exe.Version:
		return nil, fmt.Errorf("provider %s: the executable %s is installed as version %s but reports version %s", p.exe.Source, p.exe.Path, p.exe.Version, s.Version)
	}
	p.mu.Lock()
	p.schema = s
	p.mu.Unlock()
	return s, nil
}

// ValidateChannel asks the provider to check a channel's configuration.
// Runtime expressions arrive as unknown values.
func (p *Provider) ValidateChannel(ctx context.Context, config map[string]cty.Value) ([]provschema.Diagnostic, error) {
	vals, err := protocol.EncodeValues(config)
	if err != nil {
		return nil, fmt.Errorf("provider %s: channel %w", p.exe.Source, err)
	}
	var resp *providerv1.ValidateChannel_Response
	err = p.call(ctx, "ValidateChannel", func(ctx context.Context, c providerv1.ProviderClient) (err error) {
		resp, err = c.ValidateChannel(ctx, &providerv1.ValidateChannel_Request{Config: vals})
		return err
	})
	if err != nil {
		return nil, err
	}
	return protocol.DecodeDiagnostics(resp.GetDiagnostics()), nil
}

// ValidateMessage asks the provider to check an action's message block.
// Templates that depend on the customer arrive as unknown strings.
func (p *Provider) ValidateMessage(ctx context.Context, message map[string]cty.Value) ([]provschema.Diagnostic, error) {
	vals, err := protocol.EncodeValues(message)
	if err != nil {
		return nil, fmt.Errorf("provider %s: message %w", p.exe.Source, err)
	}
	var resp *providerv1.ValidateMessage_Response
	err = p.call(ctx, "ValidateMessage", func(ctx context.Context, c providerv1.ProviderClient) (err error) {
		resp, err = c.ValidateMessage(ctx, &providerv1.ValidateMessage_Request{Message: vals})
		return err
	})
	if err != nil {
		return nil, err
	}
	return protocol.DecodeDiagnostics(resp.GetDiagnostics()), nil
}

// Configure hands the provider a channel's configuration, secrets
// included. When the provider accepts it (no error diagnostics), the host
// keeps it and hands it again to every restarted process, so that
// deliveries on the channel keep working.
func (p *Provider) Configure(ctx context.Context, channel string, config map[string]cty.Value) ([]provschema.Diagnostic, error) {
	var diags []provschema.Diagnostic
	err := p.call(ctx, "Configure", func(ctx context.Context, c providerv1.ProviderClient) error {
		var err error
		diags, err = configure(ctx, c, channel, config)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("provider %s: channel %s: %w", p.exe.Source, channel, err)
	}
	if !protocol.HasErrors(diags) {
		p.mu.Lock()
		if _, ok := p.configured[channel]; !ok {
			p.order = append(p.order, channel)
		}
		p.configured[channel] = config
		p.mu.Unlock()
	}
	return diags, nil
}

func configure(ctx context.Context, c providerv1.ProviderClient, channel string, config map[string]cty.Value) ([]provschema.Diagnostic, error) {
	vals, err := protocol.EncodeValues(config)
	if err != nil {
		return nil, err
	}
	resp, err := c.Configure(ctx, &providerv1.Configure_Request{Channel: channel, Config: vals})
	if err != nil {
		return nil, err
	}
	return protocol.DecodeDiagnostics(resp.GetDiagnostics()), nil
}

// Deliver makes one delivery and returns the provider's message id. A
// failure the provider reports is a *DeliveryError; use Retryable to tell
// whether to try again. A process that dies during the call is restarted
// and the call retried once, so the receiver may see the delivery twice:
// that is what the idempotency key is for.
func (p *Provider) Deliver(ctx context.Context, d *Delivery) (string, error) {
	var resp *providerv1.Deliver_Response
	err := p.call(ctx, "Deliver", func(ctx context.Context, c providerv1.ProviderClient) error {
		deadline, _ := ctx.Deadline()
		req, err := d.encode(deadline)
		if err != nil {
			return err
		}
		resp, err = c.Deliver(ctx, req)
		return err
	})
	if err != nil {
		return "", err
	}
	if e := resp.GetError(); e != nil {
		return "", &DeliveryError{Source: p.exe.Source, Message: e.GetMessage(), Retryable: e.GetRetryable()}
	}
	return resp.GetMessageId(), nil
}

// Health asks whether the provider can deliver now; nil means it can.
func (p *Provider) Health(ctx context.Context) error {
	var resp *providerv1.Health_Response
	err := p.call(ctx, "Health", func(ctx context.Context, c providerv1.ProviderClient) (err error) {
		resp, err = c.Health(ctx, &providerv1.Health_Request{})
		return err
	})
	if err != nil {
		return err
	}
	if !resp.GetHealthy() {
		return fmt.Errorf("provider %s is unhealthy: %s", p.exe.Source, resp.GetDetail())
	}
	return nil
}

// call runs fn against a live process within the call's deadline. When the
// process turns out to be dead, it restarts it and runs fn once more.
func (p *Provider) call(ctx context.Context, method string, fn func(context.Context, providerv1.ProviderClient) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.opts.CallTimeout)
		defer cancel()
	}
	for attempt := 1; ; attempt++ {
		c, client, err := p.conn(ctx)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return fmt.Errorf("%w (%w)", err, ctxErr)
			}
			return err
		}
		err = fn(ctx, c)
		if err == nil {
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("provider %s: %s: %w", p.exe.Source, method, ctxErr)
		}
		// The provider enforces the same deadline and may cancel the call a
		// moment before this side's timer fires: past the deadline, the call
		// ran out of time whichever side noticed first.
		if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
			return fmt.Errorf("provider %s: %s: %w", p.exe.Source, method, context.DeadlineExceeded)
		}
		if !p.dead(client, err) {
			if _, ok := status.FromError(err); ok {
				return fmt.Errorf("provider %s: %s: %s", p.exe.Source, method, status.Convert(err).Message())
			}
			return fmt.Errorf("provider %s: %s: %w", p.exe.Source, method, err)
		}
		p.drop(client)
		if attempt > 1 || p.reattach != nil {
			return fmt.Errorf("provider %s: %s: %w: %s", p.exe.Source, method, ErrProcessDied, status.Convert(err).Message())
		}
		p.log.Warn("provider process died during a call; restarting it and retrying the call", "method", method)
	}
}

// dead reports whether err says the process behind client is gone.
func (p *Provider) dead(client *plugin.Client, err error) bool {
	if client.Exited() {
		return true
	}
	return status.Code(err) == codes.Unavailable
}

// drop forgets client (killing what is left of it) so that the next call
// starts a new process.
func (p *Provider) drop(client *plugin.Client) {
	p.mu.Lock()
	if p.client != client {
		p.mu.Unlock()
		return
	}
	p.client, p.rpc, p.pid = nil, nil, 0
	p.mu.Unlock()
	client.Kill()
}

// conn returns a client of a live process, starting one (and handing it
// every channel configured so far) when there is none.
func (p *Provider) conn(ctx context.Context) (providerv1.ProviderClient, *plugin.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, fmt.Errorf("provider %s: the host is closed", p.exe.Source)
	}
	if p.client != nil && !p.client.Exited() {
		return p.rpc, p.client, nil
	}
	if p.client != nil {
		old := p.client
		p.client, p.rpc, p.pid = nil, nil, 0
		old.Kill()
		if p.reattach != nil {
			return nil, nil, fmt.Errorf("provider %s: %w; it was attached with %s and cannot be restarted", p.exe.Source, ErrProcessDied, protocol.ReattachEnv)
		}
		p.log.Warn("provider process exited; restarting it")
	}
	client, err := p.launch(ctx)
	if err != nil {
		return nil, nil, err
	}
	raw, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("provider %s: starting %s: %w", p.exe.Source, p.exe.Path, err)
	}
	disp, err := raw.Dispense(protocol.PluginName)
	if err != nil {
		client.Kill()
		return nil, nil, fmt.Errorf("provider %s: %w", p.exe.Source, err)
	}
	rpc := disp.(providerv1.ProviderClient)
	for _, ch := range p.order {
		diags, err := configure(ctx, rpc, ch, p.configured[ch])
		if err == nil && protocol.HasErrors(diags) {
			err = errors.New(diags[0].Summary)
		}
		if err != nil {
			client.Kill()
			return nil, nil, fmt.Errorf("provider %s: configuring channel %s again after a restart: %w", p.exe.Source, ch, err)
		}
	}
	p.client, p.rpc = client, rpc
	if p.reattach != nil {
		p.pid = p.reattach.Pid
	} else if id, err := strconv.Atoi(client.ID()); err == nil {
		p.pid = id
	}
	return rpc, client, nil
}

// launch makes a go-plugin client for a new process, or for the process
// named in WAYMARK_REATTACH_PROVIDERS.
func (p *Provider) launch(ctx context.Context) (*plugin.Client, error) {
	sets := protocol.PluginSets(nil)
	if p.reattach != nil {
		rc, err := p.reattach.PluginConfig()
		if err != nil {
			return nil, fmt.Errorf("provider %s: %s: %w", p.exe.Source, protocol.ReattachEnv, err)
		}
		if rc.ProtocolVersion != protocol.Version {
			return nil, fmt.Errorf("provider %s: %s: the provider speaks protocol version %d; this host speaks %d", p.exe.Source, protocol.ReattachEnv, rc.ProtocolVersion, protocol.Version)
		}
		return plugin.NewClient(&plugin.ClientConfig{
			HandshakeConfig: protocol.Handshake(),
			// A reattached client negotiates nothing: it uses Plugins.
			Plugins:          sets[protocol.Version],
			Reattach:         rc,
			AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
			Logger:           p.pluginLog,
			SyncStdout:       p.opts.Stdout,
			SyncStderr:       p.stray(),
		}), nil
	}
	if err := p.exe.verify(); err != nil {
		return nil, err
	}
	exe := p.exe
	// go-plugin's start takes no context: bound it by the call's deadline.
	start := p.opts.StartTimeout
	if dl, ok := ctx.Deadline(); ok {
		start = min(start, max(time.Until(dl), time.Millisecond))
	}
	return plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake(),
		VersionedPlugins: sets,
		// spec carries the environment go-plugin prepared: the host's, the
		// handshake's and the AutoMTLS certificate.
		RunnerFunc: func(_ hclog.Logger, spec *exec.Cmd, _ string) (runner.Runner, error) {
			cmd := exec.Command(exe.Path, exe.Args...)
			cmd.Env = append(append([]string(nil), spec.Env...), exe.Env...)
			cmd.Stdin = spec.Stdin
			return newProcRunner(exe.Name, cmd)
		},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           p.pluginLog,
		StartTimeout:     start,
		SyncStdout:       p.opts.Stdout,
		SyncStderr:       p.stray(),
	}), nil
}

// stray is where what a provider prints to its standard error outside its
// logger goes: into the log, as if logged.
func (p *Provider) stray() io.Writer {
	return p.log.StandardWriter(&hclog.StandardLoggerOptions{InferLevels: true})
}

// close kills the provider's process, if any; later calls fail.
func (p *Provider) close() {
	p.mu.Lock()
	client := p.client
	p.client, p.rpc, p.pid, p.closed = nil, nil, 0, true
	p.mu.Unlock()
	if client != nil {
		client.Kill()
	}
}
