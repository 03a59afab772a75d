package cmdutil

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestRewriteFlags(t *testing.T) {
	root := &cobra.Command{Use: "waymark"}
	root.PersistentFlags().Bool("no-color", false, "")
	plan := &cobra.Command{Use: "plan", Run: func(*cobra.Command, []string) {}}
	plan.Flags().String("out", "", "")
	plan.Flags().StringArray("var", nil, "")
	plan.Flags().Bool("json", false, "")
	root.AddCommand(plan)

	tests := []struct{ in, want string }{
		{"plan -out=p.wm -json", "plan --out=p.wm --json"},
		{"plan -out p.wm", "plan --out p.wm"},
		{"plan --out=p.wm", "plan --out=p.wm"},
		// Unknown flags too, so that pflag names them as typed.
		{"plan -ot=x", "plan --ot=x"},
		// A value that starts with a dash stays a value.
		{"plan -var -x=1 -json", "plan --var -x=1 --json"},
		{"plan -json -no-color", "plan --json --no-color"},
		{"plan -h", "plan -h"},
		{"plan -- -out", "plan -- -out"},
		{"plan - x", "plan - x"},
		{"__complete plan -ou", "__complete plan -ou"},
	}
	for _, tt := range tests {
		got := strings.Join(RewriteFlags(root, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("RewriteFlags(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSuggestFlags(t *testing.T) {
	cmd := &cobra.Command{Use: "plan"}
	cmd.Flags().String("out", "", "")
	cmd.Flags().Bool("detailed-exitcode", false, "")
	cmd.Flags().Bool("destroy", false, "")
	tests := []struct{ typed, want string }{
		{"ot", "out"},
		{"detailed", "detailed-exitcode"},
		{"destory", "destroy"},
		{"nope", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(suggestFlags(cmd, tt.typed), ","); got != tt.want {
			t.Errorf("suggestFlags(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
}
