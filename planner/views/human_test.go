package views_test

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/planner/plans"
	"github.com/waymarkhq/waymark/planner/views"
)

// Every scenario's plan renders as its golden file, without colour.
func TestHumanGolden(t *testing.T) {
	for _, s := range loadScenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := views.Human(&buf, s.plan, views.HumanOptions{}); err != nil {
				t.Fatal(err)
			}
			assertNoSecrets(t, s, "human plan", buf.Bytes())
			golden(t, filepath.Join(scenarios, s.Name+".golden"), buf.Bytes())
		})
	}
}

// With colour on, the symbols carry ANSI colours and, the colours taken out,
// the text is the plain rendering.
func TestHumanColor(t *testing.T) {
	for _, s := range loadScenarios(t) {
		if s.Name != "spec_example" && s.Name != "channel" {
			continue
		}
		var plain, colored bytes.Buffer
		if err := views.Human(&plain, s.plan, views.HumanOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := views.Human(&colored, s.plan, views.HumanOptions{Color: true}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"\x1b[32m+\x1b[0m", "\x1b[33m~\x1b[0m", "\x1b[31m-\x1b[0m", "\x1b[1m# journey.cart_recovery"} {
			if s.Name == "spec_example" && !strings.Contains(colored.String(), want) {
				t.Errorf("%s: coloured output lacks %q", s.Name, want)
			}
		}
		if got := ansi.ReplaceAllString(colored.String(), ""); got != plain.String() {
			t.Errorf("%s: coloured output without its colours differs from the plain one:\n%s", s.Name, got)
		}
		if strings.Contains(plain.String(), "\x1b[") {
			t.Errorf("%s: plain output has escape codes", s.Name)
		}
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// A provider in use at a new version is news even when no object changes;
// one added or removed comes with its channels and is not listed.
func TestHumanProviderChange(t *testing.T) {
	for _, s := range loadScenarios(t) {
		if s.Name != "nothing" {
			continue
		}
		p := *s.plan
		p.ProviderChanges = []plans.ProviderChange{
			{Action: plans.Update, Name: "smtp", Source: "waymark/smtp", BeforeVersion: "0.1.0", AfterVersion: "0.2.0"},
			{Action: plans.Update, Name: "webhook", Source: "waymark/webhook", BeforeVersion: "0.1.0", AfterVersion: "0.1.0"},
			{Action: plans.Create, Name: "log", Source: "waymark/log", AfterVersion: "0.1.0"},
		}
		var buf bytes.Buffer
		if err := views.Human(&buf, &p, views.HumanOptions{}); err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join(scenarios, "provider_upgrade.golden"), buf.Bytes())
	}
}
