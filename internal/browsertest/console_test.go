package browsertest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command"
	"github.com/waymarkhq/waymark/internal/demo/gen"
	"github.com/waymarkhq/waymark/internal/demo/sink"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/server"
)

var screenshots = flag.String("screenshots", "", "write a PNG of each page the tests open into this `directory`")

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// TestMain lets the test binary serve the built-in providers when the
// runtime re-executes it to deliver, as the waymark binary does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "__provider" {
		os.Exit(command.Main(context.Background(), os.Args[1:], cmdutil.System()))
	}
	flag.Parse()
	os.Exit(m.Run())
}

// lockedBuf collects what the runtime prints once (its admin token).
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var tokenRe = regexp.MustCompile(`(?m)^  (wm_\S+)$`)

// demo is a runtime with tokens serving examples/cart-recovery as stack
// growth, fed three weeks of generated shoppers.
type demo struct {
	addr, admin, read string
	events            []gen.Event
}

func startDemo(t *testing.T) *demo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuf{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Config{
			DataDir: t.TempDir(), Listen: "127.0.0.1:0", EventClock: true, ShutdownTimeout: 5 * time.Second,
			Out: out, Log: &lockedBuf{}, Listening: func(addr string) { addrc <- addr },
		})
	}()
	d := &demo{}
	select {
	case d.addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatalf("starting the runtime: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("the runtime did not start within 30s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runtime: %v", err)
		}
	})
	m := tokenRe.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the runtime printed no admin token:\n%s", out.String())
	}
	d.admin = m[1]
	admin := client.New(d.addr, d.admin, nil)
	var err error
	if d.read, err = admin.CreateToken(ctx, "console-reader", []apiv1.Scope{apiv1.ScopeRead}); err != nil {
		t.Fatal(err)
	}

	sk, err := sink.Start("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sk.Close() })
	_, smtpPort, _ := net.SplitHostPort(sk.SMTPAddr)
	cfg, diags := lang.Load(ctx, "../../examples/cart-recovery", lang.Options{
		Vars:      []lang.VarArg{{Name: "smtp_port", Value: smtpPort}, {Name: "ops_webhook_url", Value: "http://" + sk.HTTPAddr + "/hooks/growth"}},
		Providers: builtin.Schemas("0.1.0"),
		Builtin:   builtin.Lookup,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if _, err := admin.Deploy(ctx, "growth", 0, cfg.Document); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Hour).Add(-21 * 24 * time.Hour)
	d.events = gen.Generate(gen.Options{Seed: 5, Start: start, Span: 21 * 24 * time.Hour, Customers: 800})
	for i := 0; i < len(d.events); i += 5000 {
		var buf bytes.Buffer
		if err := gen.Write(&buf, d.events[i:min(i+5000, len(d.events))]); err != nil {
			t.Fatal(err)
		}
		res, err := admin.SendEvents(ctx, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rejected) > 0 {
			t.Fatalf("%d events rejected, first: %+v", len(res.Rejected), res.Rejected[0])
		}
	}
	if err := admin.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// browser is a headless Chromium with a fresh profile, and what its pages
// reported: console errors, uncaught exceptions, and requests that left
// the runtime.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string
	foreign  []string
}

func startBrowser(t *testing.T, origin string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Debian's chromium at %s (%v): run `make test`, or scripts/chromium.sh as root, to install it", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1440, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	b := &browser{ctx: ctx}
	// Listening starts the browser; every console call, uncaught exception
	// and browser log entry of a page is then read by Console.
	err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok {
			if u := ev.Request.URL; !strings.HasPrefix(u, origin+"/") && !strings.HasPrefix(u, "data:") {
				b.mu.Lock()
				b.foreign = append(b.foreign, u)
				b.mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1))
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// check fails the test for whatever the pages reported so far, and
// forgets it.
func (b *browser) check(t *testing.T, where string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("%s: %s", where, p)
	}
	for _, u := range b.foreign {
		t.Errorf("%s: a request left the runtime: %s", where, u)
	}
	b.problems, b.foreign = nil, nil
}

func (b *browser) run(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// value runs a and returns its value.
func value[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// shot writes the page as name.png into -screenshots, if given.
func (b *browser) shot(t *testing.T, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	png := value(t, b, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// html is the page's DOM as it is now.
func (b *browser) html(t *testing.T) string {
	t.Helper()
	return value(t, b, chromedp.OuterHTML(chromedp.CSS("html")))
}

// mapStage is a stage as the drawn map shows it.
type mapStage struct {
	Stage, Reached, MovedOn, Completed, Dropped string
}

const readMap = `Array.from(document.querySelectorAll("svg.map g.stage")).map(g => ({
	Stage: g.dataset.stage, Reached: g.dataset.reached, MovedOn: g.dataset.movedOn,
	Completed: g.dataset.completed, Dropped: g.dataset.dropped}))`

func funnelOf(rep *apiv1.Analytics) []mapStage {
	var out []mapStage
	for _, f := range rep.Funnel {
		out = append(out, mapStage{f.Stage, fmt.Sprint(f.Reached), fmt.Sprint(f.MovedOn), fmt.Sprint(f.Completed), fmt.Sprint(f.Dropped)})
	}
	return out
}

func TestConsoleInBrowser(t *testing.T) {
	d := startDemo(t)
	b := startBrowser(t, d.addr)
	ctx := context.Background()
	reader := client.New(d.addr, d.read, nil)
	var id, email string
	for _, ev := range d.events {
		if e, ok := ev.Traits["email"].(string); ok && e != "" {
			id, email = ev.CustomerID, e
			break
		}
	}
	if id == "" {
		t.Fatal("the generated stream has no customer with an email")
	}
	// A decision for the customer, for their page's recent decisions.
	decider := client.New(d.addr, d.admin, nil)
	if _, err := decider.Decide(ctx, apiv1.DecideRequest{CustomerID: id, Channel: "web", Context: map[string]any{"page": "payment"}}); err != nil {
		t.Fatal(err)
	}
	var pages []string // every DOM seen, for the PII check
	journey := d.addr + "/ui/journeys/growth/cart_recovery"

	C := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	I := func(id string) chromedp.ID { return chromedp.ID(id) }

	t.Run("no token goes to the login form", func(t *testing.T) {
		b.run(t, chromedp.Navigate(journey), chromedp.WaitVisible(I("token")))
		if loc, want := value(t, b, chromedp.Location()), d.addr+"/ui/login?next=%2Fui%2Fjourneys%2Fgrowth%2Fcart_recovery"; loc != want {
			t.Errorf("at %s, want %s", loc, want)
		}
		b.shot(t, "login")
		b.check(t, "login")
		// A wrong token stays on the form and says so.
		b.run(t, chromedp.SendKeys(I("token"), "wm_wrong"), chromedp.Submit(I("token")), chromedp.WaitVisible(I("login-error")))
		if msg := value(t, b, chromedp.Text(I("login-error"))); !strings.Contains(msg, "not valid") {
			t.Errorf("a wrong token: %q", msg)
		}
	})

	t.Run("signing in with a read token opens the page asked for", func(t *testing.T) {
		b.run(t, chromedp.Navigate(journey), chromedp.WaitVisible(I("token")), chromedp.SendKeys(I("token"), d.read), chromedp.Submit(I("token")), chromedp.WaitVisible(C("svg.map")))
		loc, h1 := value(t, b, chromedp.Location()), value(t, b, chromedp.Text(C("h1")))
		if loc != journey || h1 != "Journey cart_recovery" {
			t.Errorf("at %s, heading %q", loc, h1)
		}
		b.check(t, "journey")
	})

	t.Run("the map shows the journey's stages and the report's counts", func(t *testing.T) {
		rep, err := reader.Analytics(ctx, "growth", "cart_recovery", apiv1.AnalyticsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		b.run(t, chromedp.Navigate(journey), chromedp.WaitVisible(C("svg.map")))
		got := value(t, b, chromedp.Evaluate[[]mapStage](readMap))
		want := funnelOf(rep)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("map %v\nreport %v", got, want)
		}
		if len(got) != 3 || got[0].Stage != "browsing" || got[1].Stage != "checkout" || got[2].Stage != "payment" {
			t.Errorf("the stages are %v, want browsing, checkout, payment", got)
		}
		labels := value(t, b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("svg.map text.count")).map(e => e.textContent)`))
		if !strings.Contains(strings.Join(labels, "|"), "moved on "+count(rep.Funnel[0].MovedOn)) {
			t.Errorf("arrow labels %v lack moved on %d", labels, rep.Funnel[0].MovedOn)
		}
		if rep.Funnel[0].Reached == 0 {
			t.Error("nothing reached the first stage in the default window: the stream is too thin to test anything")
		}
		b.shot(t, "journey")
		pages = append(pages, b.html(t))
		b.check(t, "journey")
	})

	t.Run("the window selector changes the figures", func(t *testing.T) {
		all, err := reader.Analytics(ctx, "growth", "cart_recovery", apiv1.AnalyticsQuery{Window: "all"})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"24h", "all", "30d"} {
			rep, err := reader.Analytics(ctx, "growth", "cart_recovery", apiv1.AnalyticsQuery{Window: w})
			if err != nil {
				t.Fatal(err)
			}
			b.run(t, chromedp.SetValue(I("window"), w), chromedp.Submit(I("window")), chromedp.WaitVisible(C("svg.map")))
			if loc := value(t, b, chromedp.Location()); !strings.Contains(loc, "window="+w) {
				t.Errorf("after choosing %s the page is %s", w, loc)
			}
			got := value(t, b, chromedp.Evaluate[[]mapStage](readMap))
			if fmt.Sprint(got) != fmt.Sprint(funnelOf(rep)) {
				t.Errorf("window %s: map %v, report %v", w, got, funnelOf(rep))
			}
			if w == "24h" && rep.Funnel[0].Reached >= all.Funnel[0].Reached {
				t.Errorf("24h reached %d, all %d: the stream should make them differ", rep.Funnel[0].Reached, all.Funnel[0].Reached)
			}
		}
		// A custom range.
		from := time.Now().UTC().Add(-10 * 24 * time.Hour).Format(time.DateOnly)
		rep, err := reader.Analytics(ctx, "growth", "cart_recovery", apiv1.AnalyticsQuery{From: mustDate(t, from)})
		if err != nil {
			t.Fatal(err)
		}
		b.run(t, chromedp.Navigate(journey+"?window=custom&from="+from), chromedp.WaitVisible(C("svg.map")))
		if got := value(t, b, chromedp.Evaluate[[]mapStage](readMap)); fmt.Sprint(got) != fmt.Sprint(funnelOf(rep)) {
			t.Errorf("custom from %s: map %v, report %v", from, got, funnelOf(rep))
		}
		b.check(t, "window")
	})

	t.Run("the figures refresh by themselves", func(t *testing.T) {
		b.run(t, chromedp.Navigate(journey+"?window=all"), chromedp.WaitVisible(C("svg.map")))
		value(t, b, chromedp.Poll[bool](`document.getElementById("live-status").textContent.startsWith("Updated")`, chromedp.WithPollingTimeout(15*time.Second)))
		b.run(t, chromedp.WaitVisible(C("svg.map g.stage")))
		if status := value(t, b, chromedp.Text(I("live-status"))); !strings.HasPrefix(status, "Updated") {
			t.Errorf("live status %q", status)
		}
		b.check(t, "live")
	})

	t.Run("customer search finds the customer, email withheld", func(t *testing.T) {
		b.run(t, chromedp.Navigate(d.addr+"/ui/customers"), chromedp.WaitVisible(I("id")),
			chromedp.SendKeys(I("id"), id), chromedp.Submit(I("id")), chromedp.WaitVisible(I("customer-id")))
		if heading := value(t, b, chromedp.Text(I("customer-id"))); heading != "Customer "+id {
			t.Errorf("heading %q, want the customer %s", heading, id)
		}
		if profile := value(t, b, chromedp.Text(C("table.profile"))); !strings.Contains(profile, "withheld (sensitive)") {
			t.Errorf("the profile does not say the email is withheld:\n%s", profile)
		}
		if n := value(t, b, chromedp.Evaluate[int](`document.querySelectorAll("#h-decisions ~ table tbody tr").length`)); n == 0 {
			t.Error("the customer page shows no recent decision")
		}
		b.shot(t, "customer")
		pages = append(pages, b.html(t))
		b.check(t, "customer")
	})

	t.Run("every other page loads cleanly", func(t *testing.T) {
		for _, p := range []struct{ name, path, ready string }{
			{"overview", "/ui/", "table.journeys"},
			{"deployments", "/ui/deployments", "table"},
			{"models", "/ui/models", "h1"},
		} {
			b.run(t, chromedp.Navigate(d.addr+p.path), chromedp.WaitVisible(C(p.ready)))
			b.shot(t, p.name)
			pages = append(pages, b.html(t))
			b.check(t, p.name)
		}
	})

	b.check(t, "the end")
	for _, html := range pages {
		if strings.Contains(html, email) || strings.Contains(html, "@example.test") {
			t.Errorf("a page's DOM holds the sensitive email %q", email)
		}
	}
}

func count(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
