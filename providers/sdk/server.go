package sdk

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/internal/protocol"
	"github.com/waymarkhq/waymark/providers/proto/providerv1"
)

// server adapts a Provider to the gRPC service.
type server struct {
	providerv1.UnimplementedProviderServer
	p   Provider
	log hclog.Logger

	mu       sync.Mutex
	channels map[string]map[string]cty.Value // configured channels by name
}

func newServer(p Provider, log hclog.Logger) *server {
	return &server{p: p, log: log, channels: map[string]map[string]cty.Value{}}
}

func (s *server) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, loggerKey{}, s.log)
}

func (s *server) GetSchema(context.Context, *providerv1.GetSchema_Request) (*providerv1.GetSchema_Response, error) {
	ps, err := protocol.EncodeSchema(&s.p.Schema)
	if err != nil {
		return nil, err
	}
	return &providerv1.GetSchema_Response{Schema: ps}, nil
}

func (s *server) ValidateChannel(ctx context.Context, req *providerv1.ValidateChannel_Request) (*providerv1.ValidateChannel_Response, error) {
	vals, err := protocol.DecodeValues(req.GetConfig())
	if err != nil {
		return nil, err
	}
	cfg, _ := conform(s.p.Schema.Channel, vals, false)
	var diags []provschema.Diagnostic
	if s.p.ValidateChannel != nil {
		diags = s.p.ValidateChannel(s.ctx(ctx), cfg)
	}
	return &providerv1.ValidateChannel_Response{Diagnostics: protocol.EncodeDiagnostics(diags)}, nil
}

func (s *server) ValidateMessage(ctx context.Context, req *providerv1.ValidateMessage_Request) (*providerv1.ValidateMessage_Response, error) {
	vals, err := protocol.DecodeValues(req.GetMessage())
	if err != nil {
		return nil, err
	}
	msg, _ := conform(s.p.Schema.Message, vals, false)
	var diags []provschema.Diagnostic
	if s.p.ValidateMessage != nil {
		diags = s.p.ValidateMessage(s.ctx(ctx), msg)
	}
	return &providerv1.ValidateMessage_Response{Diagnostics: protocol.EncodeDiagnostics(diags)}, nil
}

func (s *server) Configure(ctx context.Context, req *providerv1.Configure_Request) (*providerv1.Configure_Response, error) {
	vals, err := protocol.DecodeValues(req.GetConfig())
	if err != nil {
		return nil, err
	}
	cfg, diags := conform(s.p.Schema.Channel, vals, true)
	if !protocol.HasErrors(diags) && s.p.ValidateChannel != nil {
		diags = append(diags, s.p.ValidateChannel(s.ctx(ctx), cfg)...)
	}
	if !protocol.HasErrors(diags) && s.p.Configure != nil {
		if err := s.p.Configure(s.ctx(ctx), cfg); err != nil {
			diags = append(diags, provschema.Diagnostic{Severity: provschema.Error, Summary: "Cannot configure channel " + req.GetChannel(), Detail: err.Error()})
		}
	}
	if !protocol.HasErrors(diags) {
		s.mu.Lock()
		s.channels[req.GetChannel()] = cfg
		s.mu.Unlock()
	}
	return &providerv1.Configure_Response{Diagnostics: protocol.EncodeDiagnostics(diags)}, nil
}

func (s *server) Deliver(ctx context.Context, req *providerv1.Deliver_Request) (*providerv1.Deliver_Response, error) {
	fail := func(err error, retryable bool) (*providerv1.Deliver_Response, error) {
		return &providerv1.Deliver_Response{Error: &providerv1.Deliver_Error{Message: err.Error(), Retryable: retryable}}, nil
	}
	if s.p.Deliver == nil {
		return fail(fmt.Errorf("provider %s does not deliver", s.p.Schema.Provider), false)
	}
	s.mu.Lock()
	cfg, ok := s.channels[req.GetChannel()]
	s.mu.Unlock()
	if !ok {
		return fail(fmt.Errorf("channel %q was not configured before delivery", req.GetChannel()), true)
	}
	d, err := decodeDelivery(req, cfg, s.p.Schema.Channel)
	if err != nil {
		return fail(err, false)
	}
	if !d.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Deadline)
		defer cancel()
	}
	id, err := s.p.Deliver(s.ctx(ctx), d)
	if err != nil {
		return fail(err, !IsPermanent(err))
	}
	return &providerv1.Deliver_Response{MessageId: id}, nil
}

