package devcmd_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command"
	"github.com/waymarkhq/waymark/runtime/client"
)

// TestMain lets the test binary be the waymark command, so that the test
// runs waymark dev as a process of its own.
func TestMain(m *testing.M) {
	if os.Getenv("WAYMARK_DEVCMD_TEST_CLI") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := command.Main(ctx, os.Args[1:], cmdutil.System())
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

const config = `waymark {
  stack = "growth"
}

event "cart_updated" {
  attribute "cart_value" { type = number }
}

channel "web" {
  provider = inbound
}

journey "cart" {
  entry { event = event.cart_updated }
  stage "browsing" {}
}
`

// output collects a process's output lines as they come.
type output struct {
	mu    sync.Mutex
	lines []string
	grew  chan struct{}
}

func (o *output) add(l string) {
	o.mu.Lock()
	o.lines = append(o.lines, l)
	close(o.grew)
	o.grew = make(chan struct{})
	o.mu.Unlock()
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.lines, "\n")
}

// await waits for a line matching re from line from on, and returns the
// index after it.
func (o *output) await(t *testing.T, from int, re string) (int, []string) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(30 * time.Second)
	for {
		o.mu.Lock()
		for i := from; i < len(o.lines); i++ {
			if m := rx.FindStringSubmatch(o.lines[i]); m != nil {
				o.mu.Unlock()
				return i + 1, m
			}
		}
		grew := o.grew
		o.mu.Unlock()
		select {
		case <-grew:
		case <-deadline:
			t.Fatalf("no line matching %q after 30s; the output:\n%s", re, o.String())
		}
	}
}

// awaitSerial polls the runtime until the stack is at serial.
func awaitSerial(t *testing.T, c *client.Client, serial int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := c.Stack(context.Background(), "growth")
		if err == nil && st.Serial == serial {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stack did not reach serial %d within 30s: %+v %v", serial, st, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waymark dev, as a process, applies the directory at the start and on
// each save; a save with an error prints its diagnostic and the runtime
// goes on serving the last good configuration; events send and customer
// show work against the address it prints.
func TestDevReloadsOnSave(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "main.wm.hcl")
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "dev", dir, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "WAYMARK_DEVCMD_TEST_CLI=1", "NO_COLOR=1")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out := &output{grew: make(chan struct{})}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			out.add(sc.Text())
		}
	}()
	exited := make(chan error, 1)
	t.Cleanup(func() {
		cmd.Process.Kill()
	})

	at, m := out.await(t, 0, `^Waymark dev runtime at (http://127\.0\.0\.1:\d+):`)
	addr := m[1]
	c := client.New(addr, "", nil)
	at, _ = out.await(t, at, `^Apply complete! Resources: 4 added, 0 changed, 0 destroyed\.$`)
	awaitSerial(t, c, 1)
	at, _ = out.await(t, at, `^Watching .* for changes`)

	// The other commands, pointed at the printed address.
	send := exec.Command(os.Args[0], "events", "send", "-wait", "-")
	send.Env = append(os.Environ(), "WAYMARK_DEVCMD_TEST_CLI=1", "WAYMARK_ADDR="+addr)
	send.Stdin = strings.NewReader(`{"id":"e1","type":"cart_updated","customer_id":"c-1","attributes":{"cart_value":30}}`)
	if b, err := send.CombinedOutput(); err != nil || !strings.Contains(string(b), "1 accepted") {
		t.Fatalf("events send: %v\n%s", err, b)
	}
	cu, err := c.Customer(context.Background(), "c-1")
	if err != nil || len(cu.Journeys) != 1 || cu.Journeys[0].Stage != "browsing" {
		t.Fatalf("customer c-1: %+v %v", cu, err)
	}

	// A save adds a stage: planned, applied.
	edit := strings.Replace(config, `stage "browsing" {}`, `stage "browsing" {}
  stage "checkout" {}`, 1)
	if err := os.WriteFile(file, []byte(edit), 0o644); err != nil {
		t.Fatal(err)
	}
	at, _ = out.await(t, at, `^  \+ stage "checkout" \{`)
	at, _ = out.await(t, at, `^Apply complete! Resources: 1 added, 1 changed, 0 destroyed\.$`)
	awaitSerial(t, c, 2)

	// A save with an error: its diagnostic, and nothing changes.
	if err := os.WriteFile(file, []byte(edit+"journey \"broken\" {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	at, _ = out.await(t, at, `Error: Unclosed configuration block`)
	at, _ = out.await(t, at, `main\.wm\.hcl:\d+`)
	at, _ = out.await(t, at, `^The configuration was not applied; the runtime goes on with the last one that was\.$`)
	st, err := c.Stack(context.Background(), "growth")
	if err != nil || st.Serial != 2 {
		t.Fatalf("after the bad save: %+v %v", st, err)
	}
	if ok, err := c.Ready(context.Background()); err != nil || !ok {
		t.Fatalf("the runtime is not up after the bad save: %v %v", ok, err)
	}
	if _, err := c.SendEvents(context.Background(), []byte(`{"id":"e2","type":"cart_updated","customer_id":"c-2"}`)); err != nil {
		t.Fatal(err)
	}

	// Mended: applied again.
	if err := os.WriteFile(file, []byte(strings.Replace(edit, `stage "checkout" {}`, "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	at, _ = out.await(t, at, `^Apply complete! Resources: 0 added, 1 changed, 1 destroyed\.$`)
	awaitSerial(t, c, 3)

	go func() { exited <- cmd.Wait() }()
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		<-scanned
		if err != nil {
			t.Fatalf("waymark dev exited with %v:\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("waymark dev did not stop on an interrupt:\n%s", out.String())
	}
	out.await(t, at, `^Stopped; the dev runtime's state is gone\.$`)
	if _, err := c.Stack(context.Background(), "growth"); err == nil {
		t.Error("the API still answers after waymark dev stopped")
	}
}
