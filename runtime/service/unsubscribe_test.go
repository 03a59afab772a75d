package service

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func testKeys(t *testing.T, fill byte) *keys {
	t.Helper()
	k, err := newKeys(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// An unsubscribe token opens to what it was minted with, is the same for
// the same delivery, shows nothing in clear, and any change to it, or
// another key, makes it one the runtime did not sign.
func TestUnsubscribeToken(t *testing.T) {
	k := testKeys(t, 1)
	want := unsubToken{Customer: "ana@example.test", Decision: "18edeb87c0bc6f73896fd2c359c19b9d",
		Action: "growth/journey.cart_recovery.action.reminder", Channel: "email", Issued: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	tok := k.mintUnsubscribe(want)
	if tok != k.mintUnsubscribe(want) {
		t.Fatal("two tokens for one delivery")
	}
	other := want
	other.Decision = "18edeb87c0bc6f73896fd2c359c19b9e"
	if k.mintUnsubscribe(other) == tok {
		t.Fatal("one token for two deliveries")
	}
	got, err := k.openUnsubscribe(tok)
	if err != nil || got != want {
		t.Fatalf("opened %+v %v", got, err)
	}
	sealed, _ := base64.RawURLEncoding.DecodeString(tok)
	for _, clear := range []string{want.Customer, "ana", want.Action, want.Channel, want.Decision[:8]} {
		if strings.Contains(tok, clear) || bytes.Contains(sealed, []byte(clear)) {
			t.Fatalf("the token shows %q", clear)
		}
	}
	forged := func(tok string) bool {
		_, err := k.openUnsubscribe(tok)
		var bad *BadTokenError
		return errors.As(err, &bad) && bad.Forged
	}
	for i := range sealed {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		if !forged(base64.RawURLEncoding.EncodeToString(b)) {
			t.Fatalf("a token with byte %d changed is not refused as forged", i)
		}
	}
	if !forged(testKeys(t, 2).mintUnsubscribe(want)) {
		t.Fatal("another key's token is not refused as forged")
	}
	for _, bad := range []string{"", "!!", "AAAA", tok[:20], strings.Repeat("A", maxTokenLen+1)} {
		_, err := k.openUnsubscribe(bad)
		var be *BadTokenError
		if !errors.As(err, &be) || be.Forged {
			t.Errorf("%.20q: %v, want a malformed token", bad, err)
		}
	}
	long := want
	long.Customer = strings.Repeat("é", 128) // the longest customer id
	long.Decision, long.Action = strings.Repeat("d", 256), strings.Repeat("a", 512)
	if n := len(k.mintUnsubscribe(long)); n > maxTokenLen {
		t.Fatalf("a token of %d characters, more than the %d accepted", n, maxTokenLen)
	}
}

func TestParsePublicURL(t *testing.T) {
	for _, tt := range []struct {
		in, err string
	}{
		{"https://waymark.acme.test", ""},
		{"https://acme.test/waymark/", ""},
		{"http://127.0.0.1:7400", ""},
		{"http://localhost:7400", ""},
		{"http://waymark.acme.test", "must be https"},
		{"ftp://acme.test", "must be https"},
		{"waymark.acme.test", "must be a base URL"},
		{"https://acme.test/?a=1", "must be a base URL"},
		{"https://u:p@acme.test", "must be a base URL"},
		{"https://acme.test/%zz", "is not a URL"},
	} {
		_, err := ParsePublicURL(tt.in)
		if (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: %v, want %q", tt.in, err, tt.err)
		}
	}
}
