package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// RewriteFlags turns Terraform-style single-dash long flags (-out=plan,
// -auto-approve) into cobra's double-dash form for the command that args
// select, so that pflag does not read -out as the shorthands -o -u -t.
// Every single-dash word of more than one letter is taken as a long flag,
// known or not (the CLI has no grouped shorthands), so that a mistyped one
// is reported by its name; a word that is the value of the flag before it
// (-var -x=1) and everything after "--" are left alone. Completion
// requests (cobra's __complete) are passed through as they are.
func RewriteFlags(root *cobra.Command, args []string) []string {
	if len(args) > 0 && strings.HasPrefix(args[0], "__complete") {
		return args
	}
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		cmd = root
	}
	flags := map[string]*pflag.Flag{}
	add := func(fs *pflag.FlagSet) {
		fs.VisitAll(func(f *pflag.Flag) { flags[f.Name] = f })
	}
	add(cmd.Flags())
	add(cmd.InheritedFlags())
	add(root.PersistentFlags())

	out := make([]string, 0, len(args))
	value := false // this word is the value of the flag before it
	for i, a := range args {
		if value {
			value = false
			out = append(out, a)
			continue
		}
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			a = "-" + a
		}
		if strings.HasPrefix(a, "--") && !strings.Contains(a, "=") {
			if f := flags[a[2:]]; f != nil && f.NoOptDefVal == "" {
				value = true
			}
		}
		out = append(out, a)
	}
	return out
}

// FlagError is the root's flag error function: it names flags as the CLI
// spells them (-out, not --out) and suggests the flag meant for an unknown
// one.
func FlagError(cmd *cobra.Command, err error) error {
	var notExist *pflag.NotExistError
	var needs *pflag.ValueRequiredError
	var invalid *pflag.InvalidValueError
	switch {
	case errors.As(err, &notExist):
		name := notExist.GetSpecifiedName()
		if sh := notExist.GetSpecifiedShortnames(); sh != "" {
			name = sh
		}
		if s := suggestFlags(cmd, name); len(s) > 0 {
			return fmt.Errorf("unknown flag: -%s\n\nDid you mean this?\n\t-%s", name, strings.Join(s, "\n\t-"))
		}
		return fmt.Errorf("unknown flag: -%s\nSee %s -help for the flags.", name, cmd.CommandPath())
	case errors.As(err, &needs):
		return fmt.Errorf("flag needs an argument: -%s", needs.GetFlag().Name)
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		switch t := f.Value.Type(); {
		case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
			return fmt.Errorf("invalid value %q for -%s: not a whole number", invalid.GetValue(), f.Name)
		case t == "bool":
			return fmt.Errorf("invalid value %q for -%s: write -%s or -%s=false", invalid.GetValue(), f.Name, f.Name, f.Name)
		}
		return fmt.Errorf("invalid value %q for -%s: %w", invalid.GetValue(), f.Name, errors.Unwrap(invalid))
	}
	return err
}

// suggestFlags returns the flags of cmd whose names are near name.
func suggestFlags(cmd *cobra.Command, name string) []string {
	var out []string
	seen := map[string]bool{}
	visit := func(f *pflag.Flag) {
		if f.Hidden || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		if levenshtein(strings.ToLower(name), f.Name) <= 2 || (len(name) > 1 && strings.HasPrefix(f.Name, name)) {
			out = append(out, f.Name)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return out
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// RequireSubcommands makes each command under root that only groups
// others (events, runtime, ...) fail on an argument that is not one of its
// commands, suggesting the one meant, as cobra does for the root; without
// arguments it shows its help.
func RequireSubcommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		RequireSubcommands(c)
		if !c.HasSubCommands() || c.Runnable() {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2
		}
		c.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
			}
			return errors.New(msg)
		}
	}
}
