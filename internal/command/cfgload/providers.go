package cfgload

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/host"
)

// EnvFor returns where the CLI looks for providers for the configuration in
// dir.
func EnvFor(s *cmdutil.Streams, dir string) (discovery.Env, error) {
	self, err := selfExecutable()
	if err != nil {
		return discovery.Env{}, fmt.Errorf("finding the waymark executable: %w", err)
	}
	home := s.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return discovery.Env{
		Dir:          dir,
		Home:         home,
		ProviderPath: s.Getenv("WAYMARK_PROVIDER_PATH"),
		Self:         self,
		Version:      version.Version,
	}, nil
}

// selfExecutable is the binary that serves the built-in providers: the
// path the user ran waymark by when it resolves to an absolute file named
// waymark (so a link keeps its name, which the end-to-end test harness
// relies on), else the running executable.
func selfExecutable() (string, error) {
	if p, err := exec.LookPath(os.Args[0]); err == nil && filepath.IsAbs(p) && filepath.Base(p) == "waymark" {
		return p, nil
	}
	return os.Executable()
}

// HostOptions are the provider host options for a command: provider logs
// to standard error at WAYMARK_LOG's level (default warn), providers
// attached from WAYMARK_REATTACH_PROVIDERS.
func HostOptions(s *cmdutil.Streams) host.Options {
	level := hclog.LevelFromString(s.Getenv("WAYMARK_LOG"))
	if level == hclog.NoLevel {
		level = hclog.Warn
	}
	return host.Options{
		Logger:   hclog.New(&hclog.LoggerOptions{Name: "waymark", Level: level, Output: s.Err, Color: hclog.ColorOff}),
		Stdout:   s.Out,
		Reattach: s.Getenv("WAYMARK_REATTACH_PROVIDERS"),
	}
}
