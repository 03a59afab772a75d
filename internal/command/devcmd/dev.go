package devcmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/applycmd"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/internal/simulate"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/views"
	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/client"
)

// DefaultAddr is where waymark dev serves: the runtime address every
// command uses when none is set.
const DefaultAddr = "127.0.0.1:7400"

// Debounce is how long the directory must be quiet after a change before
// it is planned and applied: an editor's save is several writes.
const Debounce = 200 * time.Millisecond

// Options are waymark dev's inputs.
type Options struct {
	Dir  string
	Addr string
	Vars cfgload.Vars
}

// New returns the dev command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "dev [DIR]",
		Short: "Run an in-memory runtime and apply the configuration to it on every save",
		Long: `Dev starts a runtime in memory, on the event clock, serving the runtime API on
-addr without tokens, and applies the configuration in DIR (the current
directory by default) to it: once at the start, then each time a file in
DIR changes (after ` + Debounce.String() + ` without further changes), printing the plan
of each save. A save with errors prints its diagnostics, and the runtime
goes on with the last configuration that applied.

Point events send, decide, customer show and status at the printed address
(WAYMARK_ADDR; the default address needs nothing). Deliveries are recorded,
not sent: waymark deliveries -state pending lists them. Nothing is kept
when dev stops (Ctrl-C).`,
		Example: `  waymark dev
  waymark dev examples/cart-recovery -addr 127.0.0.1:7411`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", DefaultAddr, "Serve the runtime API on this address (port 0: a free one).")
	opts.Vars.AddFlags(cmd.Flags())
	return cmd
}

// Run serves and applies until ctx ends.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	rt, err := simulate.Start(ctx, simulate.Options{})
	if err != nil {
		return err
	}
	defer rt.Close()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is a runtime running there? choose another with -addr)", opts.Addr, err)
	}
	srv := &http.Server{Handler: api.New(rt.Service(), api.Options{Insecure: true}), ReadHeaderTimeout: 10 * time.Second}
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(ln) }()
	defer srv.Close()
	addr := "http://" + ln.Addr().String()
	fmt.Fprintf(s.Out, "Waymark dev runtime at %s: in memory, on the event clock, without tokens;\ndeliveries are recorded, not sent. For the other commands:\n\n  export WAYMARK_ADDR=%s\n\n", addr, addr)

	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", dir, err)
	}
	defer w.Close()
	if err := watchTree(w, dir); err != nil {
		return err
	}
	d := &dev{s: s, opts: opts, rt: rtclient.Wrap(client.New(addr, "", nil))}
	d.apply(ctx)
	fmt.Fprintf(s.Out, "\nWatching %s for changes (Ctrl-C to stop).\n", dir)

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(s.Out, "\nStopped; the dev runtime's state is gone.")
			return nil
		case err := <-srvDone:
			return fmt.Errorf("serving the API: %w", err)
		case err := <-w.Errors:
			fmt.Fprintf(s.Err, "Warning: watching %s: %s\n", dir, err)
		case ev := <-w.Events:
			if ignored(ev.Name) || ev.Op == fsnotify.Chmod {
				continue
			}
			if ev.Op&fsnotify.Create != 0 {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					watchTree(w, ev.Name)
				}
			}
			timer.Reset(Debounce)
		case <-timer.C:
			fmt.Fprintf(s.Out, "\n%s\n\nA change was saved: planning it.\n\n", rule)
			d.apply(ctx)
		}
	}
}

const rule = "─────────────────────────────────────────────────────────────────────────────"

// dev applies the configuration to its runtime.
type dev struct {
	s    *cmdutil.Streams
	opts *Options
	rt   planner.Runtime
}

// apply plans the configuration against the runtime, prints the plan,
// and applies it; a configuration with errors, or one the runtime
// refuses, changes nothing.
func (d *dev) apply(ctx context.Context) {
	p, _, err := plancmd.Make(ctx, d.s, plancmd.Request{Source: plancmd.Source{Dir: d.opts.Dir, Vars: d.opts.Vars.Args}, Runtime: d.rt})
	if err != nil {
		var ee *cmdutil.ExitError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintf(d.s.Err, "Error: %s\n", rtclient.Explain(err))
		}
		fmt.Fprintln(d.s.Err, "The configuration was not applied; the runtime goes on with the last one that was.")
		return
	}
	if !p.HasChanges() {
		fmt.Fprintln(d.s.Out, "No changes. The runtime runs this configuration already.")
		return
	}
	if err := views.Human(d.s.Out, p, views.HumanOptions{Color: d.s.Color}); err != nil {
		fmt.Fprintf(d.s.Err, "Error: %s\n", err)
		return
	}
	serial, err := planner.Apply(ctx, d.rt, p)
	if err != nil {
		fmt.Fprintf(d.s.Err, "Error: %s\n", rtclient.Explain(err))
		fmt.Fprintln(d.s.Err, "The configuration was not applied; the runtime goes on with the last one that was.")
		return
	}
	applycmd.Complete(d.s, "Apply", p.Summary(), p.Stack, serial, true)
}

// watchTree watches dir and every directory under it but hidden ones
// (.waymark, .git).
func watchTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			return nil
		}
		if path != dir && strings.HasPrefix(e.Name(), ".") {
			return filepath.SkipDir
		}
		if err := w.Add(path); err != nil {
			return fmt.Errorf("watching %s: %w", path, err)
		}
		return nil
	})
}

// ignored reports whether a change to name is an editor's or waymark's
// own: hidden files, backups and swap files.
func ignored(name string) bool {
	base := filepath.Base(name)
	return strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") || strings.HasSuffix(base, ".swp") ||
		strings.HasPrefix(base, "#") || strings.Contains(filepath.ToSlash(name), "/.waymark/")
}
