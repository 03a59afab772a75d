package cmdutil

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// RewriteFlags turns Terraform-style single-dash long flags (-out=plan,
// -auto-approve) into cobra's double-dash form for the command that args
// select, so that pflag does not read -out as the shorthands -o -u -t. Only
// flags the selected command knows are rewritten; everything after "--" is
// left alone.
func RewriteFlags(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		cmd = root
	}
	known := map[string]bool{}
	add := func(fs *pflag.FlagSet) {
		fs.VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
	}
	add(cmd.Flags())
	add(cmd.InheritedFlags())
	add(root.PersistentFlags())
	known["help"] = true

	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name := a[1:]
			if eq := strings.IndexByte(name, '='); eq >= 0 {
				name = name[:eq]
			}
			if len(name) > 1 && known[name] {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}
