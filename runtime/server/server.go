package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
	"github.com/waymarkhq/waymark/runtime/store/pgstore"
)

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// redactDSN is a connection string without its password, for messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(a connection string that cannot be parsed)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Config is what runtime serve is given.
type Config struct {
	// DataDir holds the embedded store (unless Store names another),
	// installed providers and, unless given otherwise, the key.
	DataDir string
	// Store is where the state is kept: empty for the embedded store in
	// DataDir, or a PostgreSQL connection string (postgres://…), which
	// several runtime replicas may share.
	Store string
	// Listen is the address to serve on.
	Listen string
	// EventClock runs timers on the event clock.
	EventClock bool
	// Seed, when not zero, seeds the engine's draws (service.Config.Seed).
	Seed uint64
	// Insecure serves without tokens; only on a loopback address unless
	// InsecureRemote.
	Insecure       bool
	InsecureRemote bool
	// MetricsAuth is who may read /metrics: MetricsToken (a read token,
	// the default), MetricsLoopback (callers on this host) or MetricsNone.
	MetricsAuth api.MetricsAuth
	// SecretKeyFile holds the secret key (hex); else WAYMARK_SECRET_KEY,
	// else a key file in DataDir.
	SecretKeyFile string
	// TLSCert and TLSKey serve HTTPS when both are set.
	TLSCert, TLSKey string
	// DedupWindow is how long event ids deduplicate.
	DedupWindow time.Duration
	// DecisionRetention is how long decision records are kept (default 30
	// days).
	DecisionRetention time.Duration
	// Replica names this runtime among those sharing a store (default:
	// host name, process id and a random suffix).
	Replica string
	// CacheSize is the most customers kept in memory (default 1,000,000).
	CacheSize int
	// DeliveryTimeout is the deadline of one delivery attempt (default
	// 30s); a dead replica's claimed deliveries are attempted again after
	// about twice that.
	DeliveryTimeout time.Duration
	// ShutdownTimeout bounds the draining of requests (default 30s).
	ShutdownTimeout time.Duration
	// MaxInflightBytes bounds the request bodies read at once (default
	// api.DefaultMaxInflightBytes).
	MaxInflightBytes int64
	// PublicURL is the base URL the internet reaches the runtime at: when
	// set, deliveries carry one-click unsubscribe links under it
	// (service.Config.PublicURL).
	PublicURL *url.URL
	// Getenv reads the environment.
	Getenv func(string) string
	// Out receives what the operator must see once (the admin token);
	// Log receives the logs.
	Out, Log io.Writer
	// Listening, when set, is called with the address served once the
	// runtime accepts requests.
	Listening func(addr string)
}

