package initcmd

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/waymarkhq/waymark/internal/cmdutil"
)

// PlanFileName is the name the CLI's help and the README give a saved
// plan: waymark plan -out=plan.wm, then waymark apply plan.wm.
const PlanFileName = "plan.wm"

// ignored are the .gitignore lines init suggests, each with the spellings
// that already cover it.
var ignored = []struct {
	line   string
	covers []string
}{
	{"*.wm", []string{"*.wm", "/*.wm", "plan.wm", "/plan.wm"}},
	{".waymark/", []string{".waymark/", "/.waymark/", ".waymark", "/.waymark"}},
}

// suggestGitignore prints the .gitignore lines that keep saved plans
// (which may hold sensitive values) and .waymark/ (the installed providers,
// a local runtime's data) out of version control, unless the .gitignore of
// dir already has them.
func suggestGitignore(s *cmdutil.Streams, dir string) {
	have := map[string]bool{}
	if src, err := os.ReadFile(filepath.Join(dir, ".gitignore")); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(src))
		for sc.Scan() {
			have[strings.TrimSpace(sc.Text())] = true
		}
	}
	var missing []string
	for _, ig := range ignored {
		covered := false
		for _, c := range ig.covers {
			covered = covered || have[c]
		}
		if !covered {
			missing = append(missing, ig.line)
		}
	}
	if len(missing) == 0 {
		return
	}
	fmt.Fprintf(s.Out, "\nSaved plans (waymark plan -out=%s) may hold sensitive values, and .waymark/\nholds the installed providers and a local runtime's data: keep them out of\nversion control. Add to .gitignore:\n\n", PlanFileName)
	for _, l := range missing {
		fmt.Fprintf(s.Out, "  %s\n", l)
	}
}
