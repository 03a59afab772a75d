// Package validatecmd implements waymark validate: load and check the
// configuration, print diagnostics as text or JSON, exit 0 when valid.
package validatecmd

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/lang/provschema"
)

// Options are validate's inputs.
type Options struct {
	Dir       string
	JSON      bool
	Vars      cfgload.Vars
	Providers provschema.Source // nil: the built-in providers
}

// New returns the validate command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "validate [DIR]",
		Short: "Check that the configuration is valid",
		Long: `Validate loads the *.wm.hcl and *.wm.json files of the directory (the current
one by default) and checks them without a runtime: every block and attribute
against the language's schema, references between blocks, config-time values,
runtime expressions type-checked against the customer and event schemas, and
channels and messages against their providers' schemas.

Exit status 0 means valid (warnings may be printed); 1 means errors.`,
		Example: `  waymark validate
  waymark validate -json | jq .error_count
  waymark validate -var discount_pct=15 examples/cart-recovery`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print the result as one JSON document (format_version, valid, error_count, warning_count, diagnostics).")
	opts.Vars.AddFlags(cmd.Flags())
	return cmd
}

// Run validates and reports.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	defer cmdutil.BatchGC()()
	cfg, diags := cfgload.Load(ctx, s, cfgload.Options{Dir: opts.Dir, Vars: opts.Vars.Args, Providers: opts.Providers})
	cmdutil.SortDiagnostics(diags)
	src := cfgload.Sources(cfg)
	errs, warns := count(diags)
	if opts.JSON {
		err := cmdutil.WriteJSON(s.Out, map[string]any{
			"format_version": "1.0",
			"valid":          errs == 0,
			"error_count":    errs,
			"warning_count":  warns,
			"diagnostics":    cmdutil.JSONDiagnostics(diags, src),
		})
		if err != nil {
			return err
		}
	} else {
		s.WriteDiagnostics(s.Err, diags, src)
		if errs == 0 {
			ok := s.Colorize()
			if warns > 0 {
				fmt.Fprintln(s.Out, ok("Success! The configuration is valid, but there were some warnings."))
			} else {
				fmt.Fprintln(s.Out, ok("Success! The configuration is valid."))
			}
		}
	}
	if errs > 0 {
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	return nil
}

func count(diags hcl.Diagnostics) (errs, warns int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	return
}
