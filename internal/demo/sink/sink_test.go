package sink

import (
	"net/http"
	"net/smtp"
	"strings"
	"testing"
)

// A delivery retried with the same Message-ID or Idempotency-Key is counted
// once, and the repeat as a duplicate.
func TestSinkCountsEachDeliveryOnce(t *testing.T) {
	s, err := Start("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mail := func(id string) {
		t.Helper()
		msg := "Message-ID: <" + id + "@waymark>\r\nSubject: hi\r\n\r\nbody\r\n"
		if err := smtp.SendMail(s.SMTPAddr, nil, "shop@acme.test", []string{"c@acme.test"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	post := func(key string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.HTTPAddr+"/hooks/growth", strings.NewReader(`{}`))
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("webhook status %d", res.StatusCode)
		}
	}
	mail("a")
	mail("a")
	mail("b")
	post("k1")
	post("k1")
	got := s.Counts()
	want := Counts{Emails: 2, Webhooks: 1, Duplicates: 2}
	if got != want {
		t.Fatalf("counts = %+v, want %+v", got, want)
	}
}
