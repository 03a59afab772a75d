package smtp_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/providers/builtin/smtp"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/sdk/sdktest"
)

func TestMain(m *testing.M) { sdktest.Main(m, smtp.Provider()) }

// received is one message the test server accepted.
type received struct {
	from, to           string
	tls                bool
	username, password string
	data               []byte
}

// server is a real SMTP server on loopback, built with go-smtp.
type server struct {
	addr     string
	port     int
	caFile   string // PEM of its self-signed certificate, when it offers STARTTLS
	rcptCode int    // when set, RCPT is refused with this code

	mu   sync.Mutex
	msgs []received
}

func startServer(t *testing.T, withTLS bool) *server {
	t.Helper()
	s := &server{}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &session{s: s, c: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = !withTLS
	if withTLS {
		cert, pemBytes := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.caFile = filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(s.caFile, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = "127.0.0.1"
	s.port = l.Addr().(*net.TCPAddr).Port
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *server) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type session struct {
	s   *server
	c   *gosmtp.Conn
	cur received
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != "mailer" || password != "pa55word" {
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "Authentication failed"}
		}
		x.cur.username, x.cur.password = username, password
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *gosmtp.MailOptions) error {
	x.cur.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if code := x.s.rcptCode; code != 0 {
		return &gosmtp.SMTPError{Code: code, Message: "refused " + to}
	}
	x.cur.to = to
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.cur.data = data
	_, x.cur.tls = x.c.TLSConnectionState()
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.cur)
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.cur = received{username: x.cur.username, password: x.cur.password} }
func (x *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and returns it with its PEM.
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "waymark smtp test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes
}

func channel(s *server, extra map[string]cty.Value) map[string]cty.Value {
	cfg := map[string]cty.Value{
		"host": cty.StringVal(s.addr),
		"port": cty.NumberIntVal(int64(s.port)),
		"from": cty.StringVal("Acme <hello@acme.test>"),
	}
	if s.caFile != "" {
		cfg["ca_file"] = cty.StringVal(s.caFile)
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

func delivery(key string) *host.Delivery {
	return &host.Delivery{
		Kind: host.KindAction, IdempotencyKey: key, Channel: "email", Stack: "growth", Journey: "cart_recovery", Action: "reminder_email",
		CustomerID: "c-42",
		Recipient:  map[string]cty.Value{"to": cty.StringVal("ada@example.test").Mark("sensitive")},
		Message: map[string]string{
			"subject": "Ada, you left something behind — 10% off",
			"body":    "<p>Hello <b>Ada</b>,</p><p>Your cart &amp; a discount await.</p>",
		},
	}
}

func configure(t *testing.T, p *host.Provider, name string, cfg map[string]cty.Value) {
	t.Helper()
	diags, err := p.Configure(context.Background(), name, cfg)
	if err != nil || len(diags) > 0 {
		t.Fatalf("Configure: %+v %v", diags, err)
	}
}

// TestDeliverStartTLSAuth sends through a real SMTP server that requires
// STARTTLS (self-signed certificate trusted through ca_file) before AUTH
// PLAIN, and checks the message as received.
func TestDeliverStartTLSAuth(t *testing.T) {
	s := startServer(t, true)
	p := sdktest.Process(t, smtp.Provider())
	configure(t, p, "email", channel(s, map[string]cty.Value{
		"username":        cty.StringVal("mailer"),
		"password":        cty.StringVal("pa55word").Mark("sensitive"),
		"unsubscribe_url": cty.StringVal("https://acme.test/unsubscribe"),
	}))
	id, err := p.Deliver(context.Background(), delivery("key-1"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if !m.tls || m.username != "mailer" || m.password != "pa55word" || m.from != "hello@acme.test" || m.to != "ada@example.test" {
		t.Errorf("session: tls %v, user %q, from %q, to %q", m.tls, m.username, m.from, m.to)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	for k, want := range map[string]string{
		"From":                  `"Acme" <hello@acme.test>`,
		"To":                    "<ada@example.test>",
		"Message-ID":            smtp.MessageID("key-1", "hello@acme.test"),
		"List-Unsubscribe":      "<https://acme.test/unsubscribe>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"MIME-Version":          "1.0",
	} {
		if got := msg.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if subject != "Ada, you left something behind — 10% off" {
		t.Errorf("subject %q", subject)
	}
	if id != msg.Header.Get("Message-ID") {
		t.Errorf("message id %q, header %q", id, msg.Header.Get("Message-ID"))
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	var order []string
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		b, _ := io.ReadAll(part)
		parts[ct] = string(b)
		order = append(order, ct)
	}
	if strings.Join(order, ",") != "text/plain,text/html" {
		t.Errorf("parts %v, want text then HTML", order)
	}
	if parts["text/html"] != delivery("").Message["body"] {
		t.Errorf("HTML part %q", parts["text/html"])
	}
	if parts["text/plain"] != "Hello Ada,\r\nYour cart & a discount await." { // quoted-printable text has CRLF line ends
		t.Errorf("text part %q", parts["text/plain"])
	}
}

// TestUnsubscribeHeaders checks which URL List-Unsubscribe names: the
// runtime's per-recipient one, carried over the provider protocol, before
// the channel's fixed one; none when neither is set or the URL would break
// the header.
func TestUnsubscribeHeaders(t *testing.T) {
	s := startServer(t, false)
	p := sdktest.Process(t, smtp.Provider())
	const fixed, signed = "https://acme.test/unsubscribe", "https://waymark.acme.test/v1/unsubscribe/AbC-_9"
	tests := []struct {
		name, channel, runtime, want string
	}{
		{"the runtime's", fixed, signed, "<" + signed + ">"},
		{"the runtime's without a channel URL", "", signed, "<" + signed + ">"},
		{"the channel's", fixed, "", "<" + fixed + ">"},
		{"none", "", "", ""},
		{"not one that breaks the header", "", "https://x.test/a>\r\nBcc: eve@evil.test", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]cty.Value{"starttls": cty.StringVal("off")}
			if tt.channel != "" {
				extra["unsubscribe_url"] = cty.StringVal(tt.channel)
			}
			configure(t, p, "email", channel(s, extra))
			d := delivery(fmt.Sprint("unsub-", i))
			d.UnsubscribeURL = tt.runtime
			if _, err := p.Deliver(context.Background(), d); err != nil {
				t.Fatal(err)
			}
			msgs := s.messages()
			msg, err := mail.ReadMessage(bytes.NewReader(msgs[len(msgs)-1].data))
			if err != nil {
				t.Fatal(err)
			}
			if got := msg.Header.Get("List-Unsubscribe"); got != tt.want {
				t.Errorf("List-Unsubscribe %q, want %q", got, tt.want)
			}
			post := "List-Unsubscribe=One-Click"
			if tt.want == "" {
				post = ""
			}
			if got := msg.Header.Get("List-Unsubscribe-Post"); got != post {
				t.Errorf("List-Unsubscribe-Post %q, want %q", got, post)
			}
			if got := msg.Header.Get("Bcc"); got != "" {
				t.Errorf("Bcc %q", got)
			}
		})
	}
}

func TestStartTLSModes(t *testing.T) {
	plain := startServer(t, false)
	secure := startServer(t, true)
	p := sdktest.Process(t, smtp.Provider())
	tests := []struct {
		mode    string
		srv     *server
		wantTLS bool
		wantErr string
	}{
		{"required", plain, false, "does not offer STARTTLS"},
		{"opportunistic", plain, false, ""},
		{"opportunistic", secure, true, ""},
		{"off", secure, false, ""},
	}
	for i, tt := range tests {
		name := tt.mode + map[bool]string{true: "_tls_server", false: "_plain_server"}[tt.srv == secure]
		t.Run(name, func(t *testing.T) {
			ch := name
			configure(t, p, ch, channel(tt.srv, map[string]cty.Value{"starttls": cty.StringVal(tt.mode)}))
			before := len(tt.srv.messages())
			d := delivery("modes-" + name)
			d.Channel = ch
			_, err := p.Deliver(context.Background(), d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || host.Retryable(err) {
					t.Fatalf("error %v (retryable %v), want permanent %q", err, host.Retryable(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			msgs := tt.srv.messages()
			if len(msgs) != before+1 || msgs[len(msgs)-1].tls != tt.wantTLS {
				t.Errorf("case %d: messages %d, tls %v; want tls %v", i, len(msgs)-before, msgs[len(msgs)-1].tls, tt.wantTLS)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	p := sdktest.Process(t, smtp.Provider())
	tests := []struct {
		name      string
		rcptCode  int
		password  string
		retryable bool
		want      string
	}{
		{"mailbox unknown", 550, "pa55word", false, "refused (recipient)"},
		{"mailbox busy", 451, "pa55word", true, "refused (recipient)"},
		{"wrong password", 0, "wrong", false, "Authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, true)
			s.rcptCode = tt.rcptCode
			ch := strings.ReplaceAll(tt.name, " ", "_")
			configure(t, p, ch, channel(s, map[string]cty.Value{"username": cty.StringVal("mailer"), "password": cty.StringVal(tt.password)}))
			d := delivery("refused")
			d.Channel = ch
			_, err := p.Deliver(context.Background(), d)
			if err == nil || host.Retryable(err) != tt.retryable || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v (retryable %v), want %q retryable %v", err, host.Retryable(err), tt.want, tt.retryable)
			}
			for _, secret := range []string{"ada@example.test", tt.password} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows %q", err, secret)
				}
			}
		})
	}
}

func TestValidateChannel(t *testing.T) {
	p := sdktest.InProcess(t, smtp.Provider())
	ok := map[string]cty.Value{"host": cty.StringVal("mail.acme.test"), "from": cty.StringVal("Acme <hello@acme.test>"), "to": cty.UnknownVal(cty.String)}
	with := func(k string, v cty.Value) map[string]cty.Value {
		m := map[string]cty.Value{}
		for a, b := range ok {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		cfg  map[string]cty.Value
		want string
	}{
		{"valid", ok, ""},
		{"port zero", with("port", cty.NumberIntVal(0)), "port: Invalid SMTP port"},
		{"port too big", with("port", cty.NumberIntVal(70000)), "port: Invalid SMTP port"},
		{"port fraction", with("port", cty.NumberFloatVal(25.5)), "port: Invalid SMTP port"},
		{"from", with("from", cty.StringVal("not an address")), "from: Invalid sender address"},
		{"from unknown", with("from", cty.UnknownVal(cty.String)), ""},
		{"starttls", with("starttls", cty.StringVal("always")), "starttls: Invalid starttls"},
		{"timeout", with("timeout", cty.StringVal("1 minute")), "timeout: Invalid timeout"},
		{"unsubscribe http", with("unsubscribe_url", cty.StringVal("http://acme.test/u")), "unsubscribe_url: Invalid unsubscribe URL"},
		{"cleartext password", with("starttls", cty.StringVal("off")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags, err := p.ValidateChannel(context.Background(), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if len(diags) > 0 {
				got = strings.Join(diags[0].Path, ".") + ": " + diags[0].Summary
			}
			if got != tt.want || len(diags) > 1 {
				t.Errorf("diagnostics %+v, want %q", diags, tt.want)
			}
		})
	}
	cfg := with("starttls", cty.StringVal("off"))
	cfg["username"] = cty.StringVal("mailer")
	diags, _ := p.ValidateChannel(context.Background(), cfg)
	if len(diags) != 1 || diags[0].Summary != "Password sent unencrypted" || diags[0].Severity != 1 {
		t.Errorf("clear text auth: %+v", diags)
	}
}

func TestTextFromHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>Hi</p><p>there</p>", "Hi\nthere"},
		{"a<br>b<br/>c", "a\nb\nc"},
		{"<b>bold</b> &amp; <i>it</i>", "bold & it"},
		{"plain", "plain"},
		{"<div>\n  lots   of\n\n\n\n space </div>", "lots of\n\nspace"},
	}
	for _, tt := range tests {
		if got := smtp.TextFromHTML(tt.in); got != tt.want {
			t.Errorf("TextFromHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMessageID(t *testing.T) {
	a, b := smtp.MessageID("k", "x@acme.test"), smtp.MessageID("k", "y@acme.test")
	if a != b || !strings.HasSuffix(a, "@acme.test>") || smtp.MessageID("k2", "x@acme.test") == a {
		t.Errorf("MessageID: %s %s", a, b)
	}
}
