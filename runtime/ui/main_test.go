package ui_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/demo/gen"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
)

// runtime is a real runtime (embedded store, engine on the event clock,
// the API with its console) served over loopback HTTP.
type runtime struct {
	URL   string
	svc   *service.Service
	admin string // a token with every scope
	read  string // a token with the read scope only
	// Events are the generated events it was fed.
	Events []gen.Event
}

// start starts a runtime with tokens, with examples/cart-recovery deployed
// as stack growth and fed customers shoppers of the demo generator over two
// weeks.
func start(t testing.TB, customers int) *runtime {
	t.Helper()
	ctx := context.Background()
	st, err := boltstore.Open(t.TempDir(), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, service.KeySize)
	rand.Read(key)
	svc, err := service.New(ctx, service.Config{Store: st, SecretKey: key, Clock: engine.Wall{}, EventClock: true, MaxBacklog: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	srv := httptest.NewServer(api.New(svc, api.Options{}))
	t.Cleanup(func() {
		srv.Close()
		stop()
		if err := <-done; err != nil {
			t.Errorf("runtime: %v", err)
		}
		st.Close()
	})
	rt := &runtime{URL: srv.URL, svc: svc}
	if rt.admin, err = svc.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if rt.read, err = svc.CreateToken(ctx, "reader", []store.Scope{store.ScopeRead}); err != nil {
		t.Fatal(err)
	}
	deployCartRecovery(t, svc)
	if customers > 0 {
		start := time.Now().UTC().Truncate(time.Hour).Add(-14 * 24 * time.Hour)
		rt.Events = gen.Generate(gen.Options{Seed: 11, Start: start, Span: 14 * 24 * time.Hour, Customers: customers})
		feed(t, svc, rt.Events)
	}
	return rt
}

// deployCartRecovery deploys examples/cart-recovery as stack growth.
func deployCartRecovery(t testing.TB, svc *service.Service) {
	t.Helper()
	ctx := context.Background()
	cfg, diags := lang.Load(ctx, "../../examples/cart-recovery", lang.Options{
		Vars:      []lang.VarArg{{Name: "smtp_port", Value: "1025"}, {Name: "ops_webhook_url", Value: "http://127.0.0.1:9/hooks/growth"}},
		Providers: builtin.Schemas("0.1.0"),
		Builtin:   builtin.Lookup,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if _, err := svc.Deploy(ctx, "growth", 0, cfg.Document, "test"); err != nil {
		t.Fatal(err)
	}
}

// feed ingests evs and waits until analytics has them.
func feed(t testing.TB, svc *service.Service, evs []gen.Event) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < len(evs); i += 5000 {
		var buf bytes.Buffer
		if err := gen.Write(&buf, evs[i:min(i+5000, len(evs))]); err != nil {
			t.Fatal(err)
		}
		res, err := svc.Ingest(ctx, buf.Bytes(), events.Limits{MaxEvents: 10000, MaxEventBytes: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rejected) > 0 {
			t.Fatalf("%d events rejected, first: %+v", len(res.Rejected), res.Rejected[0])
		}
	}
	if err := svc.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
}

// noRedirects is a client that shows redirects rather than following
// them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// signedIn returns a client holding the console's session cookie for token.
func (rt *runtime) signedIn(t testing.TB, token string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(rt.URL+"/ui/login", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/ui/" {
		t.Fatalf("signing in: %s at %s", resp.Status, resp.Request.URL)
	}
	return c
}

// get answers path's status and body.
func get(t testing.TB, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// firstCustomer is the id of a generated customer with a sensitive email.
func (rt *runtime) firstCustomer(t testing.TB) (id, email string) {
	t.Helper()
	for _, ev := range rt.Events {
		if e, ok := ev.Traits["email"].(string); ok && strings.Contains(e, "@") {
			return ev.CustomerID, e
		}
	}
	t.Fatal("the generated stream has no customer with an email")
	return "", ""
}
