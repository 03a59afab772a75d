// Command waymark is the Waymark CLI: journey-as-code validated, planned and
// applied to the bundled decisioning runtime.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := command.Main(ctx, os.Args[1:], cmdutil.System())
	stop()
	os.Exit(code)
}
