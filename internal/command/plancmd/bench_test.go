package plancmd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/internal/command/validatecmd"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/plannertest"
)

// The quality target (quality.md): waymark validate + waymark plan of
// 1,000 journeys with 10,000 actions, against a runtime that has them
// deployed, in at most 2 s.
const (
	benchJourneys = 1000
	benchActions  = 10 // per journey: one email, the rest web
	benchFiles    = 10 // the journeys are spread over this many files
)

// writeBenchConfig writes the configuration into dir: a schema file and
// benchFiles files of journeys. Variable v is the value of the first
// action of every tenth journey, so that two values differ in 100 actions.
func writeBenchConfig(tb testing.TB, dir string) {
	tb.Helper()
	files := map[string]string{"schema.wm.hcl": `waymark {
  stack = "bench"
}

variable "v" {
  type    = number
  default = 1
}

customer {
  attribute "tier" { type = string }
  attribute "first_name" { type = string }
  attribute "email" {
    type      = string
    sensitive = true
  }
}

event "cart_updated" {
  attribute "cart_value" { type = number }
}
event "order_placed" {}

channel "web" {
  provider = inbound
}

channel "email" {
  provider = smtp
  host     = "127.0.0.1"
  port     = 1025
  starttls = "off"
  from     = "shop@acme.test"
  to       = customer.email
}
`}
	per := benchJourneys / benchFiles
	for f := 0; f < benchFiles; f++ {
		var sb strings.Builder
		for j := f * per; j < (f+1)*per; j++ {
			fmt.Fprintf(&sb, `journey "j%04d" {
  entry {
    event     = event.cart_updated
    condition = event.cart_value > 20
  }
  goal {
    event  = event.order_placed
    within = "14d"
  }
  stage "browsing" {
    timeout = "7d"
  }
  stage "checkout" {}
  stage "paying" {}

  action "a00" {
    channel = channel.email
    stages  = [stage.browsing, stage.checkout]
    trigger {
      after  = "1h"
      unless = [event.order_placed]
    }
    value = %s
    message {
      subject = "${customer.first_name}, your cart is waiting"
      body    = "<p>Hi ${customer.first_name}, come back to finish your order.</p>"
    }
  }
`, j, valueOf(j))
			for a := 1; a < benchActions; a++ {
				fmt.Fprintf(&sb, `  action "a%02d" {
    channel  = channel.web
    stages   = [stage.browsing, stage.checkout]
    eligible = customer.tier == "gold"
    value    = 1
    limit {
      max = 1
      per = "3d"
    }
  }
`, a)
			}
			sb.WriteString(`  kpi "conversion" {
    metric = conversion()
    window = "7d"
  }
}

`)
		}
		files[fmt.Sprintf("journeys_%02d.wm.hcl", f)] = sb.String()
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func valueOf(j int) string {
	if j%10 == 0 {
		return "var.v"
	}
	return "1"
}

// BenchmarkValidatePlan measures what a user runs after changing 100
// actions: waymark validate, then waymark plan against a runtime process
// (waymark runtime serve) that has the stack deployed and is idle, with the
// built-in providers as real plugin processes, as the commands run them.
// The sub-benchmarks give each command's share, run in this process, and
// the two run as the user runs them, as processes (processes).
func BenchmarkValidatePlan(b *testing.B) {
	b.Setenv(asWaymark, "1") // child processes are this binary, serving as waymark
	ctx := context.Background()
	dir := b.TempDir()
	writeBenchConfig(b, dir)
	addr, pid := startRuntime(b)
	var errb strings.Builder
	s := &cmdutil.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &errb, Getenv: func(k string) string {
		if k == "WAYMARK_ADDR" {
			return addr
		}
		return ""
	}}
	deployed, err := plancmd.Load(ctx, s, plancmd.Source{Dir: dir})
	if err != nil {
		b.Fatalf("%v\n%s", err, errb.String())
	}
	if n := len(deployed.Document.Objects); n < benchJourneys*(benchActions+5) {
		b.Fatalf("only %d objects", n)
	}
	rt := rtclient.New(s.Getenv, "")
	p, err := planner.Plan(ctx, rt, deployed.Document, planner.Options{})
	if err == nil {
		_, err = planner.Apply(ctx, rt, p)
	}
	if err != nil {
		b.Fatal(err)
	}
	// The runtime activates the deployment in the background: measure
	// against a runtime that has finished.
	waitIdle(b, pid)
	changed := cfgload.Vars{Args: []lang.VarArg{{Name: "v", Value: "2"}}}

	validate := func(b *testing.B) {
		if err := validatecmd.Run(ctx, s, &validatecmd.Options{Dir: dir, Vars: changed}); err != nil {
			b.Fatalf("validate: %v\n%s", err, errb.String())
		}
	}
	plan := func(b *testing.B) {
		err := plancmd.Run(ctx, s, &plancmd.Options{Dir: dir, Vars: changed, DetailedExitCode: true})
		var ee *cmdutil.ExitError
		if !errors.As(err, &ee) || ee.Code != cmdutil.ExitChanges {
			b.Fatalf("plan: %v, want exit status 2\n%s", err, errb.String())
		}
	}
	b.Run("validate+plan", func(b *testing.B) {
		cpu := plannertest.CPUTime()
		for b.Loop() {
			validate(b)
			plan(b)
		}
		report(b, cpu)
	})
	b.Run("validate", func(b *testing.B) {
		cpu := plannertest.CPUTime()
		for b.Loop() {
			validate(b)
		}
		report(b, cpu)
	})
	b.Run("plan", func(b *testing.B) {
		cpu := plannertest.CPUTime()
		for b.Loop() {
			plan(b)
		}
		report(b, cpu)
	})
	// What a user runs: the two commands as processes of their own, each
	// starting, launching its providers and exiting.
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, want int, args ...string) {
		cmd := exec.Command(self, args...)
		cmd.Env = append(os.Environ(), "WAYMARK_ADDR="+addr)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != want {
			b.Fatalf("waymark %s: exit status %d (%v), want %d\n%s", strings.Join(args, " "), code, err, want, out.String())
		}
	}
	b.Run("processes", func(b *testing.B) {
		cpu := plannertest.CPUTime()
		for b.Loop() {
			run(b, 0, "validate", "-var", "v=2", dir)
			run(b, cmdutil.ExitChanges, "plan", "-detailed-exitcode", "-var", "v=2", dir)
		}
		report(b, cpu)
	})
}

