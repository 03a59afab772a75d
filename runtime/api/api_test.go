package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// growth is the growth stack with a channel holding a sensitive password.
func growth() *deploy.Document {
	d := fixture.Growth()
	d.Objects = append(d.Objects, deploy.Object{
		Address: "channel.email", Kind: deploy.KindChannel, Sensitive: []string{"config.password"},
		Channel: &deploy.Channel{Name: "email", Provider: "smtp", Source: "waymark/smtp", Delivers: true,
			Config:      map[string]json.RawMessage{"host": json.RawMessage(`"127.0.0.1"`), "password": json.RawMessage(`"hunter2"`), "from": json.RawMessage(`"shop@example.com"`)},
			PerDelivery: map[string]string{"to": "customer.email"},
			Consent:     "customer.email_opt_in"},
	})
	d.Normalize()
	return d
}

func raw(t *testing.T, method, url, token string, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %s", method, url, b)
		}
	}
	return resp.StatusCode, resp.Header, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	if _, ok := e["details"].([]any); !ok {
		return "(no details array)"
	}
	c, _ := e["code"].(string)
	return c
}

func TestAuthAndTokens(t *testing.T) {
	p := serve(t, t.TempDir())
	if p.token == "" {
		t.Fatalf("no admin token was printed:\n%s", p.out.String())
	}
	tests := []struct {
		method, path, token string
		status              int
		code                string
	}{
		{"GET", "/healthz", "", 200, ""},
		{"GET", "/readyz", "", 200, ""},
		{"GET", "/v1/stacks/growth", "", 401, "unauthenticated"},
		{"GET", "/v1/stacks/growth", "wm_not-a-token", 401, "unauthenticated"},
		{"GET", "/v1/stacks/growth", p.token, 404, "not_found"},
		{"DELETE", "/v1/stacks/growth", p.token, 405, "method_not_allowed"},
		{"GET", "/v1/nothing", p.token, 404, "not_found"},
	}
	for _, tt := range tests {
		status, _, m := raw(t, tt.method, p.addr+tt.path, tt.token, "")
		if status != tt.status || (tt.code != "" && errCode(m) != tt.code) {
			t.Errorf("%s %s: %d %v, want %d %s", tt.method, tt.path, status, m, tt.status, tt.code)
		}
	}
	admin := p.client(p.token)
	ingestOnly, err := admin.CreateToken(ctx(t), "tracker", []apiv1.Scope{"ingest"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateToken(ctx(t), "tracker", []apiv1.Scope{"read"}); !client.IsCode(err, "exists") {
		t.Fatalf("a second token named tracker: %v", err)
	}
	if _, err := admin.CreateToken(ctx(t), "x", []apiv1.Scope{"superuser"}); !client.IsCode(err, "invalid_token_request") {
		t.Fatalf("an unknown scope: %v", err)
	}
	_, err = p.client(ingestOnly).Stack(ctx(t), "growth")
	var ce *client.Error
	if !errorsAs(err, &ce) || ce.Status != 403 || !strings.Contains(ce.Message, `"read"`) {
		t.Fatalf("an ingest token reading a stack: %v", err)
	}
	if _, err := p.client(ingestOnly).CreateToken(ctx(t), "y", []apiv1.Scope{"admin"}); !client.IsCode(err, "forbidden") {
		t.Fatalf("an ingest token creating tokens: %v", err)
	}
	// The token command works through the API with WAYMARK_TOKEN.
	cmd := exec.Command(bin, "runtime", "token", "create", "-name", "ci", "-scope", "deploy,read")
	cmd.Env = []string{"WAYMARK_ADDR=" + p.addr, "WAYMARK_TOKEN=" + p.token}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "wm_") {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	if _, err := p.client(strings.TrimSpace(string(out))).History(ctx(t), "growth"); err != nil {
		t.Fatalf("the new ci token cannot read: %v", err)
	}
	// A restart does not print a new admin token.
	p.stop()
	p2 := serve(t, strings.TrimSuffix(p.cmd.Args[4], "/"))
	if p2.token != "" {
		t.Fatal("a second admin token was printed on restart")
	}
}

func errorsAs(err error, target **client.Error) bool {
	e, ok := err.(*client.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestDeployments(t *testing.T) {
	p := serve(t, t.TempDir())
	c := p.client(p.token)
	d, err := c.Deploy(ctx(t), "growth", 0, growth())
	if err != nil {
		t.Fatal(err)
	}
	if d.Serial != 1 || d.Who != "admin" || len(d.Digest) != 64 || !strings.HasPrefix(d.Summary, "12 to add") {
		t.Fatalf("deployment %+v", d)
	}
	// Stale: two applies made against serial 0, only one wins.
	_, err = c.Deploy(ctx(t), "growth", 0, growth())
	if cur, ok := client.CurrentSerial(err); !ok || cur != 1 {
		t.Fatalf("a stale deployment: %v", err)
	}
	// Invalid: every problem, with addresses; nothing changes.
	bad := fixture.New("growth").Shared().CartRecovery(func(j *deploy.Journey) {
		j.Entry.Event = "cart_changed"
		j.Goal.Within = "soon"
		j.Entry.Condition = "event.cart_valu > 20"
	}).Done()
	_, err = c.Deploy(ctx(t), "growth", 1, bad)
	probs := client.Problems(err)
	if len(probs) < 2 || probs[0].Address != "journey.cart_recovery" {
		t.Fatalf("an invalid deployment: %v %+v", err, probs)
	}
	text := fmt.Sprint(probs)
	for _, want := range []string{`entry.event names event type "cart_changed"`, `goal.within: invalid duration "soon"`} {
		if !strings.Contains(text, want) {
			t.Errorf("problems %s lack %q", text, want)
		}
	}
	// An expression with a wrong reference is refused by the runtime's own
	// compilation.
	_, err = c.Deploy(ctx(t), "growth", 1, fixture.New("growth").Shared().CartRecovery(func(j *deploy.Journey) {
		j.Entry.Condition = "event.cart_valu > 20"
	}).Done())
	if probs := client.Problems(err); len(probs) != 1 || !strings.Contains(probs[0].Message, "entry.condition") {
		t.Fatalf("a wrong reference: %v", err)
	}
	// A runtime-wide object declared otherwise by another stack.
	_, err = c.Deploy(ctx(t), "billing", 0, fixture.New("billing").Customer("tier", "number", nil, false).Done())
	if probs := client.Problems(err); len(probs) != 1 || !strings.Contains(probs[0].Message, `stack "billing" declares customer.attribute.tier differently from stack "growth"`) {
		t.Fatalf("a conflicting declaration: %v", err)
	}
	st, err := c.Stack(ctx(t), "growth")
	if err != nil || st.Serial != 1 || st.Digest != d.Digest {
		t.Fatalf("stack after refused deployments: %+v %v", st, err)
	}
	if bytes.Contains(st.Document, []byte("hunter2")) || !bytes.Contains(st.Document, []byte(`"password":{"digest":"`)) {
		t.Fatalf("the sensitive password is not replaced by its digest: %s", st.Document)
	}
	d2, err := c.Deploy(ctx(t), "growth", 1, fixture.New("growth").Shared().CartRecovery(func(j *deploy.Journey) { j.State = "draining" }).Done())
	if err != nil || d2.Serial != 2 || d2.Summary != "0 to add, 1 to change, 2 to destroy" {
		t.Fatalf("second deployment %+v %v", d2, err)
	}
	// The runtime keeps the withheld form it gave out: asked again, it
	// gives the same; after a deployment, the new one's.
	for range 2 {
		st2, err := c.Stack(ctx(t), "growth")
		if err != nil || st2.Serial != 2 || st2.Digest != d2.Digest || !bytes.Contains(st2.Document, []byte(`"state":"draining"`)) {
			t.Fatalf("stack after the second deployment: %+v %v", st2, err)
		}
	}
	hist, err := c.History(ctx(t), "growth")
	if err != nil || len(hist) != 2 || hist[0].Serial != 2 || hist[1].Serial != 1 || hist[1].Digest != d.Digest {
		t.Fatalf("history %+v %v", hist, err)
	}
	// Malformed requests.
	for _, body := range []string{`{`, `{"document": {}}`, `{"base_serial": 2, "document": {"format_version": 9}}`, `{"base_serial": 2, "extra": 1}`} {
		status, _, m := raw(t, "POST", p.addr+"/v1/stacks/growth/deployments", p.token, body)
		if status != 400 && status != 422 {
			t.Errorf("deploying %s: %d %v", body, status, m)
		}
	}
}

func TestEventsAndCustomers(t *testing.T) {
	p := serve(t, t.TempDir())
	c := p.client(p.token)
	if _, err := c.Deploy(ctx(t), "growth", 0, growth()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	stamp := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	batch := strings.Join([]string{
		fmt.Sprintf(`{"id":"e1","type":"cart_updated","customer_id":"c-42","timestamp":%q,"attributes":{"cart_value":80,"coupon":"X"},"traits":{"tier":"gold","email":"ana@example.com"}}`, stamp(-time.Hour)),
		fmt.Sprintf(`{"id":"e2","type":"checkout_started","customer_id":"c-42","timestamp":%q}`, stamp(-30*time.Minute)),
		`{"id":"e3","type":"cart_updated","customer_id":"c-42","attributes":{"cart_value":"lots"}}`,
		`{"id":"e4","type":"nope","customer_id":"c-42"}`,
		fmt.Sprintf(`{"id":"e5","type":"ticket_opened","customer_id":"c-42","timestamp":%q}`, stamp(time.Hour)),
		`{"type":"track","event":"Order Completed","userId":"c-7","messageId":"m-1","properties":{"amount":5}}`,
		`not json`,
	}, "\n")
	res, err := c.SendEvents(ctx(t), []byte(batch))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 3 || res.Duplicates != 0 || res.Dropped != 1 || len(res.Rejected) != 4 {
		t.Fatalf("result %+v", res)
	}
	codes := []string{}
	for _, r := range res.Rejected {
		codes = append(codes, fmt.Sprintf("%d:%s", r.Index, r.Code))
	}
	if fmt.Sprint(codes) != "[2:wrong_type 3:unknown_type 4:timestamp_in_future 6:malformed]" {
		t.Fatalf("rejections %v", codes)
	}
	// Retrying the batch duplicates, never re-processes.
	res, err = c.SendEvents(ctx(t), []byte(batch))
	if err != nil || res.Accepted != 0 || res.Duplicates != 3 {
		t.Fatalf("resent batch: %+v %v", res, err)
	}
	// All rejected: 422 with every reason.
	status, _, m := raw(t, "POST", p.addr+"/v1/events", p.token, `[{"type":"nope","customer_id":"x"},{"type":"order_placed"}]`)
	if status != 422 || errCode(m) != "events_rejected" {
		t.Fatalf("all rejected: %d %v", status, m)
	}
	for _, tt := range []struct {
		body   string
		status int
		code   string
	}{
		{``, 400, "bad_batch"},
		{`[{"type":`, 400, "bad_batch"},
		{"[" + strings.Repeat(`{"type":"a"},`, 10000) + `{"type":"a"}]`, 413, "batch_too_large"},
		{strings.Repeat("x", 17<<20), 413, "body_too_large"},
	} {
		status, _, m := raw(t, "POST", p.addr+"/v1/events", p.token, tt.body)
		if status != tt.status || errCode(m) != tt.code {
			t.Errorf("body of %d bytes: %d %v, want %d %s", len(tt.body), status, m, tt.status, tt.code)
		}
	}
	var cu *apiv1.Customer
	eventually(t, 5*time.Second, func() error {
		cu, err = c.Customer(ctx(t), "c-42")
		if err != nil {
			return err
		}
		if len(cu.Journeys) != 1 || cu.Journeys[0].State != "active" || cu.Journeys[0].Stage != "checkout" {
			return fmt.Errorf("journeys %+v", cu.Journeys)
		}
		return nil
	})
	if cu.Profile["tier"] != "gold" || cu.Profile["email_opt_in"] != false {
		t.Fatalf("profile %v", cu.Profile)
	}
	email, _ := cu.Profile["email"].(map[string]any)
	if email["sensitive"] != true || email["digest"] == "" || strings.Contains(fmt.Sprint(cu), "ana@example.com") {
		t.Fatalf("the sensitive email is not masked: %v", cu.Profile)
	}
	if len(cu.Timeline) != 2 || cu.Timeline[0].Reason != "entered" || cu.Timeline[1].To != "checkout" {
		t.Fatalf("timeline %+v", cu.Timeline)
	}
	j := cu.Journeys[0]
	if len(j.Timers) != 2 || !j.Timers[1].Due.Equal(j.StageEntered.Add(2*time.Hour)) {
		t.Fatalf("timers %+v", j.Timers)
	}
	if _, err := c.Customer(ctx(t), "c-7"); err != nil {
		t.Fatalf("the Segment customer: %v", err)
	}
	if _, err := c.Customer(ctx(t), "nobody"); !client.IsCode(err, "not_found") {
		t.Fatalf("unknown customer: %v", err)
	}

	// customer show renders it, masking the email.
	cmd := exec.Command(bin, "customer", "show", "c-42")
	cmd.Env = []string{"WAYMARK_ADDR=" + p.addr, "WAYMARK_TOKEN=" + p.token}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "growth/cart_recovery  active in stage checkout") ||
		!strings.Contains(string(out), "email         (sensitive value)") || strings.Contains(string(out), "ana@") {
		t.Fatalf("customer show: %v\n%s", err, out)
	}

	// Impact of removing the checkout stage.
	changes, err := c.Impact(ctx(t), "growth", fixture.New("growth").Shared().Journey(deploy.Journey{
		Name: "cart_recovery", Entry: deploy.Criterion{Event: "cart_updated"}, Stages: []string{"browsing"},
	}).Stage(deploy.Stage{Journey: "cart_recovery", Name: "browsing"}).Done())
	if err != nil || len(changes) != 1 || changes[0].Address != "journey.cart_recovery.stage.checkout" || changes[0].Customers != 1 || changes[0].Change != "remove" {
		t.Fatalf("impact %+v %v", changes, err)
	}

	// Metrics.
	resp, err := getMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"waymark_events_ingested_total 3",
		`waymark_events_rejected_total{reason="wrong_type"} 2`, // the batch was sent twice
		`waymark_event_attributes_dropped_total{event_type="cart_updated",name="undeclared"} 2`,
		`waymark_customers_in_stage{journey="cart_recovery",stack="growth",stage="checkout"} 1`,
		"waymark_event_processing_seconds_count",
		"waymark_events_duplicate_total 3",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// Erasure.
	if err := c.DeleteCustomer(ctx(t), "c-42"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Customer(ctx(t), "c-42"); !client.IsCode(err, "not_found") {
		t.Fatalf("erased customer: %v", err)
	}
}

func TestEventsSendCommand(t *testing.T) {
	p := serve(t, t.TempDir(), "-insecure-dev")
	if _, err := p.client("").Deploy(ctx(t), "growth", 0, growth()); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := 0; i < 1200; i++ {
		lines = append(lines, fmt.Sprintf(`{"id":"e%d","type":"cart_updated","customer_id":"c-%d","attributes":{"cart_value":30}}`, i, i%50))
	}
	lines = append(lines, "", `{"id":"bad","type":"cart_updated","customer_id":"c-1","attributes":{"cart_value":true}}`)
	cmd := exec.Command(bin, "events", "send", "-")
	cmd.Env = []string{"WAYMARK_ADDR=" + p.addr}
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n"))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("events send with a bad event: %v\n%s", err, out)
	}
	want := `rejected standard input:1202 (id "bad"): wrong_type: the attribute "cart_value" must be a number, not a bool` + "\n" +
		"Sent 1201 events: 1200 accepted, 0 duplicates, 1 rejected.\n"
	if string(out) != want {
		t.Fatalf("output\n%s\nwant\n%s", out, want)
	}

	// With -wait the command returns once the runtime has processed what
	// it sent: the customers are in their journey right after, unpolled.
	lines = lines[:0]
	for i := 0; i < 3000; i++ {
		lines = append(lines, fmt.Sprintf(`{"id":"w%d","type":"cart_updated","customer_id":"w-%d","attributes":{"cart_value":30}}`, i, i))
	}
	cmd = exec.Command(bin, "events", "send", "-wait", "-")
	cmd.Env = []string{"WAYMARK_ADDR=" + p.addr}
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n"))
	if out, err = cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "The runtime processed them in ") {
		t.Fatalf("events send -wait: %v\n%s", err, out)
	}
	cu, err := p.client("").Customer(ctx(t), "w-2999")
	if err != nil {
		t.Fatalf("the last customer sent, right after events send -wait: %v", err)
	}
	if len(cu.Journeys) != 1 || cu.Journeys[0].Stage != "browsing" {
		t.Fatalf("the last customer sent is not in the journey: %+v", cu.Journeys)
	}
}