func (s *server) Health(ctx context.Context, _ *providerv1.Health_Request) (*providerv1.Health_Response, error) {
	if s.p.Health != nil {
		if err := s.p.Health(s.ctx(ctx)); err != nil {
			return &providerv1.Health_Response{Healthy: false, Detail: err.Error()}, nil
		}
	}
	return &providerv1.Health_Response{Healthy: true}, nil
}

func decodeDelivery(req *providerv1.Deliver_Request, cfg map[string]cty.Value, channel []provschema.Attribute) (*Delivery, error) {
	d := &Delivery{
		IdempotencyKey: req.GetIdempotencyKey(),
		Channel:        req.GetChannel(),
		Config:         cfg,
		Stack:          req.GetStack(),
		Journey:        req.GetJourney(),
		Action:         req.GetAction(),
		Message:        req.GetMessage(),
		UnsubscribeURL: req.GetUnsubscribeUrl(),
	}
	if d.Message == nil {
		d.Message = map[string]string{}
	}
	if n := req.GetDeadlineUnixNano(); n > 0 {
		d.Deadline = time.Unix(0, n)
	}
	switch req.GetKind() {
	case providerv1.Deliver_ACTION:
		d.Kind = KindAction
	case providerv1.Deliver_ALERT:
		d.Kind = KindAlert
	default:
		return nil, fmt.Errorf("unknown delivery kind %v", req.GetKind())
	}
	if c := req.GetCustomer(); c != nil {
		attrs, err := protocol.DecodeValues(c.GetAttributes())
		if err != nil {
			return nil, fmt.Errorf("customer %w", err)
		}
		d.Customer = Customer{ID: c.GetId(), Attributes: attrs}
	}
	rcpt, err := protocol.DecodeValues(req.GetRecipient())
	if err != nil {
		return nil, fmt.Errorf("recipient %w", err)
	}
	var perDelivery []provschema.Attribute
	for _, a := range channel {
		if a.PerDelivery {
			perDelivery = append(perDelivery, a)
		}
	}
	d.Recipient, _ = conform(perDelivery, rcpt, false)
	if a := req.GetAlert(); a != nil {
		d.Alert = &Alert{KPI: a.GetKpi(), Value: a.GetValue(), Target: a.GetTarget(), State: a.GetState()}
	}
	if d.Kind == KindAlert && d.Alert == nil {
		return nil, fmt.Errorf("an alert delivery carries no alert")
	}
	return d, nil
}

// conform returns vals with every attribute of attrs present (null when
// absent) and converted to its type; attributes attrs does not list are
// dropped. When strict, it reports missing required attributes (other than
// per-delivery ones, which Configure never sees), unknown attributes and
// values of the wrong type; otherwise a value that cannot be converted
// becomes unknown, since the language reports types itself.
func conform(attrs []provschema.Attribute, vals map[string]cty.Value, strict bool) (map[string]cty.Value, []provschema.Diagnostic) {
	out := make(map[string]cty.Value, len(attrs))
	var diags []provschema.Diagnostic
	known := map[string]bool{}
	for _, a := range attrs {
		known[a.Name] = true
		v, ok := vals[a.Name]
		if !ok || v.IsNull() {
			if strict && a.Required && !a.PerDelivery {
				diags = append(diags, AttributeError(a.Name, "Missing required attribute", fmt.Sprintf("The attribute %q is required.", a.Name)))
			}
			out[a.Name] = cty.NullVal(a.Type)
			continue
		}
		cv, err := convert.Convert(v, a.Type)
		if err != nil {
			if strict {
				diags = append(diags, AttributeError(a.Name, "Incorrect attribute value type", fmt.Sprintf("Inappropriate value for attribute %q: %s.", a.Name, err)))
			}
			cv = cty.UnknownVal(a.Type)
		}
		out[a.Name] = cv
	}
	if strict {
		var extra []string
		for k := range vals {
			if !known[k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for _, k := range extra {
			diags = append(diags, AttributeError(k, "Unsupported attribute", fmt.Sprintf("An attribute named %q is not expected here.", k)))
		}
	}
	return out, diags
}
