package api_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/providers/lockfile"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
)

// A deployment whose provider the runtime cannot run is refused, naming the
// provider and saying where to install it; once installed with the locked
// hash, the same deployment is accepted.
func TestDeployRefusesProviderItCannotRun(t *testing.T) {
	data := t.TempDir()
	p := serve(t, data)
	c := p.client(p.token)
	platform := runtime.GOOS + "_" + runtime.GOARCH
	exe := filepath.Join(data, "providers", "example", "slack", "0.2.0", platform, "waymark-provider-slack")
	withSlack := func(hashes ...string) *deploy.Document {
		d := fixture.New("growth").Shared().
			Channel(deploy.Channel{Name: "alerts", Provider: "slack", Source: "example/slack", Delivers: true}).Done()
		d.Providers = append(d.Providers, deploy.Provider{Name: "slack", Source: "example/slack", Version: "0.2.0", Hashes: hashes})
		d.Normalize()
		return d
	}

	_, err := c.Deploy(ctx(t), "growth", 0, withSlack("sha256:0000000000000000000000000000000000000000000000000000000000000000"))
	probs := client.Problems(err)
	if len(probs) != 1 || probs[0].Address != "channel.alerts" {
		t.Fatalf("deploying with a provider that is not installed: %v %+v", err, probs)
	}
	for _, want := range []string{"provider example/slack 0.2.0 for " + platform + " is not installed on the runtime host", "install it on the runtime host as " + exe} {
		if !strings.Contains(probs[0].Message, want) {
			t.Errorf("problem %q lacks %q", probs[0].Message, want)
		}
	}

	// The version installed for another platform only is not installed for
	// this one, even when the deployment locks no hash.
	other := filepath.Join(data, "providers", "example", "slack", "0.2.0", "plan9_386", "waymark-provider-slack")
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = c.Deploy(ctx(t), "growth", 0, withSlack())
	if probs := client.Problems(err); len(probs) != 1 || !strings.Contains(probs[0].Message, "for "+platform+" is not installed") {
		t.Fatalf("deploying with the provider installed for another platform only: %v %+v", err, probs)
	}

	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = c.Deploy(ctx(t), "growth", 0, withSlack("sha256:0000000000000000000000000000000000000000000000000000000000000000"))
	if probs := client.Problems(err); len(probs) != 1 || !strings.Contains(probs[0].Message, "is not one the configuration's lock records") {
		t.Fatalf("deploying with a provider whose hash differs: %v %+v", err, probs)
	}

	sum, err := lockfile.HashFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	// Installed at the locked version and hash, it is run for its schema,
	// which checks the channel: this one is no provider.
	_, err = c.Deploy(ctx(t), "growth", 0, withSlack(sum))
	if probs := client.Problems(err); len(probs) != 1 || !strings.Contains(probs[0].Message, "the schema of provider example/slack cannot be read") {
		t.Fatalf("deploying with the provider installed: %v %+v", err, probs)
	}
}
