package smtp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/providers/sdk"
)

// message renders the delivery as an RFC 5322 message with a
// multipart/alternative body (text, then HTML), and returns it with its
// Message-ID.
func (c *config) message(d *sdk.Delivery, to *mail.Address, now time.Time) ([]byte, string, error) {
	subject := d.Message["subject"]
	body := d.Message["body"]
	text, ok := d.Message["text"]
	if !ok || text == "" {
		text = TextFromHTML(body)
	}
	id := MessageID(d.IdempotencyKey, c.from.Address)

	var buf bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	header("From", c.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", now.UTC().Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	// The runtime's URL names the recipient, as RFC 8058 wants of a
	// one-click URL; the channel's fixed unsubscribe_url is for runtimes
	// that serve none (no -public-url).
	if u := unsubscribeURL(d, c.unsubscribe); u != "" {
		header("List-Unsubscribe", "<"+u+">")
		header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary(d.IdempotencyKey)); err != nil {
		return nil, "", err
	}
	header("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	buf.WriteString("\r\n")
	for _, part := range []struct{ ctype, content string }{{"text/plain", text}, {"text/html", body}} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, "", err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, "", err
		}
		if err := qp.Close(); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), id, nil
}

// unsubscribeURL is the URL a delivery's List-Unsubscribe names: the
// runtime's per-recipient one when it sent one, else the channel's.
// A URL with a character that would end the header's <...> or break its
// line is not sent.
func unsubscribeURL(d *sdk.Delivery, channel string) string {
	u := d.UnsubscribeURL
	if u == "" {
		u = channel
	}
	if strings.ContainsAny(u, "<>\r\n \t,") {
		return ""
	}
	return u
}

// boundary is the multipart boundary of a delivery: fixed by its key, so
// that every attempt sends the same bytes.
func boundary(key string) string {
	sum := sha256.Sum256([]byte("boundary:" + key))
	return "waymark-" + hex.EncodeToString(sum[:12])
}

var (
	blockTags = regexp.MustCompile(`(?i)<(br|/p|/div|/h[1-6]|/li|/tr)\s*/?>`)
	anyTag    = regexp.MustCompile(`(?s)<[^>]*>`)
	spaces    = regexp.MustCompile(`[ \t]+`)
	newlines  = regexp.MustCompile(`\n{3,}`)
)

// TextFromHTML derives a plain text part from an HTML body: tags dropped,
// entities decoded, block ends kept as line breaks.
func TextFromHTML(s string) string {
	s = blockTags.ReplaceAllString(s, "\n")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(spaces.ReplaceAllString(l, " "))
	}
	return strings.TrimSpace(newlines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}
