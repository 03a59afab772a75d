#!/usr/bin/env bash
# scripts/postgres.sh: make sure PostgreSQL's server programs (initdb,
# postgres, pg_ctl) are on this machine, for the tests of the PostgreSQL
# store. `make test` runs it first.
#
# It only installs: it starts no server. Each test package starts its own
# server, on a free loopback port in a temporary directory
# (runtime/store/pgstore/pgtest), and stops it when done. Quiet and quick
# when the programs are there already; otherwise, as root, it installs
# Debian's postgresql package without letting the package start the
# system's cluster on port 5432, which nothing here uses.
set -euo pipefail

find_initdb() {
	# The newest major version installed, if any.
	ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1
}

if [ -n "$(find_initdb)" ] && id -u postgres >/dev/null 2>&1; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "scripts/postgres.sh: PostgreSQL's server is not installed, and installing it needs root:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y postgresql" >&2
	exit 1
fi

echo "scripts/postgres.sh: installing PostgreSQL (Debian's postgresql package)" >&2

# invoke-rc.d asks policy-rc.d whether a package may start its service; 101
# says no. Put one in place for the install unless the machine has its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# scripts/postgres.sh: no services started during its install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/waymark-postgres-install.XXXXXX")
if ! { apt-get update && apt-get install -y --no-install-recommends postgresql; } >"$log" 2>&1; then
	echo "scripts/postgres.sh: the install failed; its output:" >&2
	tail -n 40 "$log" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"

# Where the service was started all the same (a machine with a running
# init), stop the clusters the package created: the tests start their own.
if command -v pg_lsclusters >/dev/null 2>&1; then
	pg_lsclusters --no-header 2>/dev/null | while read -r ver name port status _; do
		if [ "$status" = online ]; then
			pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
		fi
	done
fi

if [ -z "$(find_initdb)" ]; then
	echo "scripts/postgres.sh: installed postgresql, but found no /usr/lib/postgresql/*/bin/initdb" >&2
	exit 1
fi
if ! id -u postgres >/dev/null 2>&1; then
	echo "scripts/postgres.sh: installed postgresql, but there is no postgres user to run the server as" >&2
	exit 1
fi
echo "scripts/postgres.sh: installed $("$(find_initdb)" --version)" >&2
