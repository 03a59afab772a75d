package consolecmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/rtexpr"
)

// Options are console's inputs.
type Options struct {
	Dir   string
	Event string
	Vars  cfgload.Vars
}

// New returns the console command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "console [DIR]",
		Short: "Try expressions against the configuration",
		Long: `Console reads expressions, one per line (or over several lines while
brackets are open), and evaluates them against the configuration in DIR (the
current directory by default), as terraform console does.

An expression of variables, locals, literals and functions prints its
value; sensitive values print as (sensitive value). An expression that reads
the runtime (customer, event, segment, journey, context) is checked against
the configuration's declarations and prints its type and what it reads: its
value exists only in the runtime, for one customer.

Commands at the prompt:
  event NAME   put event type NAME in scope as event (event - takes it out)
  names        list what expressions may refer to
  help         this list
  exit         leave (also Ctrl-D)

Input that is not a terminal is read to its end without prompts; the exit
status is 1 if any expression had an error.`,
		Example: `  waymark console
  echo 'upper(var.brand)' | waymark console
  echo 'customer.cart_value > 50' | waymark console -event cart_updated`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Event, "event", "", "Put this event type in scope as event.")
	opts.Vars.AddFlags(cmd.Flags())
	return cmd
}

// Run loads the configuration and reads expressions from s.In to its end.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, diags := cfgload.Load(ctx, s, cfgload.Options{Dir: opts.Dir, Vars: opts.Vars.Args})
	src := cfgload.Sources(cfg)
	if diags.HasErrors() || cfg.Console() == nil {
		s.WriteDiagnostics(s.Err, diags, src)
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	s.WriteDiagnostics(s.Err, diags, src)
	c := &session{s: s, con: cfg.Console(), src: src, interactive: interactive(s.In)}
	if opts.Event != "" {
		if d := c.con.SetEvent(opts.Event); d.HasErrors() {
			s.WriteDiagnostics(s.Err, d, nil)
			return cmdutil.Exit(cmdutil.ExitFailure)
		}
	}
	if err := c.loop(ctx); err != nil {
		return err
	}
	if c.failed && !c.interactive {
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	return nil
}

func interactive(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

type session struct {
	s           *cmdutil.Streams
	con         *lang.Console
	src         cmdutil.Sources
	interactive bool
	failed      bool
}

func (c *session) prompt(more bool) {
	if !c.interactive {
		return
	}
	if more {
		fmt.Fprint(c.s.Out, "... ")
	} else {
		fmt.Fprint(c.s.Out, "> ")
	}
}

func (c *session) loop(ctx context.Context) error {
	sc := bufio.NewScanner(c.s.In)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var pending strings.Builder
	c.prompt(false)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		line := sc.Text()
		if pending.Len() > 0 {
			pending.WriteByte('\n')
		}
		pending.WriteString(line)
		text := pending.String()
		if open(text) > 0 {
			c.prompt(true)
			continue
		}
		pending.Reset()
		if stop := c.handle(ctx, strings.TrimSpace(text)); stop {
			return nil
		}
		c.prompt(false)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading input: %w", err)
	}
	if rest := strings.TrimSpace(pending.String()); rest != "" {
		c.handle(ctx, rest)
	}
	if c.interactive {
		fmt.Fprintln(c.s.Out)
	}
	return nil
}

// handle runs one input; true means leave.
func (c *session) handle(ctx context.Context, in string) bool {
	word, arg, _ := strings.Cut(in, " ")
	arg = strings.TrimSpace(arg)
	switch word {
	case "":
		return false
	case "exit", "quit":
		if arg == "" {
			return true
		}
	case "help":
		if arg == "" {
			fmt.Fprint(c.s.Out, help)
			return false
		}
	case "names":
		if arg == "" {
			c.names()
			return false
		}
	case "event":
		if arg != "" && !strings.ContainsAny(arg, ".()[]{}=<>!") {
			if arg == "-" {
				arg = ""
			}
			if d := c.con.SetEvent(arg); d.HasErrors() {
				c.failed = true
				c.s.WriteDiagnostics(c.s.Err, d, nil)
			} else if arg == "" {
				fmt.Fprintln(c.s.Out, "No event type in scope.")
			} else {
				fmt.Fprintf(c.s.Out, "event is now a %q event.\n", arg)
			}
			return false
		}
	}
	res, diags := c.con.Eval(ctx, in)
	src := cmdutil.Sources{lang.ConsoleFile: []byte(in)}
	for k, v := range c.src {
		src[k] = v
	}
	c.s.WriteDiagnostics(c.s.Err, diags, src)
	if diags.HasErrors() || res == nil {
		c.failed = true
		return false
	}
	c.print(res)
	return false
}

const help = `Type an expression to evaluate it, or one of:
  event NAME   put event type NAME in scope as event (event - takes it out)
  names        list what expressions may refer to
  help         this list
  exit         leave (also Ctrl-D)
`

func (c *session) names() {
	n := c.con.Names()
	roots := make([]string, 0, len(n))
	for r := range n {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	for _, r := range roots {
		if len(n[r]) == 0 {
			fmt.Fprintf(c.s.Out, "%-9s (none)\n", r)
			continue
		}
		fmt.Fprintf(c.s.Out, "%-9s %s\n", r, strings.Join(n[r], ", "))
	}
	if c.con.Event() == "" {
		fmt.Fprintf(c.s.Out, "%-9s (type \"event NAME\": %s)\n", "event", strings.Join(c.con.Events(), ", "))
	}
	fmt.Fprintf(c.s.Out, "%-9s any key, of a type known at run time (decide's context)\n", "context")
}

func (c *session) print(res *rtexpr.Result) {
	if res.Constant {
		fmt.Fprintln(c.s.Out, formatValue(res.Value))
		return
	}
	fmt.Fprintf(c.s.Out, "(runtime expression of type %s)\n", typeName(res.Type))
	fmt.Fprintf(c.s.Out, "  deployed as: %s\n", res.Source)
	if len(res.Refs) > 0 {
		reads := make([]string, len(res.Refs))
		for i, r := range res.Refs {
			reads[i] = traversalString(r)
		}
		fmt.Fprintf(c.s.Out, "  reads:       %s\n", strings.Join(reads, ", "))
	}
	if res.ReadsSensitive {
		fmt.Fprintln(c.s.Out, "  Its value is sensitive: only recipient fields may use it.")
	}
	if res.Incomplete {
		fmt.Fprintln(c.s.Out, "  Some variables have no value yet, so it cannot be deployed as it is.")
	}
}

func formatValue(v cty.Value) string {
	if v.IsMarked() {
		return "(sensitive value)"
	}
	if !v.IsWhollyKnown() {
		return "(known after variables are set)"
	}
	if v.IsNull() {
		return "null"
	}
	return strings.TrimSpace(string(hclwrite.TokensForValue(v).Bytes()))
}

func typeName(t cty.Type) string {
	if t == cty.DynamicPseudoType {
		return "any (known at run time)"
	}
	return t.FriendlyName()
}

func traversalString(t hcl.Traversal) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			b.WriteString("[" + formatValue(s.Key) + "]")
		}
	}
	return b.String()
}

// open counts the brackets still open in text, outside strings and
// comments, so that an expression may span lines while it is unfinished.
func open(text string) int {
	depth := 0
	inString := false
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case inString:
			switch ch {
			case '\\':
				i++
			case '"':
				inString = false
			}
		case ch == '"':
			inString = true
		case ch == '#' || (ch == '/' && i+1 < len(text) && text[i+1] == '/'):
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case ch == '(' || ch == '[' || ch == '{':
			depth++
		case ch == ')' || ch == ']' || ch == '}':
			depth--
		}
	}
	return depth
}
