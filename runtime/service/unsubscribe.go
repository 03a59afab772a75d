package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/internal/wire"
	"github.com/waymarkhq/waymark/runtime/store"
)

// An unsubscribe token names one delivery's customer, decision, action
// and channel, and when the action fell due. It is sealed with AES-256-GCM
// under a key derived from the runtime's secret key, so that nothing in it
// reads in clear (customer ids may be email addresses) and nothing in it
// can be changed; the nonce is an HMAC-SHA256 of the contents (a
// synthetic IV), so that every attempt of one delivery sends the same
// URL, and opening checks it again with hmac.Equal. Tokens do not expire:
// an unsubscribe link must work as long as the mail is kept.
// docs/governance.md, "Unsubscribe".
const (
	tokenVersion = 1
	// maxTokenLen bounds the token accepted: the longest minted, with
	// ids at events.MaxIDLen, is under 1,100 characters.
	maxTokenLen = 2048
)

// tokenAD binds the sealed token to its use.
var tokenAD = []byte("waymark unsubscribe token v1")

// unsubToken is what a token carries.
type unsubToken struct {
	Customer, Decision, Action, Channel string
	Issued                              time.Time
}

// BadTokenError is an unsubscribe token that is malformed (400) or that
// this runtime did not mint: forged, altered or minted under another
// secret key (404).
type BadTokenError struct {
	Forged bool
	Msg    string
}

func (e *BadTokenError) Error() string { return e.Msg }

func (k *keys) mintUnsubscribe(t unsubToken) string {
	b := []byte{tokenVersion}
	for _, s := range []string{t.Customer, t.Decision, t.Action, t.Channel} {
		b = wire.AppendString(b, s)
	}
	b = binary.AppendVarint(b, t.Issued.Unix())
	n := k.unsub.NonceSize()
	nonce := k.unsubNonce(b)[:n]
	return base64.RawURLEncoding.EncodeToString(k.unsub.Seal(nonce, nonce, b, tokenAD))
}

func (k *keys) unsubNonce(plain []byte) []byte {
	m := hmac.New(sha256.New, k.unsubMAC)
	m.Write(plain)
	return m.Sum(nil)
}

func (k *keys) openUnsubscribe(token string) (unsubToken, error) {
	malformed := &BadTokenError{Msg: "the unsubscribe link is malformed: it is not one the runtime sent (was it cut when copied?)"}
	if len(token) > maxTokenLen {
		return unsubToken{}, malformed
	}
	sealed, err := base64.RawURLEncoding.DecodeString(token)
	n := k.unsub.NonceSize()
	if err != nil || len(sealed) < n+k.unsub.Overhead() {
		return unsubToken{}, malformed
	}
	forged := &BadTokenError{Forged: true, Msg: "there is no such unsubscribe link: it was altered, or not sent by this runtime"}
	plain, err := k.unsub.Open(nil, sealed[:n], sealed[n:], tokenAD)
	if err != nil || !hmac.Equal(sealed[:n], k.unsubNonce(plain)[:n]) {
		return unsubToken{}, forged
	}
	d := &wire.Reader{B: plain}
	if d.Byte() != tokenVersion {
		return unsubToken{}, forged
	}
	t := unsubToken{Customer: d.String(), Decision: d.String(), Action: d.String(), Channel: d.String()}
	issued, m := binary.Varint(d.B)
	if d.Err || m <= 0 || m != len(d.B) || t.Customer == "" || t.Channel == "" {
		return unsubToken{}, forged
	}
	t.Issued = time.Unix(issued, 0).UTC()
	return t, nil
}

// unsubscribeURL is the one-click unsubscribe URL of an outbox item, or
// "" when the runtime has no public URL to serve it at, and for a
// transactional action, which an unsubscribe does not stop: a link that
// changes nothing for the message it comes with would mislead.
func (s *Service) unsubscribeURL(it *delivery.Item) string {
	if s.public == nil || it.Alert != nil {
		return ""
	}
	if a := s.eng.Decisioning().Action(it.Ref()); a != nil && a.Transactional {
		return ""
	}
	tok := s.keys.mintUnsubscribe(unsubToken{Customer: it.Customer, Decision: it.Decision, Action: it.Ref(),
		Channel: it.Channel, Issued: it.Due})
	return s.public.JoinPath(apiv1.UnsubscribePath(tok)).String()
}

// ParsePublicURL reads the runtime's public base URL (-public-url): an
// absolute https URL, or http on a loopback host for development, with no
// query or fragment.
func ParsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("-public-url %q is not a URL: %w", s, err)
	case u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, fmt.Errorf("-public-url %q must be a base URL such as https://waymark.example.com, with no query, fragment or user", s)
	case u.Scheme == "https":
	case u.Scheme == "http" && loopbackHost(u.Hostname()):
	default:
		return nil, fmt.Errorf("-public-url %q must be https (RFC 8058 one-click unsubscribe links are https; http is allowed only on a loopback host)", s)
	}
	return u, nil
}

// Unsubscribe records the unsubscribe of a one-click link's token: the
// unsubscribed response to the delivery's decision, exactly as POST
// /v1/responses records it (and deduplicated with it). Only the one
// delivery is named, but the response turns the channel's consent off for
// the customer. A token that is malformed or not the runtime's is a
// *BadTokenError.
func (s *Service) Unsubscribe(ctx context.Context, token string) (apiv1.UnsubscribeResult, error) {
	t, err := s.keys.openUnsubscribe(token)
	if err != nil {
		return apiv1.UnsubscribeResult{}, err
	}
	// The decision's control flag goes with the response, as POST
	// /v1/responses sends it, while the decision is kept.
	control := false
	if r, err := s.record(ctx, t.Decision, false); err == nil {
		control = r.Control
	}
	rec := store.LogRecord{
		Partition: store.PartitionOf(t.Customer),
		ID:        "response\x00" + t.Decision + "\x00" + t.Action + "\x00" + engine.OutcomeUnsubscribed,
		Arrival:   s.now().UTC(),
		Data: engine.EncodeResponse(engine.Response{Customer: t.Customer, Decision: t.Decision, Action: t.Action,
			Channel: t.Channel, Outcome: engine.OutcomeUnsubscribed, Control: control}),
	}
	seqs, err := s.st.Append(ctx, []store.LogRecord{rec})
	if err != nil {
		if errors.Is(err, store.ErrClosed) {
			return apiv1.UnsubscribeResult{}, &OverloadedError{"the runtime is shutting down"}
		}
		return apiv1.UnsubscribeResult{}, err
	}
	s.eng.Notify()
	s.m.responses.WithLabelValues(engine.OutcomeUnsubscribed).Inc()
	return apiv1.UnsubscribeResult{Channel: t.Channel, Unsubscribed: true, Duplicate: seqs[0] == 0}, nil
}

// UnsubscribeLink says what a one-click link's token names, for the page
// a GET shows, without unsubscribing: only the channel, since the page is
// served to whoever holds the link.
func (s *Service) UnsubscribeLink(token string) (channel string, err error) {
	t, err := s.keys.openUnsubscribe(token)
	return t.Channel, err
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
