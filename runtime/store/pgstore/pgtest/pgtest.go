package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled is returned when PostgreSQL's server programs are not on
// this machine.
var ErrNotInstalled = errors.New("PostgreSQL's server programs (initdb, postgres) are not installed: run scripts/postgres.sh (as root), or apt-get install postgresql")

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 60 * time.Second

// Server is one PostgreSQL server in a temporary directory.
type Server struct {
	bin  string // the directory of initdb and postgres
	dir  string // the temporary directory: data/, the socket, the log
	port int
	cred *syscall.Credential // whom the server runs as; nil for this process's user

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	dbs  int           // databases made by DB, to name the next
}

// Start starts a server of the test's own, stopped and removed when the
// test ends. It fails the test when the server cannot start.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New(context.Background())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return s
}

// New makes a data directory and starts a server on it. Close stops it
// and removes the directory.
func New(ctx context.Context) (*Server, error) {
	bin, err := findBin(debianGlob)
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and PostgreSQL refuses to: no postgres user to run it as (%w); run scripts/postgres.sh", err)
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("the postgres user's ids: %w", err)
		}
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	s.dir, err = os.MkdirTemp("", "waymark-pg-")
	if err != nil {
		return nil, err
	}
	if s.cred != nil {
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			os.RemoveAll(s.dir)
			return nil, err
		}
	}
	if err := s.initdb(ctx); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	// A free port may be taken between choosing it and the server binding
	// it; then choose again.
	for try := 0; ; try++ {
		if s.port, err = freePort(); err != nil {
			break
		}
		if err = s.start(ctx); err == nil || try == 3 || !strings.Contains(err.Error(), "could not bind") {
			break
		}
	}
	if err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	return s, nil
}

// debianGlob matches the initdb of each version of Debian's packages.
const debianGlob = "/usr/lib/postgresql/*/bin/initdb"