// report reports the seconds per operation and the CPU time per operation
// since cpu (this process's and its exited children's: the providers and
// the commands; not the runtime's), which on a shared machine says more.
func report(b *testing.B, cpu time.Duration) {
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
	b.ReportMetric((plannertest.CPUTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// startRuntime runs waymark runtime serve (this binary, as waymark) on a
// free loopback port with an empty store, and returns its address and
// process id once it answers /healthz. It is stopped when the benchmark
// ends.
func startRuntime(b *testing.B) (string, int) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(self, "runtime", "serve", "-insecure-dev", "-clock=event", "-data", b.TempDir(), "-listen", listen)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	addr := "http://" + listen
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr, cmd.Process.Pid
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("the runtime did not answer /healthz within 30s: %v\n%s", err, logs.String())
		}
	}
}

// waitIdle waits until process pid has used less than 2% of a core over
// a second, reading its CPU time from /proc.
func waitIdle(b *testing.B, pid int) {
	b.Helper()
	cpu := func() int64 {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			b.Fatalf("reading the runtime's CPU time: %v", err)
		}
		// The fields after the command name, which is in parentheses:
		// utime and stime are the 12th and 13th.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		return u + s // clock ticks, 100 a second
	}
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); {
		before := cpu()
		time.Sleep(time.Second)
		if cpu()-before <= 2 {
			return
		}
	}
	b.Fatal("the runtime did not become idle within 10 minutes")
}
