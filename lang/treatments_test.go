package lang_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// TestTreatmentsDecode: treatment blocks decode into the action's
// Treatments, in the order written, with their messages, values and model
// settings; a treatment's message inlining a sensitive value is marked at
// its path in the document.
func TestTreatmentsDecode(t *testing.T) {
	dir := t.TempDir()
	src := `
variable "secret_code" {
  type      = string
  default   = "XYZ"
  sensitive = true
}
customer {
  attribute "first_name" { type = string }
}
event "lapse" {}
channel "web" { provider = inbound }
channel "ops" {
  provider = webhook
  url      = "https://ops.acme.test/hook"
}
journey "winback" {
  entry { event = event.lapse }
  stage "lapsed" {}
  action "nudge" {
    stages = [stage.lapsed]
    value  = 2
    trigger { after = "1h" }
    treatment "ops" {
      channel = channel.ops
      message {
        title = "Hello ${customer.first_name}"
        text  = "Your code: ${var.secret_code}"
      }
    }
    treatment "web" {
      channel = channel.web
      value   = 3
      model { half_life = "30d" }
    }
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.wm.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, dir, options())
	o := cfg.Document.Object("journey.winback.action.nudge")
	if o == nil || o.Action == nil {
		t.Fatal("no action")
	}
	want := []deploy.Treatment{
		{Name: "ops", Channel: "ops", Message: map[string]string{"title": "Hello ${customer.first_name}", "text": "Your code: XYZ"}},
		{Name: "web", Channel: "web", Value: "3", Model: &deploy.Model{HalfLife: "30d"}},
	}
	if a := o.Action; a.Channel != "" || a.Message != nil || a.Value != "2" || a.Trigger == nil || !reflect.DeepEqual(a.Treatments, want) {
		t.Fatalf("action %+v, treatments %+v", a, a.Treatments)
	}
	if !reflect.DeepEqual(o.Sensitive, []string{"treatments.0.message.text"}) {
		t.Fatalf("sensitive %v", o.Sensitive)
	}
}
