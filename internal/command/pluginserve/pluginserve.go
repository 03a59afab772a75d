package pluginserve

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/sdk"
)

// New returns the hidden __provider command.
func New(_ *cmdutil.Streams) *cobra.Command {
	return &cobra.Command{
		Use:    discovery.ServeCommand + " NAME",
		Short:  "Serve a built-in provider as a plugin process (used by waymark itself)",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		// sdk.Serve reads its own -debug flag.
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			p, ok := builtin.Provider(args[0], version.Version)
			if !ok {
				return fmt.Errorf("no built-in provider %q; the built-in providers are %v", args[0], builtin.Names)
			}
			sdk.Serve(p)
			return nil
		},
	}
}
