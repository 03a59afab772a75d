package command

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/applycmd"
	"github.com/waymarkhq/waymark/internal/command/consolecmd"
	"github.com/waymarkhq/waymark/internal/command/customercmd"
	"github.com/waymarkhq/waymark/internal/command/decidecmd"
	"github.com/waymarkhq/waymark/internal/command/deliveriescmd"
	"github.com/waymarkhq/waymark/internal/command/devcmd"
	"github.com/waymarkhq/waymark/internal/command/eventscmd"
	"github.com/waymarkhq/waymark/internal/command/fmtcmd"
	"github.com/waymarkhq/waymark/internal/command/graphcmd"
	"github.com/waymarkhq/waymark/internal/command/historycmd"
	"github.com/waymarkhq/waymark/internal/command/initcmd"
	"github.com/waymarkhq/waymark/internal/command/modelscmd"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/internal/command/pluginserve"
	"github.com/waymarkhq/waymark/internal/command/providerscmd"
	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/internal/command/runtimecmd"
	"github.com/waymarkhq/waymark/internal/command/showcmd"
	"github.com/waymarkhq/waymark/internal/command/statuscmd"
	"github.com/waymarkhq/waymark/internal/command/testcmd"
	"github.com/waymarkhq/waymark/internal/command/validatecmd"
	"github.com/waymarkhq/waymark/internal/command/versioncmd"
)

// NewRoot builds the waymark command tree over the given streams.
func NewRoot(s *cmdutil.Streams) *cobra.Command {
	var noColor bool
	var chdir string
	root := &cobra.Command{
		Use:   "waymark",
		Short: "Journey-as-code: validate, plan and apply customer journeys to the Waymark runtime",
		Long: `Waymark keeps customer journeys, their stages, next-best-actions and KPIs in
HCL files (*.wm.hcl), reviewed in git and deployed with plan and apply to the
bundled real-time decisioning runtime.`,
		Example: `  waymark validate
  waymark fmt -check -recursive
  waymark plan -out=plan.wm && waymark apply plan.wm`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if noColor {
				s.Color = false
			}
			if chdir != "" {
				if err := os.Chdir(chdir); err != nil {
					return fmt.Errorf("-chdir: %w", err)
				}
			}
			return nil
		},
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.PersistentFlags().BoolVar(&noColor, "no-color", false, "Disable colour in output (also NO_COLOR, or when output is not a terminal).")
	root.PersistentFlags().StringVar(&chdir, "chdir", "", "Switch to this directory before doing anything else.")
	root.SetFlagErrorFunc(cmdutil.FlagError)

	// In help order.
	for _, add := range []func(*cmdutil.Streams) *cobra.Command{
		initcmd.New,
		validatecmd.New,
		plancmd.New,
		applycmd.New,
		applycmd.NewDestroy,
		devcmd.New,
		showcmd.New,
		graphcmd.New,
		consolecmd.New,
		testcmd.New,
		historycmd.New,
		historycmd.NewRollback,
		fmtcmd.New,
		providerscmd.New,
		eventscmd.New,
		decidecmd.New,
		customercmd.New,
		deliveriescmd.New,
		modelscmd.New,
		statuscmd.New,
		runtimecmd.New,
		versioncmd.New,
		pluginserve.New,
	} {
		root.AddCommand(add(s))
	}
	// After every command is added: cobra adds completion itself, later.
	cmdutil.RequireSubcommands(root)
	return root
}

// Main runs the CLI with args and returns the process exit code.
func Main(ctx context.Context, args []string, s *cmdutil.Streams) int {
	root := NewRoot(s)
	root.SetArgs(cmdutil.RewriteFlags(root, args))
	err := root.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	code := cmdutil.ExitFailure
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) {
		if ee.Silent || ee.Err == nil {
			return ee.Code
		}
		code, err = ee.Code, ee.Err
	}
	// Whichever command could not reach the runtime says so the same way.
	fmt.Fprintf(s.Err, "Error: %s\n", rtclient.Explain(err))
	return code
}
