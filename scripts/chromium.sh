#!/usr/bin/env bash
# scripts/chromium.sh: make sure Debian's chromium is at /usr/bin/chromium,
# for the console's browser tests (internal/browsertest). `make test`
# runs it first.
#
# It only installs: each test starts its own headless browser with a fresh
# profile and stops it when done. Quiet and quick when the browser is there
# already; otherwise, as root, it installs Debian's chromium package.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "scripts/chromium.sh: chromium is not installed, and installing it needs root:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
	exit 1
fi

echo "scripts/chromium.sh: installing Chromium (Debian's chromium package)" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/waymark-chromium-install.XXXXXX")
if ! { apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
	echo "scripts/chromium.sh: the install failed; its output:" >&2
	tail -n 40 "$log" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"

if [ ! -x /usr/bin/chromium ]; then
	echo "scripts/chromium.sh: installed chromium, but there is no /usr/bin/chromium" >&2
	exit 1
fi
echo "scripts/chromium.sh: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)" >&2