// findBin finds the directory of initdb and postgres: the newest version
// that glob matches, else the PATH's.
func findBin(glob string) (string, error) {
	found, _ := filepath.Glob(glob)
	sort.Slice(found, func(i, j int) bool { return version(found[i]) < version(found[j]) })
	for i := len(found) - 1; i >= 0; i-- {
		dir := filepath.Dir(found[i])
		if isExec(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil && isExec(filepath.Join(filepath.Dir(p), "postgres")) {
			return filepath.Dir(p), nil
		}
	}
	return "", ErrNotInstalled
}

// version is the major version in /usr/lib/postgresql/VERSION/bin/initdb.
func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// command runs a server program as the server's user, in its directory.
func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"LC_ALL=C", "TZ=UTC", "PATH=" + s.bin + ":/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

func (s *Server) initdb(ctx context.Context) error {
	// --no-sync only skips flushing the files initdb writes, which a test
	// never needs after a crash of the machine; the server itself runs with
	// fsync on.
	cmd := s.command(ctx, "initdb", "--pgdata="+s.data(), "--username=postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, bytes.TrimSpace(out))
	}
	return nil
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

func (s *Server) logPath() string { return filepath.Join(s.dir, "postgres.log") }

// start starts the server and waits until it accepts connections.
func (s *Server) start(ctx context.Context) error {
	log, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	// Not CommandContext: the server outlives ctx, until Close.
	cmd := s.command(context.Background(), "postgres", "-D", s.data(),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port="+strconv.Itoa(s.port),
		"-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=on",
		"-c", "synchronous_commit=on",
		"-c", "full_page_writes=on",
		"-c", "max_connections=200",
		"-c", "logging_collector=off",
	)
	cmd.Stdout, cmd.Stderr = log, log
	// Should the test binary die without stopping it, the server stops
	// too (SIGQUIT: an immediate shutdown).
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err == nil {
			err = c.Ping(ctx)
			c.Close(context.Background())
			if err == nil {
				return nil
			}
		}
		select {
		case <-done:
			s.mu.Lock()
			if s.cmd == cmd {
				s.cmd, s.done = nil, nil
			}
			s.mu.Unlock()
			return fmt.Errorf("postgres exited at start: %s", s.logTail())
		case <-ctx.Done():
			s.stop(syscall.SIGKILL)
			return fmt.Errorf("postgres did not accept connections within %v: %w; its log: %s", startTimeout, err, s.logTail())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// logTail is the end of the server's log, for errors.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath())
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}

// DSN is the connection string of database db on the server.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Port is the port the server listens on, on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// DB creates a new, empty database and returns its connection string.
func (s *Server) DB(t testing.TB) string {
	t.Helper()
	dsn, err := s.CreateDB(context.Background())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// CreateDB creates a new, empty database and returns its connection string.
func (s *Server) CreateDB(ctx context.Context) (string, error) {
	_, dsn, err := s.createDB(ctx, "")
	return dsn, err
}

// createDB creates a database as a copy of template ("": an empty one)
// and returns its name and connection string.
func (s *Server) createDB(ctx context.Context, template string) (name, dsn string, err error) {
	s.mu.Lock()
	s.dbs++
	name = fmt.Sprintf("t_%d", s.dbs)
	s.mu.Unlock()
	c, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return "", "", fmt.Errorf("connecting to create a database: %w", err)
	}
	defer c.Close(context.Background())
	q := "CREATE DATABASE " + name
	if template != "" {
		q += " TEMPLATE " + template
	}
	if _, err := c.Exec(ctx, q); err != nil {
		return "", "", fmt.Errorf("creating database %s: %w", name, err)
	}
	return name, s.DSN(name), nil
}

// Kill ends every process of the server at once, with SIGKILL, as a
// crash would; Restart starts it again on the same data.
func (s *Server) Kill() error {
	return s.stop(syscall.SIGKILL)
}

// Restart starts the server again, on the same data and port, after Kill
// or Stop.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		return errors.New("restart: the server is running")
	}
	// The backends of a killed postmaster notice its end and exit by
	// themselves; until they have, a new one refuses to start on the
	// data. Retry for a while.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.start(ctx)
		if err == nil || time.Now().After(deadline) || !strings.Contains(err.Error(), "exited at start") {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the server down cleanly (a fast shutdown: open sessions are
// ended).
func (s *Server) Stop() error {
	return s.stop(syscall.SIGINT)
}

func (s *Server) stop(sig syscall.Signal) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	var err error
	if sig == syscall.SIGKILL {
		// The server's processes each lead a session of their own: stop
		// the postmaster, so that it starts no more, then kill them all.
		// (Once it is gone they are the init process's children.)
		pm := cmd.Process.Pid
		if err = syscall.Kill(pm, syscall.SIGSTOP); err == nil {
			for _, p := range processes(pm) {
				if p.pid != pm {
					syscall.Kill(p.pid, syscall.SIGKILL)
				}
			}
			err = syscall.Kill(pm, syscall.SIGKILL)
		}
		if errors.Is(err, syscall.ESRCH) {
			err = nil
		}
	} else if err = cmd.Process.Signal(sig); errors.Is(err, os.ErrProcessDone) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("stopping postgres: %w", err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("postgres did not stop within 30s of %v; killed", sig)
	}
}

// Close kills the server and removes its directory. The data is thrown
// away, so it does not wait for a clean shutdown's checkpoint, which on a
// loaded machine can take longer than the tests did.
func (s *Server) Close() error {
	err := s.stop(syscall.SIGKILL)
	// A killed backend may still be closing its files for a moment.
	var rmErr error
	for try := 0; try < 50; try++ {
		if rmErr = os.RemoveAll(s.dir); rmErr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.Join(err, rmErr)
}

// Shared is one server shared by the tests of a package, started by the
// first test that asks for a database and stopped by Main when they are
// done. The zero value is ready to use.
type Shared struct {
	// Template, when set, prepares a database once (creating a schema, say),
	// and DB's databases are copies of it: cheaper than preparing each.
	// It must close its connections before it returns.
	Template func(ctx context.Context, dsn string) error

	mu       sync.Mutex
	srv      *Server
	err      error
	template string // the prepared database's name, once made
}

// DB creates a new database on the shared server, starting it if it is not
// running, and returns its connection string: an empty database, or a copy
// of the Template's. It fails the test when the server cannot start.
func (sh *Shared) DB(t testing.TB) string {
	t.Helper()
	srv, err := sh.server()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	sh.mu.Lock()
	template := sh.template
	sh.mu.Unlock()
	_, dsn, err := srv.createDB(context.Background(), template)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// Server returns the shared server, starting it if it is not running. It
// fails the test when the server cannot start.
func (sh *Shared) Server(t testing.TB) *Server {
	t.Helper()
	srv, err := sh.server()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return srv
}

func (sh *Shared) server() (*Server, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.srv == nil && sh.err == nil {
		sh.srv, sh.err = New(context.Background())
		if sh.err == nil && sh.Template != nil {
			sh.err = sh.prepare(context.Background())
		}
	}
	return sh.srv, sh.err
}

// prepare makes the template database.
func (sh *Shared) prepare(ctx context.Context) error {
	name, dsn, err := sh.srv.createDB(ctx, "")
	if err != nil {
		return err
	}
	if err := sh.Template(ctx, dsn); err != nil {
		return fmt.Errorf("preparing the template database: %w", err)
	}
	sh.template = name
	return nil
}

// Main runs the tests, stops the shared server and exits: call it from
// TestMain.
func (sh *Shared) Main(m *testing.M) {
	code := m.Run()
	sh.mu.Lock()
	srv := sh.srv
	sh.srv = nil
	sh.mu.Unlock()
	if srv != nil {
		if err := srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// CPU is the processor time the server has used so far, user and system,
// in all its processes (those that ended included): for benchmarks, which
// on a shared machine say more by CPU time than by elapsed time. It reads
// Linux's /proc.
func (s *Server) CPU() (time.Duration, error) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return 0, errors.New("the server is not running")
	}
	var ticks int64
	for _, p := range processes(cmd.Process.Pid) {
		ticks += p.ticks
	}
	// /proc counts in USER_HZ, 100 a second on Linux.
	return time.Duration(ticks) * (time.Second / 100), nil
}

// process is one of the server's processes as /proc shows it.
type process struct {
	pid   int
	ticks int64 // CPU time, user and system, its ended children's included
}

// processes lists the postmaster pm and its children, from Linux's /proc.
func processes(pm int) []process {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid ...: the fields after the command's
		// closing parenthesis, from state (field 3 of stat) on.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if pid != pm && ppid != pm {
			continue
		}
		p := process{pid: pid}
		// utime stime cutime cstime are fields 14 to 17 of stat.
		for _, v := range f[11:15] {
			n, _ := strconv.ParseInt(v, 10, 64)
			p.ticks += n
		}
		out = append(out, p)
	}
	return out
}
