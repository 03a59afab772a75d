//go:build soak

package api_test

// The soak run of issue #18 (make soak): a real runtime process on
// loopback under ingestion at its sustainable rate, twice and four times
// it; 250 concurrent 15 MB bodies; a corpus of hostile inputs to the API,
// the engine and waymark validate. It prints its figures and says which
// targets it missed; it fails only when the runtime answers a hostile
// input with a 5xx, or validate crashes.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// procKB reads a field (VmRSS, VmHWM) of /proc/<pid>/status in KiB.
func procKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

func mb(kb int64) string { return fmt.Sprintf("%.0f MB", float64(kb)/1024) }

// soakRun is a runtime process for one phase, with the growth stack.
func soakRun(t *testing.T) *proc {
	p := serve(t, t.TempDir())
	if _, err := p.client(p.token).Deploy(ctx(t), "growth", 0, fixture.Growth()); err != nil {
		t.Fatal(err)
	}
	return p
}

var soakSeq atomic.Int64

// batch is n cart_updated events of fresh ids.
func batch(n int) []byte {
	b := make([]byte, 0, n*110)
	for range n {
		i := soakSeq.Add(1)
		b = append(b, `{"id":"s`...)
		b = strconv.AppendInt(b, i, 36)
		b = append(b, `","type":"cart_updated","customer_id":"c`...)
		b = strconv.AppendInt(b, i%100_000, 10)
		b = append(b, `","attributes":{"cart_value":`...)
		b = strconv.AppendInt(b, 10+i%50, 10)
		b = append(b, "}}\n"...)
	}
	return b
}

type phase struct {
	offered, admitted int64
	lat               []time.Duration
	refused, failed   int64
	peakKB            int64
}

func (ph *phase) pct(q float64) time.Duration {
	if len(ph.lat) == 0 {
		return 0
	}
	sort.Slice(ph.lat, func(i, j int) bool { return ph.lat[i] < ph.lat[j] })
	return ph.lat[min(len(ph.lat)-1, int(q*float64(len(ph.lat))))]
}

const soakBatch = 200

func post(hc *http.Client, p *proc, body []byte) (int, error) {
	req, _ := http.NewRequest("POST", p.addr+"/v1/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// closedLoop sends batches back to back from workers for d and returns
// the events accepted per second.
func closedLoop(p *proc, workers int, d time.Duration) float64 {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var accepted atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if st, err := post(hc, p, batch(soakBatch)); err == nil && st == 200 {
					accepted.Add(soakBatch)
				} else {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	return float64(accepted.Load()) / d.Seconds()
}

// openLoop offers rate events/s for d, whatever the answers, and measures
// what was admitted.
func openLoop(p *proc, rate float64, d time.Duration) *phase {
	const workers = 512
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 30 * time.Second}
	ph := &phase{}
	jobs := make(chan []byte, 4096)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range jobs {
				start := time.Now()
				st, err := post(hc, p, body)
				el := time.Since(start)
				mu.Lock()
				switch {
				case err != nil:
					ph.failed++
				case st == 200:
					ph.admitted += soakBatch
					ph.lat = append(ph.lat, el)
				default:
					ph.refused++
				}
				mu.Unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				mu.Lock()
				ph.peakKB = max(ph.peakKB, procKB(p.cmd.Process.Pid, "VmRSS"))
				mu.Unlock()
			}
		}
	}()
	interval := time.Duration(float64(time.Second) * soakBatch / rate)
	start := time.Now()
	for n := 0; ; n++ {
		at := start.Add(time.Duration(n) * interval)
		if at.After(start.Add(d)) {
			break
		}
		time.Sleep(time.Until(at))
		ph.offered += soakBatch
		select {
		case jobs <- batch(soakBatch):
		default:
			mu.Lock()
			ph.failed++ // the generator could not send it in time
			mu.Unlock()
		}
	}
	close(jobs)
	wg.Wait()
	close(done)
	ph.peakKB = max(ph.peakKB, procKB(p.cmd.Process.Pid, "VmHWM"))
	return ph
}

