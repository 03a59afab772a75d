package providerscmd

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/fatih/color"
	"github.com/spf13/cobra"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/initcmd"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/lockfile"
)

// Options are the inputs of providers and providers schema.
type Options struct {
	// JSON prints schemas as one JSON document.
	JSON bool
	// Name selects one provider for schema, by local name or source.
	Name string
	// Env says where the configuration is and where to find providers.
	Env discovery.Env
}

// New returns the providers command and its schema sub-command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "providers",
		Short: "Show the providers the configuration uses",
		Long: `Providers lists each provider the configuration requires or its channels use,
with its version constraint, the version in use (built in, or as the lock file
records) and the channels that use it.`,
		Example: `  waymark providers
  waymark providers schema smtp`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := initcmd.EnvFor(s, ".")
			if err != nil {
				return err
			}
			opts.Env = env
			return Run(s, opts)
		},
	}
	schema := &cobra.Command{
		Use:   "schema [NAME]",
		Short: "Show what a provider accepts in channel and message blocks",
		Long: `Schema starts the provider NAME (a local name such as smtp, or a source such
as acme/slack) and prints the attributes it accepts in a channel block and in
an action's message block. Without NAME it prints every provider in use.`,
		Example: `  waymark providers schema smtp
  waymark providers schema -json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := initcmd.EnvFor(s, ".")
			if err != nil {
				return err
			}
			opts.Env = env
			if len(args) == 1 {
				opts.Name = args[0]
			}
			return RunSchema(cmd.Context(), s, opts)
		},
	}
	schema.Flags().BoolVar(&opts.JSON, "json", false, "Print the schemas as one JSON document.")
	cmd.AddCommand(schema)
	return cmd
}

func load(s *cmdutil.Streams, env discovery.Env) (*initcmd.Config, *lockfile.File, error) {
	cfg, diags := initcmd.ReadConfig(env.Dir)
	lock, more := lockfile.Load(filepath.Join(env.Dir, lockfile.FileName))
	diags = append(diags, more...)
	if diags.HasErrors() {
		s.WriteDiagnostics(s.Err, diags, cfg.Sources)
		return nil, nil, cmdutil.Exit(cmdutil.ExitFailure)
	}
	return cfg, lock, nil
}

// Run lists the providers in use.
func Run(s *cmdutil.Streams, opts *Options) error {
	cfg, lock, err := load(s, opts.Env)
	if err != nil {
		return err
	}
	if len(cfg.Requirements) == 0 {
		fmt.Fprintln(s.Out, "The configuration uses no providers.")
		return nil
	}
	fmt.Fprintln(s.Out, "Providers required by configuration:\n.")
	for i, r := range cfg.Requirements {
		branch, stem := "├── ", "│   "
		if i == len(cfg.Requirements)-1 {
			branch, stem = "└── ", "    "
		}
		line := "provider[" + r.Source + "]"
		if r.Constraints != "" {
			line += " " + r.Constraints
		}
		if r.Name != pathBase(r.Source) {
			line += " as " + r.Name
		}
		switch {
		case discovery.IsBuiltin(r.Source):
			line += fmt.Sprintf(": v%s, built in", opts.Env.Version)
		case lock.Providers[r.Source] != nil:
			line += fmt.Sprintf(": v%s, locked", lock.Providers[r.Source].Version)
		default:
			line += `: not installed; run "waymark init"`
		}
		fmt.Fprintln(s.Out, branch+line)
		if chans := cfg.Channels[r.Name]; len(chans) > 0 {
			var addrs []string
			for _, c := range chans {
				addrs = append(addrs, "channel."+c)
			}
			sort.Strings(addrs)
			fmt.Fprintln(s.Out, stem+"used by "+strings.Join(addrs, ", "))
		}
	}
	return nil
}

func pathBase(source string) string {
	_, name, _ := strings.Cut(source, "/")
	return name
}

// RunSchema prints the schema of one provider, or of every provider in use.
func RunSchema(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	cfg, lock, err := load(s, opts.Env)
	if err != nil {
		return err
	}
	reqs := cfg.Requirements
	if opts.Name != "" {
		reqs = nil
		for _, r := range cfg.Requirements {
			if r.Name == opts.Name || r.Source == opts.Name {
				reqs = append(reqs, r)
			}
		}
		if len(reqs) == 0 {
			src := opts.Name
			if !strings.Contains(src, "/") {
				src = discovery.BuiltinNamespace + "/" + src
			}
			if !discovery.IsBuiltin(src) {
				return fmt.Errorf("no provider %q is built in or required by the configuration", opts.Name)
			}
			reqs = []discovery.Requirement{{Name: pathBase(src), Source: src}}
		}
	}
	h, err := opts.Env.NewHost(reqs, lock, initcmd.HostOptions(s))
	if err != nil {
		return err
	}
	defer h.Close()
	var schemas []*provschema.Schema
	for _, r := range reqs {
		sc, err := h.Schema(ctx, r.Name, r.Source)
		if err != nil {
			return err
		}
		schemas = append(schemas, sc)
	}
	if opts.JSON {
		return writeJSON(s, schemas)
	}
	for i, sc := range schemas {
		if i > 0 {
			fmt.Fprintln(s.Out)
		}
		writeText(s, sc)
	}
	return nil
}

func writeText(s *cmdutil.Streams, sc *provschema.Schema) {
	bold := s.Colorize(color.Bold)
	note := ""
	if discovery.IsBuiltin(sc.Provider) {
		note = " (built in)"
	}
	fmt.Fprintf(s.Out, "%s v%s%s\n", bold("Provider %s", sc.Provider), sc.Version, note)
	if !sc.Delivers {
		fmt.Fprintln(s.Out, "Its channels deliver nothing: they are answered through the decide API.")
	}
	for _, set := range []struct {
		title string
		attrs []provschema.Attribute
	}{{"Channel attributes", sc.Channel}, {"Message attributes", sc.Message}} {
		if len(set.attrs) == 0 {
			continue
		}
		fmt.Fprintf(s.Out, "\n%s:\n", set.title)
		tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
		for _, a := range set.attrs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Name, a.Type.FriendlyName(), flags(a), a.Description)
		}
		tw.Flush()
	}
}

func flags(a provschema.Attribute) string {
	f := []string{"optional"}
	if a.Required {
		f[0] = "required"
	}
	if a.Sensitive {
		f = append(f, "sensitive")
	}
	if a.PerDelivery {
		f = append(f, "per delivery")
	}
	if a.Recipient {
		f = append(f, "recipient")
	}
	return strings.Join(f, ", ")
}

type jsonAttribute struct {
	Name        string          `json:"name"`
	Type        json.RawMessage `json:"type"`
	Required    bool            `json:"required"`
	Sensitive   bool            `json:"sensitive"`
	PerDelivery bool            `json:"per_delivery"`
	Recipient   bool            `json:"recipient"`
	Description string          `json:"description,omitempty"`
}

type jsonSchema struct {
	Provider string          `json:"provider"`
	Version  string          `json:"version"`
	Delivers bool            `json:"delivers"`
	Channel  []jsonAttribute `json:"channel"`
	Message  []jsonAttribute `json:"message"`
}

func writeJSON(s *cmdutil.Streams, schemas []*provschema.Schema) error {
	out := map[string]any{"format_version": "1.0"}
	list := []jsonSchema{}
	for _, sc := range schemas {
		js := jsonSchema{Provider: sc.Provider, Version: sc.Version, Delivers: sc.Delivers, Channel: []jsonAttribute{}, Message: []jsonAttribute{}}
		for _, set := range []struct {
			in  []provschema.Attribute
			out *[]jsonAttribute
		}{{sc.Channel, &js.Channel}, {sc.Message, &js.Message}} {
			for _, a := range set.in {
				ty, err := ctyjson.MarshalType(a.Type)
				if err != nil {
					return err
				}
				*set.out = append(*set.out, jsonAttribute{a.Name, ty, a.Required, a.Sensitive, a.PerDelivery, a.Recipient, a.Description})
			}
		}
		list = append(list, js)
	}
	out["provider_schemas"] = list
	return cmdutil.WriteJSON(s.Out, out)
}
