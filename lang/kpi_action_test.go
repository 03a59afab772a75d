package lang_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang"
)

// withMetric copies the spec example with the metric of its conversion
// KPI replaced by metric.
func withMetric(t *testing.T, metric string) string {
	return specExampleWith(t, func(s string) string {
		return strings.Replace(s, "    metric = conversion()\n", "    metric = "+metric+"\n", 1)
	})
}

// conversion(action.<name>) decodes to the action's name with its
// canonical source; a reference to an action the journey lacks, or to one
// that never sends, is an error whose range is the reference.
func TestConversionOfAction(t *testing.T) {
	cfg, diags := lang.Load(context.Background(), withMetric(t, "conversion(action.reminder_email)"), options())
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	m := cfg.Document.Object("journey.cart_recovery.kpi.conversion").KPI.Metric
	if m.Function != "conversion" || m.Action != "reminder_email" || m.Source != "conversion(action.reminder_email)" {
		t.Fatalf("metric %+v", m)
	}
	for _, tt := range []struct {
		metric, summary, detail, subject string
	}{
		{"conversion(action.reminder_mail)", "Undeclared action", `Did you mean "reminder_email"?`, "action.reminder_mail"},
		{"conversion(action.vip_discount_banner)", "Action that never sends", `channel "web"`, "action.vip_discount_banner"},
		{"conversion(stage.checkout)", "Invalid reference", "", "stage.checkout"},
		{"conversion(action.reminder_email, 0.5)", "Wrong number of arguments", "conversion() or conversion(action.<name>)", "(action.reminder_email, 0.5)"},
	} {
		t.Run(tt.metric, func(t *testing.T) {
			dir := withMetric(t, tt.metric)
			_, diags := lang.Load(context.Background(), dir, options())
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if d.Summary != tt.summary || !strings.Contains(d.Detail, tt.detail) {
				t.Fatalf("diagnostic %q: %q, want %q containing %q", d.Summary, d.Detail, tt.summary, tt.detail)
			}
			src := readMain(t, dir)
			if d.Subject == nil || src[d.Subject.Start.Byte:d.Subject.End.Byte] != tt.subject {
				t.Fatalf("subject %v, want the range of %q", d.Subject, tt.subject)
			}
		})
	}
}

func readMain(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "main.wm.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
