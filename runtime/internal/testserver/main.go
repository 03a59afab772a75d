// Command testserver is waymark with only the runtime's commands (runtime,
// events, customer, decide, deliveries, models) and the hidden command that serves
// the built-in providers, for the runtime's end-to-end tests: they build it
// once and run it as a real process, as waymark itself would run (the
// runtime re-executes it as its providers), without depending on which
// commands the CLI's root registers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/customercmd"
	"github.com/waymarkhq/waymark/internal/command/decidecmd"
	"github.com/waymarkhq/waymark/internal/command/deliveriescmd"
	"github.com/waymarkhq/waymark/internal/command/eventscmd"
	"github.com/waymarkhq/waymark/internal/command/modelscmd"
	"github.com/waymarkhq/waymark/internal/command/pluginserve"
	"github.com/waymarkhq/waymark/internal/command/runtimecmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	s := cmdutil.System()
	root := &cobra.Command{Use: "waymark", SilenceUsage: true, SilenceErrors: true}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(runtimecmd.New(s), eventscmd.New(s), customercmd.New(s), decidecmd.New(s), deliveriescmd.New(s), modelscmd.New(s), pluginserve.New(s))
	root.SetArgs(cmdutil.RewriteFlags(root, os.Args[1:]))
	err := root.ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(s, err))
}

func exitCode(s *cmdutil.Streams, err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*cmdutil.ExitError); ok {
		if !ee.Silent && ee.Err != nil {
			s.Err.Write([]byte("Error: " + ee.Err.Error() + "\n"))
		}
		return ee.Code
	}
	s.Err.Write([]byte("Error: " + err.Error() + "\n"))
	return 1
}
