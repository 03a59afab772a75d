package api_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/client"
)

// bin is the waymark test binary (runtime, events and customer commands),
// built once for the package.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "waymark-api-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "waymark")
	build := exec.Command("go", "build", "-o", bin, "github.com/waymarkhq/waymark/runtime/internal/testserver")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a runtime serve process.
type proc struct {
	t     testing.TB
	cmd   *exec.Cmd
	addr  string
	token string // the admin token printed on first start, if any
	out   *lockedBuf
	done  chan struct{}
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
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

var (
	addrRe  = regexp.MustCompile(`msg="runtime serving" address=(\S+)`)
	tokenRe = regexp.MustCompile(`(?m)^  (wm_\S+)$`)
)

// serve starts waymark runtime serve on a free port with data in dir.
func serve(t testing.TB, dir string, args ...string) *proc {
	t.Helper()
	args = append([]string{"runtime", "serve", "-data", dir, "-listen", "127.0.0.1:0"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "WAYMARK_LOG=info")
	// One pipe for both streams keeps their order: the admin token is
	// printed before the serving line is logged.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	p := &proc{t: t, cmd: cmd, out: &lockedBuf{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	addrCh := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			p.out.Write([]byte(line + "\n"))
			if m := addrRe.FindStringSubmatch(line); m != nil {
				addrCh <- m[1]
			}
		}
	}()
	go func() { wg.Wait(); cmd.Wait(); close(p.done) }()
	select {
	case p.addr = <-addrCh:
	case <-p.done:
		t.Fatalf("runtime serve exited:\n%s", p.out.String())
	case <-time.After(20 * time.Second):
		p.kill()
		t.Fatalf("runtime serve did not start:\n%s", p.out.String())
	}
	if m := tokenRe.FindStringSubmatch(p.out.String()); m != nil {
		p.token = m[1]
	}
	t.Cleanup(p.stop)
	return p
}

// client returns a client of the process with token.
func (p *proc) client(token string) *client.Client { return client.New(p.addr, token, nil) }

// stop ends the process with SIGTERM and waits for it.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
		p.t.Errorf("runtime serve did not stop on SIGTERM:\n%s", p.out.String())
	}
}

// kill ends the process with SIGKILL.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// eventually retries check until it returns nil or the deadline passes.
func eventually(t testing.TB, d time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}
