// Package runtimecmd implements waymark runtime serve and waymark runtime
// token create.
package runtimecmd

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/lang/funcs"
	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/server"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
)

// New returns the runtime command and its sub-commands.
func New(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runtime",
		Short: "Run the decisioning runtime and manage its API tokens",
		Example: `  waymark runtime serve
  waymark runtime token create -name ci -scope deploy -scope read`,
		Args: cobra.NoArgs,
	}
	token := &cobra.Command{Use: "token", Short: "Manage the runtime's API tokens", Args: cobra.NoArgs}
	token.AddCommand(newTokenCreate(s))
	cmd.AddCommand(newServe(s), token)
	return cmd
}

// ServeOptions are runtime serve's inputs.
type ServeOptions struct {
	Data              string
	Listen            string
	Clock             string
	Insecure          bool
	InsecureRemote    bool
	MetricsAuth       string
	SecretKeyFile     string
	TLSCert, TLSKey   string
	DedupWindow       string
	DecisionRetention string
	Replica           string
	Store             string
	DeliveryTimeout   string
	CacheSize         int
	MaxInflightMB     int
	// PublicURL is the base URL of the runtime as the internet reaches it,
	// for one-click unsubscribe links.
	PublicURL string
	// DataDefault is set when -data was not given: the runtime then says
	// that its data directory is the default, under the current directory.
	DataDefault bool
}

func newServe(s *cmdutil.Streams) *cobra.Command {
	opts := &ServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the decisioning runtime with embedded storage",
		Long: `Runs the decisioning runtime: its HTTP API under /v1, Prometheus metrics on
/metrics, /healthz and /readyz. Everything is kept in an embedded store under
-data, or in PostgreSQL with -store, which several replicas share (each
processes its share of the customers, and takes over a dead one's). On
its first start the runtime creates an admin token and prints it once. SIGTERM or Ctrl-C drains requests, commits and stops.`,
		Example: `  waymark runtime serve
  waymark runtime serve -data /var/lib/waymark -listen 0.0.0.0:7400 -tls-cert cert.pem -tls-key key.pem
  waymark runtime serve -clock=event -insecure-dev   # replays and local development
  WAYMARK_SECRET_KEY=$KEY waymark runtime serve -store postgres://waymark@db/waymark -replica r1   # one of several replicas`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.DataDefault = !cmd.Flags().Changed("data")
			return Serve(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "./.waymark/data", "Directory of the embedded store.")
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:7400", "Address to serve the API on.")
	f.StringVar(&opts.Clock, "clock", "wall", `Clock that timers run on: "wall", or "event" (the highest event timestamp processed).`)
	f.BoolVar(&opts.Insecure, "insecure-dev", false, "Serve without API tokens, on a loopback address only. For local development only.")
	f.BoolVar(&opts.InsecureRemote, "insecure-dev-allow-remote", false, "With -insecure-dev, listen on a non-loopback address too: anyone who reaches it can do anything.")
	f.StringVar(&opts.MetricsAuth, "metrics-auth", "token", `Who may read /metrics: "token" (a token with the read scope), "loopback" (callers on this host, no token) or "none".`)
	f.StringVar(&opts.SecretKeyFile, "secret-key-file", "", "File holding the secret key (64 hex digits); else WAYMARK_SECRET_KEY, else a key file created in -data.")
	f.StringVar(&opts.TLSCert, "tls-cert", "", "PEM certificate to serve HTTPS with (with -tls-key).")
	f.StringVar(&opts.TLSKey, "tls-key", "", "PEM private key of -tls-cert.")
	f.StringVar(&opts.DedupWindow, "dedup-window", "7d", "How long an event id deduplicates retries.")
	f.StringVar(&opts.DecisionRetention, "decision-retention", "30d", "How long decision records are kept.")
	f.StringVar(&opts.Store, "store", "", "PostgreSQL connection string (postgres://…) of a store that several replicas share; empty for the embedded store in -data.")
	f.StringVar(&opts.DeliveryTimeout, "delivery-timeout", "30s", "Deadline of one delivery attempt through a provider.")
	f.StringVar(&opts.Replica, "replica", "", "Name of this runtime among the replicas sharing a store (default: host name, process id and a random suffix).")
	f.IntVar(&opts.CacheSize, "cache-size", 1_000_000, "Most customers kept in memory (at most about 2 KiB each); the others are read from the store when needed.")
	f.StringVar(&opts.PublicURL, "public-url", "", "Base URL at which the internet reaches this runtime's API (https://…): emails then carry a per-recipient one-click unsubscribe link under it (RFC 8058, docs/governance.md). Empty: no such links.")
	f.IntVar(&opts.MaxInflightMB, "max-inflight-mb", api.DefaultMaxInflightBytes>>20, "Most MiB of request bodies read at once; a request past it is answered 429 before its body is read.")
	return cmd
}

