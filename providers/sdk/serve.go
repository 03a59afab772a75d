package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/waymarkhq/waymark/providers/internal/protocol"
)

// Serve serves p as a plugin process and returns when the host closes it.
// Call it from main. It exits the process if p's schema is inconsistent,
// and when the process that started it is gone (go-plugin alone does not
// notice a host killed with SIGKILL).
//
// Started with the argument -debug, it instead serves without a host,
// prints the WAYMARK_REATTACH_PROVIDERS value with which waymark attaches
// to it, and serves until interrupted: run it in a debugger this way.
func Serve(p Provider) {
	logger := newLogger(nil)
	if err := p.Schema.Validate(); err != nil {
		logger.Error("invalid provider schema", "error", err)
		os.Exit(1)
	}
	if debugRequested(os.Args[1:]) {
		serveDebugMain(p)
		return
	}
	stop := watchParent(os.Getppid, time.Second, func() {
		logger.Warn("the process that started this provider is gone; exiting")
		os.Exit(0)
	})
	defer stop()
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  protocol.Handshake(),
		VersionedPlugins: protocol.PluginSets(newServer(p, logger)),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           logger,
	})
}

// ServeDebug serves p in this process, without the handshake, until ctx is
// done. It returns the value of WAYMARK_REATTACH_PROVIDERS that makes a
// waymark host attach to it, and a channel closed when serving ends.
func ServeDebug(ctx context.Context, p Provider) (reattach string, done <-chan struct{}, err error) {
	if err := p.Schema.Validate(); err != nil {
		return "", nil, err
	}
	// Stopping by ctx closes the listener under the server: not an error.
	logger := newLogger(func(_ hclog.Level, msg string, args ...any) bool {
		return msg == "grpc server" && strings.Contains(fmt.Sprint(args...), "use of closed network connection")
	})
	configs := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  protocol.Handshake(),
		VersionedPlugins: protocol.PluginSets(newServer(p, logger)),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           logger,
		Test: &plugin.ServeTestConfig{
			Context:          ctx,
			ReattachConfigCh: configs,
			CloseCh:          closed,
		},
	})
	select {
	case rc := <-configs:
		js, err := json.Marshal(map[string]protocol.Reattach{p.Schema.Provider: protocol.ReattachFrom(rc)})
		if err != nil {
			return "", nil, err
		}
		return string(js), closed, nil
	case <-closed:
		return "", nil, errors.New("the provider stopped before it was listening")
	}
}

func serveDebugMain(p Provider) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	reattach, done, err := ServeDebug(ctx, p)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s\n", err)
		os.Exit(1)
	}
	fmt.Printf("Provider %s is serving in debug mode. To use it, run waymark with:\n\n\texport %s='%s'\n\nInterrupt this process to stop it.\n",
		p.Schema.Provider, protocol.ReattachEnv, reattach)
	<-done
}

func debugRequested(args []string) bool {
	for _, a := range args {
		if a == "-debug" || a == "--debug" {
			return true
		}
	}
	return false
}

// newLogger logs to the process's standard error as JSON, which the host
// reads back into its own log with levels intact. WAYMARK_LOG sets the
// level (default info); exclude, when set, drops matching lines.
func newLogger(exclude func(hclog.Level, string, ...any) bool) hclog.Logger {
	level := hclog.LevelFromString(os.Getenv("WAYMARK_LOG"))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{
		Output:     os.Stderr,
		Level:      level,
		JSONFormat: true,
		Exclude:    exclude,
	})
}

// watchParent calls gone once, when the parent process id reported by
// getppid changes (the parent died and the process was re-parented). It
// returns a function that stops watching.
func watchParent(getppid func() int, every time.Duration, gone func()) (stop func()) {
	parent := getppid()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if getppid() != parent {
					gone()
					return
				}
			}
		}
	}()
	return func() { close(done) }
}
