// Package pgtest runs real PostgreSQL servers for tests: each in a
// temporary directory, listening on a free loopback port, with fsync on,
// stopped and removed when the test (or the test binary) is done.
//
// A test package shares one server among its tests and gives each test a
// database of its own:
//
//	var pg pgtest.Shared
//
//	func TestMain(m *testing.M) { pg.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pg.DB(t) // a new, empty database
//		...
//	}
//
// A test that stops, kills or restarts the server takes one of its own with
// Start. The server programs come from Debian's postgresql package
// (/usr/lib/postgresql/*/bin), which scripts/postgres.sh installs; when they
// are missing, the test fails saying so: it never skips. As root the server
// runs as the postgres system user, since PostgreSQL refuses to run as root.
//
// It knows nothing of the store built on it: only how to run the server.
package pgtest