// Run serves until ctx ends, then shuts down gracefully.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return errors.New("-tls-cert and -tls-key go together: give both or neither")
	}
	log := slog.New(slog.NewTextHandler(cfg.Log, &slog.HandlerOptions{Level: logLevel(cfg.Getenv("WAYMARK_LOG"))}))
	if cfg.Insecure && !cfg.InsecureRemote && !IsLoopback(cfg.Listen) {
		return fmt.Errorf("-insecure-dev serves without tokens, so it listens only on a loopback address (127.0.0.1, ::1, localhost), not %s: anyone who reached it could deploy, read customers and create admin tokens. Listen on 127.0.0.1, or add -insecure-dev-allow-remote if this is really what you want", cfg.Listen)
	}

	shared := isPostgres(cfg.Store)
	if cfg.Store != "" && !shared {
		return fmt.Errorf("-store must be a PostgreSQL connection string (postgres://…), or empty for the embedded store in -data")
	}
	if shared && cfg.SecretKeyFile == "" && cfg.Getenv("WAYMARK_SECRET_KEY") == "" {
		// A key made here would be this replica's alone: the others could
		// not read what it deploys.
		return errors.New("a runtime on a shared store needs the replicas' common secret key: give it with -secret-key-file or WAYMARK_SECRET_KEY")
	}
	key, created, err := service.LoadKey(cfg.SecretKeyFile, cfg.Getenv("WAYMARK_SECRET_KEY"), cfg.DataDir)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(cfg.Out, "Created a secret key in %s/%s (mode 0600). Without it nothing the runtime stores can be read; in production keep the key outside the data directory (-secret-key-file or WAYMARK_SECRET_KEY) and back it up apart from the data.\n", cfg.DataDir, service.KeyFileName)
	}
	var st store.Store
	if shared {
		st, err = pgstore.Open(ctx, cfg.Store, pgstore.Options{DedupWindow: cfg.DedupWindow})
		if err != nil {
			return fmt.Errorf("opening the PostgreSQL store %s: %w", redactDSN(cfg.Store), err)
		}
	} else {
		st, err = boltstore.Open(cfg.DataDir, boltstore.Options{DedupWindow: cfg.DedupWindow})
		if err != nil {
			return err
		}
	}
	defer st.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfo())
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the waymark executable, which serves the built-in providers: %w", err)
	}
	providers := &discovery.Env{Self: self, Version: version.Version, ProviderPath: cfg.Getenv("WAYMARK_PROVIDER_PATH"),
		ExtraDirs: []string{filepath.Join(cfg.DataDir, "providers")}}
	hostLog := hclog.New(&hclog.LoggerOptions{Name: "waymark", Level: hclog.LevelFromString(cfg.Getenv("WAYMARK_LOG")), Output: cfg.Log})
	if cfg.Getenv("WAYMARK_LOG") == "" {
		hostLog.SetLevel(hclog.Info)
	}
	svc, err := service.New(ctx, service.Config{Store: st, SecretKey: key, Clock: engine.Wall{}, EventClock: cfg.EventClock, Seed: cfg.Seed, Registerer: reg, Logger: log,
		DecisionRetention: cfg.DecisionRetention, Providers: providers, Replica: cfg.Replica, CacheSize: cfg.CacheSize,
		Delivery: delivery.Options{AttemptTimeout: cfg.DeliveryTimeout},
		Host:     host.Options{Logger: hostLog, Reattach: cfg.Getenv("WAYMARK_REATTACH_PROVIDERS")}, PublicURL: cfg.PublicURL})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if cfg.Insecure {
		log.Warn("serving WITHOUT authentication (-insecure-dev): anyone who reaches this address can deploy, ingest, read customers and create admin tokens", "address", ln.Addr().String())
		if !IsLoopback(cfg.Listen) {
			log.Warn("!!! -insecure-dev-allow-remote: this runtime WITHOUT authentication is reachable from other hosts !!!", "address", ln.Addr().String())
		}
	} else {
		// The token is created, committed and printed only once
		// everything that can fail at start has not: a start that fails
		// does not use up its one printing. A missed token is replaced
		// with runtime token create -bootstrap.
		secret, err := svc.Bootstrap(ctx)
		if err != nil {
			ln.Close()
			return fmt.Errorf("creating the first admin token: %w", err)
		}
		if secret != "" {
			fmt.Fprintf(cfg.Out, "Created the admin token. It is shown only this once; keep it secret:\n\n  %s\n\nUse it as WAYMARK_TOKEN, and create narrower tokens with waymark runtime token create (if it is lost: waymark runtime token create -bootstrap on this host, with the runtime stopped).\n", secret)
		}
	}
	srv := &http.Server{
		Handler: api.New(svc, api.Options{Insecure: cfg.Insecure, Gatherer: reg, Registerer: reg, Logger: log,
			MaxInflightBytes: cfg.MaxInflightBytes, MetricsAuth: cfg.MetricsAuth}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if tlsConfig != nil {
		srv.TLSConfig = tlsConfig
		scheme = "https"
	}

	engCtx, stopEngine := context.WithCancel(context.Background())
	defer stopEngine()
	engDone := make(chan error, 1)
	go func() { engDone <- svc.Run(engCtx) }()
	srvDone := make(chan error, 1)
	go func() {
		var err error
		if srv.TLSConfig != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		srvDone <- err
	}()
	clock := "wall"
	if cfg.EventClock {
		clock = "event"
	}
	addr := scheme + "://" + ln.Addr().String()
	where := cfg.DataDir
	if shared {
		where = redactDSN(cfg.Store)
	}
	log.Info("runtime serving", "address", addr, "data", cfg.DataDir, "store", where, "replica", svc.Replica(), "clock", clock)
	if cfg.Listening != nil {
		cfg.Listening(addr)
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: draining requests")
	case err := <-srvDone:
		runErr = fmt.Errorf("serving HTTP: %w", err)
	case err := <-engDone:
		if err == nil {
			err = errors.New("stopped")
		}
		runErr = fmt.Errorf("the journey engine failed: %w", err)
		engDone <- nil
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still in flight at the shutdown deadline were cut off", "error", err)
	}
	stopEngine()
	if err := <-engDone; err != nil && runErr == nil {
		runErr = fmt.Errorf("the journey engine failed: %w", err)
	}
	if err := st.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("closing the store: %w", err)
	}
	log.Info("runtime stopped")
	return runErr
}

func logLevel(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug", "trace":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// IsLoopback reports whether the listen address addr is on a loopback
// interface only: 127.0.0.0/8, ::1 or localhost. An empty host (":7400")
// is every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OpenStore opens the store of a runtime as Run does, for commands that
// work on it directly with the runtime stopped (runtime token create
// -bootstrap).
func OpenStore(ctx context.Context, dataDir, dsn string) (store.Store, error) {
	if dsn != "" {
		if !isPostgres(dsn) {
			return nil, fmt.Errorf("-store must be a PostgreSQL connection string (postgres://…), or empty for the embedded store in -data")
		}
		st, err := pgstore.Open(ctx, dsn, pgstore.Options{})
		if err != nil {
			return nil, fmt.Errorf("opening the PostgreSQL store %s: %w", redactDSN(dsn), err)
		}
		return st, nil
	}
	if _, err := os.Stat(dataDir); err != nil {
		return nil, fmt.Errorf("no runtime data directory at %s: %w", dataDir, err)
	}
	return boltstore.Open(dataDir, boltstore.Options{})
}

// buildInfo is waymark_build_info: always 1, its labels naming the build.
func buildInfo() prometheus.Collector {
	revision, modified := "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "waymark_build_info",
		Help: "Always 1; its labels are the waymark version, the Go version it was built with, and the VCS revision.",
		ConstLabels: prometheus.Labels{"version": version.Version, "go_version": runtime.Version(),
			"revision": revision, "modified": modified}})
	g.Set(1)
	return g
}
