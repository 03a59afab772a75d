#!/usr/bin/env bash
# make demo: the whole product in one command, on a machine with only Go.
#
# Builds waymark, starts a runtime on the event clock with an embedded store
# in a temporary directory and a loopback sink for the example's email and
# webhook channels, applies examples/cart-recovery, replays a generated
# stream of weeks of shoppers, asks for decisions, and ends on the journey's
# funnel and KPIs, and the address of the web console. Everything it
# started is stopped on exit; with KEEP=1 (make demo KEEP=1) the runtime
# stays up, console and all, until Ctrl-C.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d "${TMPDIR:-/tmp}/waymark-demo.XXXXXX")
pids=()

cleanup() {
	status=$?
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ "$status" -ne 0 ] && [ -f "$work/runtime.log" ]; then
		echo "--- the runtime's log:" >&2
		tail -n 40 "$work/runtime.log" >&2
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT INT TERM

if [ -t 1 ]; then
	step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
	step() { printf '\n==> %s\n' "$*"; }
fi

# wait_port HOST PORT: until something listens there (bash's /dev/tcp; no
# curl needed).
wait_port() {
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing is listening on $1:$2" >&2
	return 1
}

# free_port [PREFERRED]: PREFERRED if nothing listens there, else a random
# free loopback port, so that demos on one machine do not collide.
free_port() {
	for p in ${1:-} $(shuf -i 20000-60999 -n 100); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "no free port on 127.0.0.1" >&2
	return 1
}
port=${WAYMARK_DEMO_PORT:-$(free_port 7499)}
smtp_port=$(free_port 1025)
hook_port=$(free_port 8099)
# The example reads its sink's addresses from these variables.
export WAYMARK_VAR_smtp_port=$smtp_port
export WAYMARK_VAR_ops_webhook_url="http://127.0.0.1:$hook_port/hooks/growth"

step "Building waymark and the demo's helpers"
go build -o bin/waymark ./cmd/waymark
go build -o "$work/demogen" ./internal/demo/cmd/demogen
go build -o "$work/demosink" ./internal/demo/cmd/demosink
W=$root/bin/waymark

step "Starting a delivery sink (SMTP on 127.0.0.1:$smtp_port, webhooks on 127.0.0.1:$hook_port)"
"$work/demosink" -smtp "127.0.0.1:$smtp_port" -http "127.0.0.1:$hook_port" > "$work/sink.log" 2>&1 &
pids+=($!)
wait_port 127.0.0.1 "$smtp_port"
wait_port 127.0.0.1 "$hook_port"

step "Starting the runtime on the event clock: waymark runtime serve -insecure-dev -clock=event -public-url http://127.0.0.1:$port"
"$W" runtime serve -insecure-dev -clock=event -data "$work/data" -listen "127.0.0.1:$port" -public-url "http://127.0.0.1:$port" > "$work/runtime.log" 2>&1 &
pids+=($!)
wait_port 127.0.0.1 "$port"
export WAYMARK_ADDR="http://127.0.0.1:$port"

cp -R examples/cart-recovery "$work/cart-recovery"
cd "$work/cart-recovery"

step "waymark init"
"$W" init

step "waymark apply -auto-approve"
"$W" apply -auto-approve

step "Replaying four weeks of shoppers (seeded): waymark events send"
"$work/demogen" -o "$work/events.jsonl"
echo "$(wc -l < "$work/events.jsonl") events generated"
"$W" events send -wait "$work/events.jsonl"

step "Letting the outbox deliver: waymark deliveries pending -wait 60s"
"$W" deliveries pending -wait 60s

step "Asking for the next best actions on the web channel: waymark decide -explain"
# The example's web banners are offered at checkout and payment: ask for
# the latest shoppers who reached payment until one is still there.
customer=
for c in $(grep '"type":"payment_started"' "$work/events.jsonl" | grep -o '"customer_id":"[^"]*"' | cut -d'"' -f4 | tail -n 40 | tac); do
	if "$W" decide -customer "$c" -channel web -context page=payment -json | grep -q '"action"'; then
		customer=$c
		break
	fi
done
"$W" decide -customer "${customer:-$c}" -channel web -context page=payment -explain

step "Shoppers respond to the banners, and the models learn: waymark models"
# Each of the last 300 shoppers to reach payment is offered the banners,
# and responds through POST /v1/responses: those whose id ends in 0-3
# click, the others ignore it.
n=0
for c in $(grep '"type":"payment_started"' "$work/events.jsonl" | grep -o '"customer_id":"[^"]*"' | cut -d'"' -f4 | tail -n 300); do
	d=$("$W" decide -customer "$c" -channel web -context page=payment -json) || continue
	id=$(printf '%s' "$d" | grep -o '"decision_id": *"[^"]*"' | cut -d'"' -f4) || continue
	for a in $(printf '%s' "$d" | grep -o '"address": *"[^"]*"' | cut -d'"' -f4 | sort -u || true); do
		outcome=ignored
		case "$c" in *[0-3]) outcome=clicked ;; esac
		curl -fsS -o /dev/null -X POST "$WAYMARK_ADDR/v1/responses" -H 'Content-Type: application/json' \
			-d "{\"decision_id\":\"$id\",\"action\":\"$a\",\"outcome\":\"$outcome\"}" && n=$((n + 1)) || true
	done
done
echo "$n responses sent"
"$W" models

step "waymark status cart_recovery: the funnel, KPIs, actions and the subject-line experiment per variant"
"$W" status cart_recovery

console="http://127.0.0.1:$port/ui/journeys/growth/cart_recovery"
if [ -n "${KEEP:-}" ] && [ "${KEEP}" != 0 ]; then
	step "The web console: $console"
	echo "The runtime stays up (KEEP=$KEEP) with its console at $console"
	echo "(no sign-in: the demo runs -insecure-dev). Press Ctrl-C to stop."
	trap 'echo; exit 0' INT TERM
	wait "${pids[1]}" || true
	exit 0
fi
step "The web console would be at $console"
echo "Run make demo KEEP=1 to keep the runtime up and open it in a browser."

step "Stopping"
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
pids=()
cat "$work/sink.log"