func TestSoak(t *testing.T) {
	var missed []string
	miss := func(format string, args ...any) {
		missed = append(missed, fmt.Sprintf(format, args...))
	}

	// Ingestion.
	cal := soakRun(t)
	rmax := closedLoop(cal, 16, 15*time.Second)
	cal.stop()
	sustainable := 0.6 * rmax
	fmt.Printf("== ingestion (batches of %d events; the load generator shares the machine)\n", soakBatch)
	fmt.Printf("closed loop, 16 senders, 15 s: %.0f events/s accepted; sustainable rate taken as 60%%: %.0f events/s\n", rmax, sustainable)
	var base *phase
	for _, mult := range []float64{1, 2, 4} {
		p := soakRun(t)
		ph := openLoop(p, mult*sustainable, 60*time.Second)
		p.stop()
		share := float64(ph.admitted) / float64(max(ph.offered, 1))
		p50, p99 := ph.pct(0.50), ph.pct(0.99)
		fmt.Printf("%.0fx (%.0f events/s for 60 s): admitted %.1f%% (%.0f events/s), refused %d batches, failed %d; admitted p50 %v p99 %v; peak RSS %s\n",
			mult, mult*sustainable, 100*share, float64(ph.admitted)/60, ph.refused, ph.failed, p50.Round(time.Microsecond), p99.Round(time.Microsecond), mb(ph.peakKB))
		if mult == 1 {
			base = ph
			continue
		}
		fmt.Printf("   vs sustainable: p50 %.2fx, p99 %.2fx, peak RSS %.2fx\n",
			float64(p50)/float64(max(base.pct(0.5), 1)), float64(p99)/float64(max(base.pct(0.99), 1)), float64(ph.peakKB)/float64(max(base.peakKB, 1)))
		if mult == 2 {
			if p99 > 2*base.pct(0.99) {
				miss("at 2x, admitted p99 %v is more than twice the sustainable run's %v", p99, base.pct(0.99))
			}
			if float64(ph.peakKB) > 1.5*float64(base.peakKB) {
				miss("at 2x, peak RSS %s is more than 1.5x the sustainable run's %s", mb(ph.peakKB), mb(base.peakKB))
			}
		}
	}

	// 250 concurrent 15 MB bodies.
	{
		p := soakRun(t)
		line := `{"type":"cart_updated","customer_id":"big","attributes":{"cart_value":30,"note":"` + strings.Repeat("n", 1500) + `"}}` + "\n"
		body := []byte(strings.Repeat(line, (15<<20)/len(line)))
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 250}, Timeout: 2 * time.Minute}
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[string]int{}
		start := time.Now()
		for range 250 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := post(hc, p, body)
				k := strconv.Itoa(st)
				if err != nil {
					k = "connection closed unread"
				}
				mu.Lock()
				statuses[k]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		peak := procKB(p.cmd.Process.Pid, "VmHWM")
		p.stop()
		fmt.Printf("== 250 concurrent bodies of %d MB: %v in %v; peak RSS %s\n", len(body)>>20, statuses, time.Since(start).Round(time.Millisecond), mb(peak))
		if peak > 1<<20 {
			miss("250 x 15 MB: peak RSS %s is over 1 GB", mb(peak))
		}
		if statuses["500"] > 0 || statuses["503"] > 0 {
			t.Errorf("250 x 15 MB: %v", statuses)
		}
	}

	apiCorpus(t, miss)
	engineCorpus(t, miss)
	validateCorpus(t, miss)

	if len(missed) == 0 {
		fmt.Println("== every target met")
	} else {
		fmt.Println("== targets missed:")
		for _, m := range missed {
			fmt.Println("   - " + m)
		}
	}
}

