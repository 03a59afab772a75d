//go:build unix

package lang_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/waymarkhq/waymark/lang"
)

// A named pipe is refused without being opened, wherever the loader would
// read it: opening one waits for a writer that never comes.
func TestNamedPipesRefused(t *testing.T) {
	for _, tc := range []struct {
		name, pipe, config string
	}{
		{"file()", "pipe", "locals {\n  a = file(\"pipe\")\n}\n"},
		{"templatefile()", "pipe", "locals {\n  a = templatefile(\"pipe\", {})\n}\n"},
		{"configuration file", "x.wm.hcl", "locals {}\n"},
		{"automatic variable file", "x.auto.wmvars", "locals {}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "main.wm.hcl", tc.config)
			if err := syscall.Mkfifo(filepath.Join(dir, tc.pipe), 0o644); err != nil {
				t.Fatal(err)
			}
			var diags hcl.Diagnostics
			within(t, 5*time.Second, func() { _, diags = lang.Load(context.Background(), dir, options()) })
			for _, d := range diags {
				if d.Summary == "Not a regular file" {
					return
				}
			}
			t.Errorf("want an error \"Not a regular file\"; got %v", diags)
		})
	}
}
