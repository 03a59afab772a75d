package smtp

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/sdk"
)

// Defaults for unset channel attributes.
const (
	DefaultPort     = 587
	DefaultTimeout  = 30 * time.Second
	DefaultStartTLS = "required"
)

// Provider is the smtp provider.
func Provider() sdk.Provider {
	return sdk.Provider{
		Schema:          Schema(),
		ValidateChannel: validateChannel,
		Configure: func(_ context.Context, cfg map[string]cty.Value) error {
			_, err := newConfig(cfg)
			return err
		},
		Deliver: func(ctx context.Context, d *sdk.Delivery) (string, error) {
			c, err := newConfig(d.Config)
			if err != nil {
				return "", sdk.Permanent(err)
			}
			return c.deliver(ctx, d)
		},
	}
}

func validateChannel(_ context.Context, cfg map[string]cty.Value) []provschema.Diagnostic {
	var diags []provschema.Diagnostic
	known := func(name string) (cty.Value, bool) {
		v := cfg[name]
		return v, v.IsKnown() && !v.IsNull()
	}
	if v, ok := known("port"); ok {
		if _, err := port(v); err != nil {
			diags = append(diags, sdk.AttributeError("port", "Invalid SMTP port", err.Error()))
		}
	}
	if v, ok := known("from"); ok {
		if _, err := mail.ParseAddress(v.AsString()); err != nil {
			diags = append(diags, sdk.AttributeError("from", "Invalid sender address", fmt.Sprintf("%q is not an address such as \"Acme <hello@acme.test>\": %s.", v.AsString(), err)))
		}
	}
	if v, ok := known("starttls"); ok {
		switch v.AsString() {
		case "required", "opportunistic", "off":
		default:
			diags = append(diags, sdk.AttributeError("starttls", "Invalid starttls", fmt.Sprintf(`starttls must be "required", "opportunistic" or "off", not %q.`, v.AsString())))
		}
	}
	if v, ok := known("timeout"); ok {
		if d, err := time.ParseDuration(v.AsString()); err != nil || d <= 0 {
			diags = append(diags, sdk.AttributeError("timeout", "Invalid timeout", fmt.Sprintf("%q is not a positive duration such as \"30s\".", v.AsString())))
		}
	}
	if v, ok := known("unsubscribe_url"); ok {
		if u, err := url.Parse(v.AsString()); err != nil || u.Scheme != "https" || u.Host == "" {
			diags = append(diags, sdk.AttributeError("unsubscribe_url", "Invalid unsubscribe URL", fmt.Sprintf("%q must be an https URL (RFC 8058 one-click unsubscribe).", v.AsString())))
		}
	}
	if v, ok := known("host"); ok && strings.TrimSpace(v.AsString()) == "" {
		diags = append(diags, sdk.AttributeError("host", "Empty SMTP host", "Set host to the SMTP server's name or address."))
	}
	if st, ok := known("starttls"); ok && st.AsString() == "off" {
		if u, ok := known("username"); ok && u.AsString() != "" {
			diags = append(diags, provschema.Diagnostic{Severity: provschema.Warning, Summary: "Password sent unencrypted",
				Detail: `With starttls = "off" the SMTP password crosses the network in clear text.`, Path: []string{"starttls"}})
		}
	}
	return diags
}

func port(v cty.Value) (int, error) {
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || n < 1 || n > 65535 {
		return 0, fmt.Errorf("the port must be a whole number from 1 to 65535, not %s", bf.Text('g', -1))
	}
	return int(n), nil
}

// config is a channel's configuration, parsed.
type config struct {
	host, username, password string
	port                     int
	from                     *mail.Address
	starttls                 string
	unsubscribe              string
	timeout                  time.Duration
	roots                    *x509.CertPool
}