// apiCorpus sends hostile requests; each must be answered 4xx (or 2xx)
// with the API's JSON error shape, never 5xx.
func apiCorpus(t *testing.T, miss func(string, ...any)) {
	p := soakRun(t)
	defer p.stop()
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	ev := func(attrs string) string {
		return `{"type":"cart_updated","customer_id":"c","attributes":` + attrs + `}`
	}
	type req struct{ path, body string }
	var corpus []req
	for _, b := range []string{
		ev(`{"cart_value":` + deep(100_000) + `}`),
		ev(`{"cart_value":1,"x":` + deep(1_000_000) + `}`),
		ev(`{"cart_value":"` + strings.Repeat("9", 60_000) + `"}`),
		ev(`{"cart_value":1,"s":"` + strings.Repeat("é", 500_000) + `"}`),
		`{"type":"cart_updated","customer_id":"` + strings.Repeat("c", 40_000) + `"}`,
		"{\"type\":\"cart_updated\",\"customer_id\":\"a\xffb\"}",
		`{"type":"cart_updated","customer_id":"a\ud800b"}`,
		`{"type":"cart_updated","customer_id":"c","timestamp":"0001-01-01T00:00:00Z"}`,
		`{"type":"cart_updated","customer_id":"c","timestamp":"9999-12-31T23:59:59Z"}`,
		`{"type":"` + strings.Repeat("t", 10_000) + `","customer_id":"c"}`,
		strings.Repeat(`{"type":"cart_updated","customer_id":"c"}`+"\n", 10_001),
		strings.Repeat("x", 17<<20),
		`{"type":"track","event":"Order Completed","userId":"u","properties":` + deep(50_000) + `}`,
		`{"batch":[` + strings.Repeat(`{"type":"track","event":"x","userId":"u"},`, 20_000) + `{}]}`,
		"\x00\x01\x02",
		`{"specversion":"1.0","id":"` + strings.Repeat("i", 300) + `","source":"s","type":"cart_updated","subject":"c"}`,
	} {
		corpus = append(corpus, req{"/v1/events", b})
	}
	for _, b := range []string{
		`{"customer_id":"` + strings.Repeat("c", 40_000) + `","channel":"web"}`,
		`{"customer_id":"c","channel":"web","context":` + deep(100_000) + `}`,
		`{"customer_id":"c","channel":"web","context":{"s":"` + strings.Repeat("x", 100_000) + `"}}`,
		`{"customer_id":"c","channel":"` + strings.Repeat("w", 10_000) + `"}`,
		`{"customer_id":"c","context":[1,2]}`,
		`not json`,
	} {
		corpus = append(corpus, req{"/v1/decide", b})
	}
	for _, b := range []string{
		`{"decision_id":"` + strings.Repeat("d", 40_000) + `","action":"a","outcome":"clicked"}`,
		`{"decision_id":"d","action":"a","outcome":"` + strings.Repeat("o", 10_000) + `"}`,
		`{"decision_id":"d","action":"a","outcome":"clicked","extra":` + deep(10_000) + `}`,
	} {
		corpus = append(corpus, req{"/v1/responses", b})
	}
	for _, b := range []string{
		`{"base_serial":1,"document":` + deep(200_000) + `}`,
		`{"base_serial":1,"document":{"format_version":1,"stack":"growth","objects":[{"address":"segment.x","kind":"segment","segment":{"name":"x","condition":"` + strings.Repeat("(", 100_000) + `"}}]}}`,
		`{"base_serial":1,"document":{"format_version":1,"stack":"growth","objects":[{"address":"segment.x","kind":"segment","segment":{"name":"x","condition":"join(customer.tier, split(\"\", customer.tier)) == \"x\""}}]}}`,
		`{"base_serial":1,"document":{"format_version":99}}`,
	} {
		corpus = append(corpus, req{"/v1/stacks/growth/deployments", b})
	}
	corpus = append(corpus, req{"/v1/customers/" + strings.Repeat("c", 5000), ""}, req{"/v1/decisions/%ff%fe", ""})
	hc := &http.Client{Timeout: time.Minute}
	clean := 0
	var slowest time.Duration
	for _, r := range corpus {
		method := "POST"
		if r.body == "" {
			method = "GET"
		}
		rq, _ := http.NewRequest(method, p.addr+r.path, strings.NewReader(r.body))
		rq.Header.Set("Authorization", "Bearer "+p.token)
		start := time.Now()
		resp, err := hc.Do(rq)
		el := time.Since(start)
		slowest = max(slowest, el)
		if err != nil {
			t.Errorf("%s %s (%d bytes): %v", method, r.path, len(r.body), err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Errorf("%s %s (%d bytes): %d %s", method, r.path, len(r.body), resp.StatusCode, b)
			continue
		}
		if resp.StatusCode >= 400 && !bytes.Contains(b, []byte(`"error"`)) {
			t.Errorf("%s %s: %d without the error shape: %.200s", method, r.path, resp.StatusCode, b)
			continue
		}
		clean++
	}
	fmt.Printf("== hostile API inputs: %d tried, %d answered cleanly (no 5xx, the API's error shape), slowest %v; runtime peak RSS %s\n",
		len(corpus), clean, slowest.Round(time.Millisecond), mb(procKB(p.cmd.Process.Pid, "VmHWM")))
}

// engineCorpus sends one event at a time through pathological conditions
// and measures how long and how much memory the engine takes for it.
func engineCorpus(t *testing.T, miss func(string, ...any)) {
	conds := []string{
		`join(event.s, split("", event.s)) == "x"`,
		`replace(event.s, "", event.s) == "x"`,
		`length(split("", event.s)) > 0`,
		`format(event.s, event.s) == "x"`,
		`indent(length(event.s), event.s) == "x"`,
		`length(regexall(".", event.s)) > 0`,
		`upper(event.s) == lower(event.s)`,
		`jsonencode(split("", event.s)) == "x"`,
		`contains(split("", event.s), "q")`,
		`tonumber(event.s) > 1`,
		`length(join("", [for c in split("", event.s) : "${c}${c}"])) > 0`,
	}
	p := serve(t, t.TempDir())
	defer p.stop()
	c := p.client(p.token)
	stack := func(conds []string) *deploy.Document {
		d := fixture.New("growth").Shared().Event("note", nil, "s", "string")
		for i, c := range conds {
			name := fmt.Sprintf("j%d", i)
			d.Journey(deploy.Journey{Name: name, Entry: deploy.Criterion{Event: "note", Condition: c}, Stages: []string{"one"}}).
				Stage(deploy.Stage{Journey: name, Name: "one", Index: 0})
		}
		return d.Done()
	}
	// A condition the runtime refuses at deploy is a clean refusal; the
	// others are deployed together.
	var kept []string
	for i, cond := range conds {
		probe := fmt.Sprintf("probe%d", i)
		d := stack([]string{cond})
		d.Stack = probe
		if _, err := c.Deploy(ctx(t), probe, 0, d); err != nil {
			fmt.Printf("   refused at deploy: %s: %v\n", cond, client.Problems(err))
			continue
		}
		if _, err := c.Deploy(ctx(t), probe, 1, &deploy.Document{FormatVersion: deploy.FormatVersion, Stack: probe}); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, cond)
	}
	conds = kept
	if _, err := c.Deploy(ctx(t), "growth", 0, stack(conds)); err != nil {
		t.Fatalf("the hostile conditions: %v %v", err, client.Problems(err))
	}
	values := []string{
		strings.Repeat("ab", 30<<10),
		strings.Repeat("%", 60<<10),
		strings.Repeat("9", 60<<10),
		strings.Repeat("é", 30<<10),
		strings.Repeat("x", 1000),
		"",
	}
	var worst time.Duration
	var worstKB int64
	pid := p.cmd.Process.Pid
	for i, v := range values {
		before := procKB(pid, "VmRSS")
		body := fmt.Sprintf(`{"type":"note","customer_id":"h%d","attributes":{"s":%q}}`, i, v)
		start := time.Now()
		if _, err := c.SendEvents(ctx(t), []byte(body)); err != nil {
			t.Errorf("event %d: %v", i, err)
			continue
		}
		if err := c.Sync(ctx(t)); err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		grew := procKB(pid, "VmRSS") - before
		worst, worstKB = max(worst, el), max(worstKB, grew)
	}
	fmt.Printf("== engine: %d events of hostile strings through %d pathological conditions each: slowest event %v (send to processed), most RSS growth for one event %s\n",
		len(values), len(conds), worst.Round(time.Millisecond), mb(worstKB))
	if worst > 100*time.Millisecond {
		miss("an event took the engine %v (> 100 ms)", worst)
	}
	if worstKB > 64<<10 {
		miss("an event grew the runtime's RSS by %s (> 64 MB)", mb(worstKB))
	}
}

