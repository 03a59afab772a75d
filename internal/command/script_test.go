package command_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command"
)

var updateScripts = flag.Bool("update-scripts", false, "rewrite the cmp files in testdata/script/*.txtar from the actual output")

// TestMain makes the test binary double as the waymark command, so that the
// scripts run the real CLI as a separate process: its own arguments, exit
// status, standard streams and working directory.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"waymark": func() {
			os.Exit(command.Main(context.Background(), os.Args[1:], cmdutil.System()))
		},
	})
}

// TestScripts runs each testdata/script/*.txtar: a sequence of waymark
// invocations in a fresh directory, with the output and files they must
// produce.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       *updateScripts,
		Setup: func(env *testscript.Env) error {
			examples, err := filepath.Abs("../../examples")
			if err != nil {
				return err
			}
			env.Setenv("EXAMPLES", examples)
			return nil
		},
	})
}
