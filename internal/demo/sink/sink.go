// Package sink receives what the demo's channels deliver: an SMTP server
// for the email channel and an HTTP server for webhooks, both on loopback,
// counting what arrives (each delivery once, by its idempotency key or
// Message-ID) so the demo can show that deliveries really happened.
//
// It is for the demo and tests only; it must not know about the runtime.
package sink

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Sink counts deliveries received by its servers.
type Sink struct {
	mu       sync.Mutex
	emails   map[string]bool // by Message-ID
	oneClick int
	webhooks map[string]bool // by Idempotency-Key
	alerts   []Alert
	dups     int
	// changed is closed, and replaced, whenever a delivery arrives.
	changed chan struct{}

	smtp *smtp.Server
	http *http.Server
	// SMTPAddr and HTTPAddr are the addresses the servers listen on.
	SMTPAddr, HTTPAddr string
}

// Counts are what the sink received.
type Counts struct {
	Emails, Webhooks, Duplicates int
	// OneClick counts the emails that offered the runtime's RFC 8058
	// one-click unsubscribe: its per-recipient /v1/unsubscribe/ URL in
	// List-Unsubscribe, with List-Unsubscribe-Post.
	OneClick int
	// Alerts are the KPI alerts among the webhooks, in order of arrival.
	Alerts []Alert
}

// Alert is a KPI alert as the webhook provider posts it, with the
// delivery's idempotency key (the runtime's alert id).
type Alert struct {
	Key    string  `json:"-"`
	KPI    string  `json:"kpi"`
	Value  float64 `json:"value"`
	Target float64 `json:"target"`
	State  string  `json:"state"`
}

// Start listens for SMTP on smtpAddr and HTTP on httpAddr (either may be
// empty to skip it).
func Start(smtpAddr, httpAddr string) (*Sink, error) {
	s := &Sink{emails: map[string]bool{}, webhooks: map[string]bool{}, changed: make(chan struct{})}
	if smtpAddr != "" {
		ln, err := net.Listen("tcp", smtpAddr)
		if err != nil {
			return nil, fmt.Errorf("smtp sink: %w", err)
		}
		s.SMTPAddr = ln.Addr().String()
		s.smtp = smtp.NewServer(backend{s})
		s.smtp.Domain = "localhost"
		s.smtp.ErrorLog = log.New(io.Discard, "", 0) // clients hanging up are no news
		s.smtp.AllowInsecureAuth = true
		s.smtp.ReadTimeout = 10 * time.Second
		s.smtp.WriteTimeout = 10 * time.Second
		go s.smtp.Serve(ln)
	}
	if httpAddr != "" {
		ln, err := net.Listen("tcp", httpAddr)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("webhook sink: %w", err)
		}
		s.HTTPAddr = ln.Addr().String()
		s.http = &http.Server{Handler: http.HandlerFunc(s.webhook), ReadHeaderTimeout: 10 * time.Second}
		go s.http.Serve(ln)
	}
	return s, nil
}

func (s *Sink) webhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var body struct {
		Kind  string `json:"kind"`
		Alert *Alert `json:"alert"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		http.Error(w, "the body is not JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if s.record(s.webhooks, key) && body.Kind == "alert" && body.Alert != nil {
		body.Alert.Key = key
		s.mu.Lock()
		s.alerts = append(s.alerts, *body.Alert)
		s.notify()
		s.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// record counts a delivery and reports whether it is new.
func (s *Sink) record(seen map[string]bool, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	if key != "" && seen[key] {
		s.dups++
		return false
	}
	if key == "" {
		key = fmt.Sprintf("anonymous-%d", len(seen))
	}
	seen[key] = true
	return true
}

// Counts returns what has arrived so far.
func (s *Sink) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Counts{Emails: len(s.emails), Webhooks: len(s.webhooks), Duplicates: s.dups, OneClick: s.oneClick, Alerts: append([]Alert(nil), s.alerts...)}
}

// notify wakes the waiters; s.mu is held.
func (s *Sink) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Wait returns what has arrived once done holds of it, or ctx's error with
// what had arrived when ctx ended.
func (s *Sink) Wait(ctx context.Context, done func(Counts) bool) (Counts, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		c := s.Counts()
		if done(c) {
			return c, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Counts(), ctx.Err()
		}
	}
}

// Close stops both servers.
func (s *Sink) Close() error {
	var errs []error
	if s.smtp != nil {
		errs = append(errs, s.smtp.Close())
	}
	if s.http != nil {
		errs = append(errs, s.http.Shutdown(context.Background()))
	}
	return errors.Join(errs...)
}

type backend struct{ s *Sink }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct{ s *Sink }

func (*session) Mail(string, *smtp.MailOptions) error { return nil }
func (*session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*session) Reset()                               {}
func (*session) Logout() error                        { return nil }

func (ss *session) Data(r io.Reader) error {
	m, err := mail.ReadMessage(bufio.NewReader(io.LimitReader(r, 4<<20)))
	if err != nil {
		return fmt.Errorf("reading the message: %w", err)
	}
	io.Copy(io.Discard, m.Body)
	if ss.s.record(ss.s.emails, m.Header.Get("Message-ID")) && oneClick(m.Header) {
		ss.s.mu.Lock()
		ss.s.oneClick++
		ss.s.mu.Unlock()
	}
	return nil
}

// oneClick reports whether h offers the runtime's RFC 8058 one-click
// unsubscribe (not only a channel's fixed unsubscribe_url).
func oneClick(h mail.Header) bool {
	return strings.Contains(h.Get("List-Unsubscribe"), "/v1/unsubscribe/") && h.Get("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
}