// validateCorpus runs waymark validate over hostile configurations; each
// must end with diagnostics, never a crash, within a minute.
func validateCorpus(t *testing.T, miss func(string, ...any)) {
	dir := t.TempDir()
	cli := filepath.Join(dir, "waymark")
	build := exec.Command("go", "build", "-o", cli, "github.com/waymarkhq/waymark/cmd/waymark")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building waymark: %v\n%s", err, out)
	}
	locals := func(body string) map[string]string {
		return map[string]string{"main.wm.hcl": "locals {\n  " + body + "\n}\n"}
	}
	chain := func(n int) string {
		var b strings.Builder
		b.WriteString("l0 = 1\n")
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, "  l%d = local.l%d + 1\n", i, i-1)
		}
		return b.String()
	}
	var vars strings.Builder
	for i := range 4000 {
		fmt.Fprintf(&vars, "v%d = %d\n", i, i)
	}
	big := strings.Repeat("x", 3<<20)
	corpus := []struct {
		name  string
		files map[string]string
		fifo  bool
	}{
		{"setproduct of three 1000-lists", locals("r = range(1000)\n  p = setproduct(local.r, local.r, local.r)"), false},
		{"indent of a huge string", map[string]string{"main.wm.hcl": "locals {\n  b = file(\"big.txt\")\n  i = indent(100000, local.b)\n}\n", "big.txt": big}, false},
		{"1M nested brackets", locals("a = " + strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000)), false},
		{"100k nested parentheses", locals("a = " + strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000)), false},
		{"file of /dev/zero", locals(`a = file("/dev/zero")`), false},
		{"a FIFO as a configuration file", map[string]string{}, true},
		{"triple nested for of 1024", locals("r = range(1024)\n  a = [for i in local.r : [for j in local.r : [for k in local.r : k]]]"), false},
		{"a chain of 20k locals", locals(chain(20_000)), false},
		{"4000 undeclared variables", map[string]string{"main.wm.hcl": "locals {}\n", "x.auto.wmvars": vars.String()}, false},
		{"1M additions", locals("a = 1" + strings.Repeat("+1", 1_000_000)), false},
		{"nested interpolations", locals("a = " + strings.Repeat(`"${`, 100_000) + "1" + strings.Repeat(`}"`, 100_000)), false},
		{"1M nested JSON arrays", map[string]string{"main.wm.json": `{"locals": {"a": ` + strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000) + `}}`}, false},
		{"a huge format width", locals(`f = format("%999999999d", 1)`), false},
		{"regex replace that grows", map[string]string{"main.wm.hcl": "locals {\n  b = file(\"big.txt\")\n  r = replace(local.b, \"/(x)/\", \"$1$1$1$1$1$1$1$1\")\n}\n", "big.txt": big}, false},
		{"a number of 2000 digits", locals("a = 1" + strings.Repeat("7", 2000)), false},
		{"a huge exponent", locals(`a = "x${1e9000000}"`), false},
		{"jsondecode of deep JSON", locals(`a = jsondecode("` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `")`), false},
	}
	clean := 0
	var slowest time.Duration
	var maxRSS int64
	for _, tc := range corpus {
		cdir := filepath.Join(dir, strconv.Itoa(clean)+"-"+strings.ReplaceAll(tc.name, " ", "_"))
		os.MkdirAll(cdir, 0o755)
		for n, body := range tc.files {
			os.WriteFile(filepath.Join(cdir, n), []byte(body), 0o644)
		}
		if tc.fifo {
			if err := syscall.Mkfifo(filepath.Join(cdir, "main.wm.hcl"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(c, cli, "validate")
		cmd.Dir = cdir
		start := time.Now()
		out, err := cmd.CombinedOutput()
		el := time.Since(start)
		timedOut := errors.Is(c.Err(), context.DeadlineExceeded)
		cancel()
		slowest = max(slowest, el)
		var rss int64
		if cmd.ProcessState != nil {
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss = ru.Maxrss
			}
		}
		maxRSS = max(maxRSS, rss)
		var ee *exec.ExitError
		crashed := bytes.Contains(out, []byte("fatal error")) || bytes.Contains(out, []byte("panic:")) || bytes.Contains(out, []byte("goroutine "))
		switch {
		case timedOut:
			t.Errorf("validate %s: still running after a minute", tc.name)
		case crashed:
			t.Errorf("validate %s crashed:\n%.500s", tc.name, out)
		case err != nil && !errors.As(err, &ee):
			t.Errorf("validate %s: %v", tc.name, err)
		case err != nil && ee.ExitCode() != 1:
			t.Errorf("validate %s: exit %d:\n%.300s", tc.name, ee.ExitCode(), out)
		default:
			clean++
		}
		if el > 5*time.Second {
			miss("validate %s took %v", tc.name, el.Round(time.Millisecond))
		}
	}
	fmt.Printf("== waymark validate: %d hostile configurations tried, %d ended with diagnostics (no crash, no hang); slowest %v, most memory %s\n",
		len(corpus), clean, slowest.Round(time.Millisecond), mb(maxRSS))
}

// TestSoakCorpus runs the hostile corpora alone (go test -tags soak -run
// TestSoakCorpus), without the minutes of load.
func TestSoakCorpus(t *testing.T) {
	miss := func(format string, args ...any) { fmt.Printf("   missed: "+format+"\n", args...) }
	apiCorpus(t, miss)
	engineCorpus(t, miss)
	validateCorpus(t, miss)
}
