package log_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/providers/builtin/log"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/sdk"
	"github.com/waymarkhq/waymark/providers/sdk/sdktest"
)

func TestMain(m *testing.M) { sdktest.Main(m, log.Provider()) }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func delivery(key, channel string) *host.Delivery {
	return &host.Delivery{Kind: host.KindAction, IdempotencyKey: key, Channel: channel, Stack: "growth", Journey: "cart", Action: "nudge",
		CustomerID: "c-1", CustomerAttributes: map[string]cty.Value{"tier": cty.StringVal("gold")}, Message: map[string]string{"text": "hi"}}
}

func TestLogToFileAndStdout(t *testing.T) {
	stdout := &syncBuffer{}
	p := sdktest.ProcessWith(t, log.Provider(), host.Options{Stdout: stdout})
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "deliveries.jsonl")
	for ch, cfg := range map[string]map[string]cty.Value{
		"file":   {"path": cty.StringVal(path)},
		"stdout": {},
	} {
		if diags, err := p.Configure(ctx, ch, cfg); err != nil || len(diags) > 0 {
			t.Fatalf("Configure %s: %v %v", ch, diags, err)
		}
	}
	for _, key := range []string{"k1", "k2"} {
		if id, err := p.Deliver(ctx, delivery(key, "file")); err != nil || id != key {
			t.Fatalf("Deliver: %q %v", id, err)
		}
	}
	if _, err := p.Deliver(ctx, delivery("k3", "stdout")); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(content)), "\n")
	if len(lines) != 2 {
		t.Fatalf("file has %d lines:\n%s", len(lines), content)
	}
	var l log.Line
	if err := json.Unmarshal([]byte(lines[1]), &l); err != nil {
		t.Fatal(err)
	}
	if l.Kind != "action" || l.IdempotencyKey != "k2" || l.Journey != "cart" || l.Customer == nil || string(l.Customer.Attributes["tier"]) != `"gold"` || l.Message["text"] != "hi" || time.Since(l.Time) > time.Minute {
		t.Errorf("line %+v", l)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stdout.String(), `"idempotency_key":"k3"`) {
		if time.Now().After(deadline) {
			t.Fatalf("standard output: %q", stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewLineAlert(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	line, err := log.NewLine(&sdk.Delivery{Kind: sdk.KindAlert, IdempotencyKey: "a1", Channel: "ops", Stack: "growth", Journey: "cart",
		Alert: &sdk.Alert{KPI: "conversion", Value: 0.1, Target: 0.25, State: "below_target"}}, at)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(line)
	want := `{"time":"2026-01-02T03:04:05Z","kind":"alert","idempotency_key":"a1","channel":"ops","stack":"growth","journey":"cart","alert":{"kpi":"conversion","value":0.1,"target":0.25,"state":"below_target"}}`
	if string(b) != want {
		t.Errorf("line\n%s\nwant\n%s", b, want)
	}
}

func TestValidateEmptyPath(t *testing.T) {
	p := sdktest.InProcess(t, log.Provider())
	diags, err := p.ValidateChannel(context.Background(), map[string]cty.Value{"path": cty.StringVal("")})
	if err != nil || len(diags) != 1 || diags[0].Path[0] != "path" {
		t.Errorf("diagnostics %+v, %v", diags, err)
	}
	diags, _ = p.ValidateChannel(context.Background(), map[string]cty.Value{"path": cty.StringVal("-")})
	if len(diags) != 0 {
		t.Errorf("stdout path refused: %+v", diags)
	}
}