func newConfig(cfg map[string]cty.Value) (*config, error) {
	c := &config{
		host:        sdk.String(cfg["host"]),
		username:    sdk.String(cfg["username"]),
		password:    sdk.String(cfg["password"]),
		port:        DefaultPort,
		starttls:    DefaultStartTLS,
		unsubscribe: sdk.String(cfg["unsubscribe_url"]),
		timeout:     DefaultTimeout,
	}
	var err error
	if v := cfg["port"]; !v.IsNull() {
		if c.port, err = port(v); err != nil {
			return nil, err
		}
	}
	if c.from, err = mail.ParseAddress(sdk.String(cfg["from"])); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if s := sdk.String(cfg["starttls"]); s != "" {
		c.starttls = s
	}
	if s := sdk.String(cfg["timeout"]); s != "" {
		if c.timeout, err = time.ParseDuration(s); err != nil {
			return nil, fmt.Errorf("timeout: %w", err)
		}
	}
	if f := sdk.String(cfg["ca_file"]); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		c.roots = x509.NewCertPool()
		if !c.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file: %s holds no PEM certificate", f)
		}
	}
	return c, nil
}

func (c *config) deliver(ctx context.Context, d *sdk.Delivery) (string, error) {
	if d.Kind != sdk.KindAction {
		return "", sdk.Permanent(errors.New("the smtp provider delivers actions to customers; KPI alerts need a channel with a fixed address, such as a webhook"))
	}
	to, err := mail.ParseAddress(sdk.String(d.Recipient["to"]))
	if err != nil {
		return "", sdk.Permanent(errors.New("the recipient (to) is not an email address"))
	}
	msg, id, err := c.message(d, to, time.Now())
	if err != nil {
		return "", sdk.Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.send(ctx, to.Address, msg); err != nil {
		return "", classify(err, to.Address)
	}
	return id, nil
}

// send runs one SMTP session that sends msg to rcpt.
func (c *config) send(ctx context.Context, rcpt string, msg []byte) error {
	client, err := c.dial(ctx, c.starttls != "off")
	if errors.Is(err, errNoStartTLS) && c.starttls == "opportunistic" {
		client, err = c.dial(ctx, false)
	}
	if err != nil {
		return err
	}
	defer client.Close()
	if c.username != "" {
		if err := client.Auth(sasl.NewPlainClient("", c.username, c.password)); err != nil {
			return fmt.Errorf("authentication as %s: %w", c.username, err)
		}
	}
	if err := client.Mail(c.from.Address, nil); err != nil {
		return err
	}
	if err := client.Rcpt(rcpt, nil); err != nil {
		return err
	}
	w, err := client.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return client.Quit()
}

var errNoStartTLS = errors.New("the SMTP server does not offer STARTTLS, which starttls = \"required\" demands")

// dial connects, with STARTTLS when tls is set. The connection is closed
// when ctx is done, which ends any command in progress.
func (c *config) dial(ctx context.Context, useTLS bool) (*gosmtp.Client, error) {
	addr := net.JoinHostPort(c.host, strconv.Itoa(c.port))
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { conn.Close() })
	var client *gosmtp.Client
	if useTLS {
		client, err = gosmtp.NewClientStartTLS(conn, &tls.Config{ServerName: c.host, RootCAs: c.roots, MinVersion: tls.VersionTLS12})
		if err != nil {
			conn.Close()
			if strings.Contains(err.Error(), "doesn't support STARTTLS") {
				return nil, errNoStartTLS
			}
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	} else {
		client = gosmtp.NewClient(conn)
	}
	if dl, ok := ctx.Deadline(); ok {
		client.CommandTimeout = time.Until(dl)
		client.SubmissionTimeout = time.Until(dl)
	}
	return client, nil
}

// classify marks an SMTP failure retryable (4xx replies, network errors,
// timeouts) or permanent (5xx replies, no STARTTLS), with the recipient's
// address removed from the message.
func classify(err error, rcpt string) error {
	clean := errors.New(strings.ReplaceAll(err.Error(), rcpt, "(recipient)"))
	var se *gosmtp.SMTPError
	switch {
	case errors.As(err, &se) && se.Code >= 500:
		return sdk.Permanent(clean)
	case errors.Is(err, errNoStartTLS):
		return sdk.Permanent(clean)
	}
	return sdk.Retryable(clean)
}

// MessageID returns the Message-ID of the delivery with the given
// idempotency key from the sender's domain: the same for every attempt, so
// that receivers can drop repeats.
func MessageID(key, fromAddress string) string {
	domain := "waymark.invalid"
	if i := strings.LastIndexByte(fromAddress, '@'); i >= 0 && i+1 < len(fromAddress) {
		domain = fromAddress[i+1:]
	}
	sum := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(sum[:16]) + ".waymark@" + domain + ">"
}