// Serve runs the runtime until ctx ends.
func Serve(ctx context.Context, s *cmdutil.Streams, opts *ServeOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var eventClock bool
	switch opts.Clock {
	case "wall":
	case "event":
		eventClock = true
	default:
		return fmt.Errorf(`-clock must be "wall" or "event", not %q`, opts.Clock)
	}
	window, err := positive("-dedup-window", opts.DedupWindow)
	if err != nil {
		return err
	}
	retention, err := positive("-decision-retention", opts.DecisionRetention)
	if err != nil {
		return err
	}
	deliveryTimeout, err := positive("-delivery-timeout", opts.DeliveryTimeout)
	if err != nil {
		return err
	}
	if opts.CacheSize <= 0 {
		return fmt.Errorf("-cache-size must be at least 1, not %d", opts.CacheSize)
	}
	metricsAuth, err := api.ParseMetricsAuth(opts.MetricsAuth)
	if err != nil {
		return err
	}
	if opts.InsecureRemote && !opts.Insecure {
		return fmt.Errorf("-insecure-dev-allow-remote goes with -insecure-dev")
	}
	if opts.MaxInflightMB <= 0 {
		return fmt.Errorf("-max-inflight-mb must be at least 1, not %d", opts.MaxInflightMB)
	}
	var publicURL *url.URL
	if opts.PublicURL != "" {
		if publicURL, err = service.ParsePublicURL(opts.PublicURL); err != nil {
			return err
		}
	}
	if abs, err := filepath.Abs(opts.Data); err == nil {
		opts.Data = abs
	}
	if opts.DataDefault {
		fmt.Fprintf(s.Out, "Data directory: %s (the default, ./.waymark/data under the current directory; choose one with -data)\n", opts.Data)
	} else {
		fmt.Fprintf(s.Out, "Data directory: %s\n", opts.Data)
	}
	return server.Run(ctx, server.Config{Replica: opts.Replica, CacheSize: opts.CacheSize, Store: opts.Store, DeliveryTimeout: deliveryTimeout,
		DataDir: opts.Data, Listen: opts.Listen, EventClock: eventClock, Insecure: opts.Insecure, InsecureRemote: opts.InsecureRemote, MetricsAuth: metricsAuth,
		SecretKeyFile: opts.SecretKeyFile, TLSCert: opts.TLSCert, TLSKey: opts.TLSKey, DedupWindow: window, DecisionRetention: retention,
		Getenv: s.Getenv, Out: s.Out, Log: s.Err, MaxInflightBytes: int64(opts.MaxInflightMB) << 20, PublicURL: publicURL,
	})
}

func positive(flag, s string) (time.Duration, error) {
	d, err := funcs.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", flag, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s must be longer than zero", flag)
	}
	return d, nil
}

// TokenOptions are runtime token create's inputs.
type TokenOptions struct {
	Name   string
	Scopes []string
	// Bootstrap creates the token in the store directly, on the runtime's
	// host with the runtime stopped, without an admin token.
	Bootstrap bool
	Data      string
	Store     string
}

func newTokenCreate(s *cmdutil.Streams) *cobra.Command {
	opts := &TokenOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API token (needs an admin token in WAYMARK_TOKEN)",
		Long: `Creates an API token on the runtime at WAYMARK_ADDR with the given scopes:
ingest, decide, deploy, read, admin. The token is printed once; the runtime
keeps only its hash.`,
		Example: `  waymark runtime token create -name ci -scope deploy -scope read
  waymark runtime token create -name tracker -scope ingest`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return CreateToken(cmd.Context(), s, opts) },
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "Name of the token, shown in the deployment history as who deployed.")
	cmd.Flags().StringArrayVar(&opts.Scopes, "scope", nil, "A scope of the token (repeat, or separate with commas): ingest, decide, deploy, read, admin.")
	cmd.Flags().BoolVar(&opts.Bootstrap, "bootstrap", false, "Create the token in the runtime's store directly (default scope admin), on its host with the runtime stopped: for when the first admin token was lost.")
	cmd.Flags().StringVar(&opts.Data, "data", "./.waymark/data", "With -bootstrap: the runtime's data directory.")
	cmd.Flags().StringVar(&opts.Store, "store", "", "With -bootstrap: the runtime's PostgreSQL connection string, if it uses one.")
	return cmd
}

// CreateToken creates a token through the API and prints it.
func CreateToken(ctx context.Context, s *cmdutil.Streams, opts *TokenOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.Name == "" {
		return fmt.Errorf("-name is required")
	}
	var scopes []string
	for _, sc := range opts.Scopes {
		for _, p := range strings.Split(sc, ",") {
			if p = strings.TrimSpace(p); p != "" {
				scopes = append(scopes, p)
			}
		}
	}
	if len(scopes) == 0 && opts.Bootstrap {
		scopes = []string{"admin"}
	}
	if len(scopes) == 0 {
		return fmt.Errorf("at least one -scope is required: ingest, decide, deploy, read or admin")
	}
	if opts.Bootstrap {
		return bootstrapToken(ctx, s, opts, scopes)
	}
	want := make([]apiv1.Scope, len(scopes))
	for i, sc := range scopes {
		want[i] = apiv1.Scope(sc)
	}
	secret, err := client.FromEnv(s.Getenv).CreateToken(ctx, opts.Name, want)
	if err != nil {
		return err
	}
	fmt.Fprintln(s.Out, secret)
	if s.ErrTerminal {
		fmt.Fprintf(s.Err, "Created token %q with scopes %s. It is shown only this once.\n", opts.Name, strings.Join(scopes, ", "))
	}
	return nil
}

// bootstrapToken creates a token in the runtime's store directly.
func bootstrapToken(ctx context.Context, s *cmdutil.Streams, opts *TokenOptions, scopes []string) error {
	st, err := server.OpenStore(ctx, opts.Data, opts.Store)
	if err != nil {
		return fmt.Errorf("opening the runtime's store (stop the runtime first: it holds the embedded store while it runs): %w", err)
	}
	defer st.Close()
	want := make([]store.Scope, len(scopes))
	for i, sc := range scopes {
		want[i] = store.Scope(sc)
	}
	secret, err := service.CreateToken(ctx, st, opts.Name, want, time.Now())
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("closing the store: %w", err)
	}
	fmt.Fprintln(s.Out, secret)
	if s.ErrTerminal {
		fmt.Fprintf(s.Err, "Created token %q with scopes %s in the store. It is shown only this once.\n", opts.Name, strings.Join(scopes, ", "))
	}
	return nil
}
