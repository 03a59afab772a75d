package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// mailbox is a real SMTP server on loopback, built with go-smtp, that can
// be told to fail.
type mailbox struct {
	port int
	mu   sync.Mutex
	// failNext answers the next DATA commands with 451 (retryable).
	failNext int
	// reject refuses recipients of this domain with 550 (permanent).
	reject string
	// got are the messages accepted; tried the Message-IDs of every DATA.
	got   []*mail.Message
	tried []string
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	m := &mailbox{}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) { return &mailSession{m: m}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.port = l.Addr().(*net.TCPAddr).Port
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return m
}

func (m *mailbox) messages() []*mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*mail.Message(nil), m.got...)
}

type mailSession struct{ m *mailbox }

func (s *mailSession) Mail(string, *gosmtp.MailOptions) error { return nil }

func (s *mailSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.reject != "" && strings.HasSuffix(to, "@"+s.m.reject) {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.m.tried = append(s.m.tried, msg.Header.Get("Message-Id"))
	if s.m.failNext > 0 {
		s.m.failNext--
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.m.got = append(s.m.got, msg)
	return nil
}

func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// mailing is a stack that emails a reminder when a customer enters
// cart_recovery, through the smtp provider to port; mod, when given,
// changes the journey.
func mailing(port int, mod ...func(*deploy.Journey)) *deploy.Document {
	mod = append(mod, nil)
	return fixture.New("growth").Shared().Customer("first_name", "string", "", false).CartRecovery(mod[0]).
		Channel(deploy.Channel{Name: "email", Provider: "smtp", Delivers: true, Consent: "customer.email_opt_in",
			PerDelivery: map[string]string{"to": "customer.email"},
			Config: map[string]json.RawMessage{"host": json.RawMessage(`"127.0.0.1"`), "port": json.RawMessage(fmt.Sprint(port)),
				"from": json.RawMessage(`"Acme <shop@acme.test>"`), "starttls": json.RawMessage(`"off"`), "password": json.RawMessage(`"hunter2"`)}},
			"config.password").
		Action(deploy.Action{Journey: "cart_recovery", Name: "reminder", Channel: "email", Stages: []string{"browsing", "checkout"},
			Message: map[string]string{"subject": "${customer.first_name}, you left something behind", "body": "<p>Your cart is waiting.</p>"}}).Done()
}

// TestTriggeredEmail sends a triggered email through the real smtp
// provider, run by the runtime as a process of its own, to a real SMTP
// server: retried after a retryable failure with the same idempotency key,
// dead-lettered after a permanent one, and replayed.
func TestTriggeredEmail(t *testing.T) {
	mb := startMailbox(t)
	mb.failNext = 1
	mb.reject = "gone.test"
	p := serve(t, t.TempDir(), "-insecure-dev")
	c := p.client("")
	if _, err := c.Deploy(ctx(t), "growth", 0, mailing(mb.port)); err != nil {
		t.Fatal(err)
	}
	res, err := c.SendEvents(ctx(t), []byte(`{"id":"e1","type":"cart_updated","customer_id":"c-1","attributes":{"cart_value":80},"traits":{"email":"ana@example.test","email_opt_in":true,"first_name":"Ana"}}
{"id":"e2","type":"cart_updated","customer_id":"c-2","attributes":{"cart_value":80},"traits":{"email":"bo@gone.test","email_opt_in":true,"first_name":"Bo"}}
{"id":"e3","type":"cart_updated","customer_id":"c-3","attributes":{"cart_value":80},"traits":{"email":"cy@example.test"}}`))
	if err != nil || res.Accepted != 3 {
		t.Fatalf("events %+v %v", res, err)
	}
	// c-1's email fails once (451), then goes through.
	eventually(t, 20*time.Second, func() error {
		if n := len(mb.messages()); n != 1 {
			return fmt.Errorf("%d messages", n)
		}
		return nil
	})
	msg := mb.messages()[0]
	if to, err := mail.ParseAddress(msg.Header.Get("To")); err != nil || to.Address != "ana@example.test" || msg.Header.Get("Subject") != "Ana, you left something behind" {
		t.Fatalf("message %v", msg.Header)
	}
	mb.mu.Lock()
	tried := append([]string(nil), mb.tried...)
	mb.mu.Unlock()
	if len(tried) != 2 || tried[0] != tried[1] || tried[0] == "" {
		t.Fatalf("the attempts carried Message-IDs %v: want the same one twice", tried)
	}
	var delivered []apiv1.Delivery
	eventually(t, 5*time.Second, func() error {
		delivered, err = c.Deliveries(ctx(t), "delivered", "", 0)
		if err != nil || len(delivered) != 1 {
			return fmt.Errorf("delivered %+v %v", delivered, err)
		}
		return nil
	})
	if d := delivered[0]; d.CustomerID != "c-1" || d.Attempts != 2 || d.Outcome != "delivered" || d.MessageID != tried[0] ||
		d.Address != "growth/journey.cart_recovery.action.reminder" || d.DecisionID == "" {
		t.Fatalf("delivered %+v", d)
	}
	// The receiving end reports a bounce later: the outcome is recorded.
	if d, err := c.ReportDelivery(ctx(t), delivered[0].ID, "bounced"); err != nil || d.Outcome != "bounced" || d.State != "delivered" {
		t.Fatalf("a bounce: %+v %v", d, err)
	}
	if _, err := c.ReportDelivery(ctx(t), delivered[0].ID, "opened"); !client.IsCode(err, "unknown_outcome") {
		t.Fatalf("an unknown outcome: %v", err)
	}
	if _, err := c.ReportDelivery(ctx(t), "nope", "bounced"); !client.IsCode(err, "not_found") {
		t.Fatalf("an unknown delivery: %v", err)
	}
	// c-2's email is refused for good: dead-lettered. c-3 gave no consent:
	// nothing is sent.
	var failed []apiv1.Delivery
	eventually(t, 10*time.Second, func() error {
		failed, err = c.Deliveries(ctx(t), "failed", "", 0)
		if err != nil || len(failed) != 1 {
			return fmt.Errorf("failed %+v %v", failed, err)
		}
		return nil
	})
	if f := failed[0]; f.CustomerID != "c-2" || f.Attempts != 1 || !strings.Contains(f.LastError, "550") || strings.Contains(f.LastError, "bo@gone.test") {
		t.Fatalf("dead letter %+v", f)
	}
	run := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"WAYMARK_ADDR=" + p.addr}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("deliveries", "failed"); !strings.Contains(out, failed[0].ID) || !strings.Contains(out, "c-2") {
		t.Fatalf("deliveries failed:\n%s", out)
	}
	mb.mu.Lock()
	mb.reject = ""
	mb.mu.Unlock()
	if out := run("deliveries", "retry", failed[0].ID); !strings.Contains(out, "queued again") {
		t.Fatalf("deliveries retry:\n%s", out)
	}
	eventually(t, 10*time.Second, func() error {
		if n := len(mb.messages()); n != 2 {
			return fmt.Errorf("%d messages", n)
		}
		return nil
	})
	if to := mb.messages()[1].Header.Get("To"); to != "<bo@gone.test>" {
		t.Fatalf("the replay went to %s", to)
	}
	if f, _ := c.Deliveries(ctx(t), "failed", "", 0); len(f) != 0 {
		t.Fatalf("still dead-lettered: %+v", f)
	}
	cu, err := c.Customer(ctx(t), "c-3")
	if err != nil || len(cu.Decisions) != 1 || !cu.Decisions[0].Trigger || len(cu.Decisions[0].Actions) != 0 || cu.Decisions[0].Dropped["no_consent"] != 1 {
		t.Fatalf("c-3's decisions %+v %v", cu.Decisions, err)
	}
	if n := len(mb.messages()); n != 2 {
		t.Fatalf("%d messages in the end", n)
	}
	for _, secret := range []string{"ana@example.test", "bo@gone.test", "hunter2"} {
		if strings.Contains(p.out.String(), secret) {
			t.Errorf("the runtime's output holds %q:\n%s", secret, p.out.String())
		}
	}
}
