package command_test

import (
	"context"
	"errors"
	"flag"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command"
)

var updateScripts = flag.Bool("update-scripts", false, "rewrite the cmp files in testdata/script/*.txtar from the actual output")

// TestMain makes the test binary double as the waymark command, so that the
// scripts run the real CLI as a separate process: its own arguments, exit
// status, standard streams and working directory.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"waymark": func() {
			os.Exit(command.Main(context.Background(), os.Args[1:], cmdutil.System()))
		},
	})
}

// TestScripts runs each testdata/script/*.txtar: a sequence of waymark
// invocations in a fresh directory, with the output and files they must
// produce.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       *updateScripts,
		Setup: func(env *testscript.Env) error {
			examples, err := filepath.Abs("../../examples")
			if err != nil {
				return err
			}
			env.Setenv("EXAMPLES", examples)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"rtlisten": cmdRTListen,
			"waitrt":   cmdWaitRT,
			"exitcode": cmdExitCode,
			"perm":     cmdPerm,
			"replace":  cmdReplace,
		},
	})
}

// cmdRTListen picks a free loopback port for a runtime that the script
// starts with exec waymark runtime serve -listen $RT_LISTEN ... &, and
// points WAYMARK_ADDR at it.
func cmdRTListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: rtlisten")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := ln.Addr().String()
	ts.Check(ln.Close())
	ts.Setenv("RT_LISTEN", addr)
	ts.Setenv("WAYMARK_ADDR", "http://"+addr)
}

// cmdWaitRT waits until the runtime at WAYMARK_ADDR answers /healthz.
func cmdWaitRT(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: waitrt")
	}
	url := ts.Getenv("WAYMARK_ADDR") + "/healthz"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("the runtime at %s did not answer /healthz within 30s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdExitCode runs a command as exec does and checks its exit status:
// exitcode 2 waymark plan -detailed-exitcode.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode STATUS COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// cmdReplace replaces text in a file, once, failing when it is not there:
// replace FILE OLD NEW.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	name := ts.MkAbs(args[0])
	b, err := os.ReadFile(name)
	ts.Check(err)
	if !strings.Contains(string(b), args[1]) {
		ts.Fatalf("%s does not hold %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(name, []byte(strings.Replace(string(b), args[1], args[2], 1)), 0o644))
}

// cmdPerm checks a file's permission bits: perm 0600 plan.out.
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: perm MODE FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[1], got, want)
	}
}

// TestReadmeWalkthrough checks that testdata/script/readme.txtar runs each
// waymark command of the README's "Using it" walk-through as written.
func TestReadmeWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Using it")
	if !ok {
		t.Fatal(`README.md has no "## Using it"`)
	}
	_, block, ok := strings.Cut(rest, "```sh\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal(`README.md's "Using it" has no sh block`)
	}
	script, err := os.ReadFile("testdata/script/readme.txtar")
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]bool{}
	for _, l := range strings.Split(string(script), "\n") {
		l = strings.TrimPrefix(l, "exitcode 0 ")
		if c, ok := strings.CutPrefix(l, "exec "); ok {
			ran[strings.TrimSpace(c)] = true
		}
	}
	n := 0
	for _, l := range strings.Split(block, "\n") {
		l, _, _ = strings.Cut(l, "#")
		for _, c := range strings.Split(l, "&&") {
			c = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(c), "&"))
			if !strings.HasPrefix(c, "waymark ") || strings.HasPrefix(c, "waymark runtime serve") {
				continue
			}
			n++
			if !ran[c] {
				t.Errorf("readme.txtar does not run the README's %q", c)
			}
		}
	}
	if n < 10 {
		t.Errorf("found %d waymark commands in the README's walk-through", n)
	}
}
