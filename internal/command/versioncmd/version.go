// Package versioncmd implements waymark version.
package versioncmd

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/providers/host"
)

// Options are version's inputs.
type Options struct {
	JSON bool
}

// New returns the version command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show the versions of the CLI, the plugin protocol and the built-in providers",
		Example: `  waymark version
  waymark version -json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return Run(s, opts) },
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "Print the versions as one JSON document.")
	return cmd
}

// Run prints the versions.
func Run(s *cmdutil.Streams, opts *Options) error {
	type provider struct {
		Source  string `json:"source"`
		Version string `json:"version"`
	}
	var providers []provider
	for _, name := range builtin.Names {
		providers = append(providers, provider{builtin.Source(name), version.Version})
	}
	if opts.JSON {
		return cmdutil.WriteJSON(s.Out, map[string]any{
			"waymark_version":  version.Version,
			"protocol_version": host.ProtocolVersion,
			"platform":         runtime.GOOS + "_" + runtime.GOARCH,
			"providers":        providers,
		})
	}
	fmt.Fprintf(s.Out, "Waymark v%s\non %s_%s\nplugin protocol %d\n", version.Version, runtime.GOOS, runtime.GOARCH, host.ProtocolVersion)
	for _, p := range providers {
		fmt.Fprintf(s.Out, "+ provider %s v%s (built in)\n", p.Source, p.Version)
	}
	return nil
}
