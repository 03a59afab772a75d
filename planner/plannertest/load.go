package plannertest

import (
	"context"
	"slices"
	"testing"

	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/builtin"
)

// Version is the CLI version that configurations are loaded with.
const Version = "0.1.0"

// Options are the loader's options with the built-in providers.
func Options() lang.Options {
	return lang.Options{
		Providers: builtin.Schemas(Version),
		Builtin: func(name string) (string, bool) {
			if slices.Contains(builtin.Names, name) {
				return builtin.Source(name), true
			}
			return "", false
		},
		Version: Version,
	}
}

// Load loads a configuration from file texts by name, as if they were the
// files of dir, and fails the test on any error.
func Load(t testing.TB, dir string, files map[string]string) *lang.Config {
	t.Helper()
	src := make(map[string][]byte, len(files))
	for n, s := range files {
		src[n] = []byte(s)
	}
	cfg, diags := lang.LoadSources(context.Background(), dir, src, Options())
	if diags.HasErrors() {
		t.Fatalf("loading configuration: %s", diags.Error())
	}
	return cfg
}
