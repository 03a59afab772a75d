package sink

import (
	"context"
	"errors"
	"net/http"
	"net/smtp"
	"reflect"
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
	mail := func(id string, headers ...string) {
		t.Helper()
		msg := "Message-ID: <" + id + "@waymark>\r\n" + strings.Join(headers, "") + "Subject: hi\r\n\r\nbody\r\n"
		if err := smtp.SendMail(s.SMTPAddr, nil, "shop@acme.test", []string{"c@acme.test"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	post := func(key, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.HTTPAddr+"/hooks/growth", strings.NewReader(body))
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
	oneClick := []string{"List-Unsubscribe: <https://rt.acme.test/v1/unsubscribe/t0k>\r\n", "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"}
	mail("a", oneClick...)
	mail("a", oneClick...) // a repeat counts once
	mail("b", oneClick[0]) // a link without one-click
	mail("c")
	mail("d", "List-Unsubscribe: <https://acme.test/email/unsubscribe>\r\n", oneClick[1]) // a channel's fixed URL
	alert := `{"kind":"alert","alert":{"kpi":"checkout_dropoff","value":0.5,"target":0.4,"state":"missed"}}`
	post("k1", alert)
	post("k1", alert)
	post("k2", `{"kind":"action","action":"nudge"}`)
	got := s.Counts()
	want := Counts{Emails: 4, Webhooks: 2, Duplicates: 2, OneClick: 1, Alerts: []Alert{{Key: "k1", KPI: "checkout_dropoff", Value: 0.5, Target: 0.4, State: "missed"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("counts = %+v, want %+v", got, want)
	}
}

// Wait returns as soon as what it waits for arrives, and ctx's error with
// what arrived when it gives up.
func TestSinkWait(t *testing.T) {
	s, err := Start("", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	post := func(key string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.HTTPAddr+"/hooks/growth", strings.NewReader(`{"kind":"action"}`))
		req.Header.Set("Idempotency-Key", key)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}
	go post("k1")
	go post("k2")
	c, err := s.Wait(context.Background(), func(c Counts) bool { return c.Webhooks == 2 })
	if err != nil || c.Webhooks != 2 {
		t.Fatalf("wait: %+v %v", c, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c, err := s.Wait(ctx, func(c Counts) bool { return c.Webhooks == 3 }); !errors.Is(err, context.Canceled) || c.Webhooks != 2 {
		t.Fatalf("a cancelled wait: %+v %v", c, err)
	}
}
