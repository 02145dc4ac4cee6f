#!/usr/bin/env bash
# The main job on one machine: installs what is missing (Debian 12), builds, starts a local
# stand-in helpdesk and deskhook with examples/demo.json (embedded SQLite store), replays the
# example webhooks signed like Zendesk and Intercom would, prints what happened to each ticket,
# then keeps deskhook serving on http://127.0.0.1:8080 until Ctrl-C.
# Usage: bash dev/run.sh [--no-wait]     (--no-wait: stop after the report)
set -euo pipefail
cd "$(dirname "$0")/.."
source dev/deps.sh
deskhook_install_apt
deskhook_install_npm   # npm fetches the pinned sentiment lexicon at build time
deskhook_build build

DEMO=.demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
export DESKHOOK_DEMO_DIR="$PWD/$DEMO"
export ZENDESK_SIGNING_SECRET="demo-zendesk-signing-secret"
export ZENDESK_API_TOKEN="demo-zendesk-api-token"
export INTERCOM_CLIENT_SECRET="demo-intercom-client-secret"
export INTERCOM_ACCESS_TOKEN="demo-intercom-access-token"
export DESKHOOK_ADMIN_TOKEN="demo-admin-token"
BIN=build/host/deskhook
CONFIG=examples/demo.json

cleanup() {
  [ -n "${DESKHOOK_PID:-}" ] && kill "$DESKHOOK_PID" 2>/dev/null || true
  [ -n "${STANDIN_PID:-}" ] && kill "$STANDIN_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

build/bench/standin/deskhook-standin --port 18090 --record "$DEMO/helpdesk-calls.jsonl" 2>"$DEMO/standin.log" &
STANDIN_PID=$!
"$BIN" check-config "$CONFIG"
"$BIN" serve --config "$CONFIG" 2>"$DEMO/deskhook.log" &
DESKHOOK_PID=$!
for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:8080/readyz >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== replaying the example webhooks (signed)"
"$BIN" replay --config "$CONFIG" --connector zendesk examples/payloads/zendesk/*.json
"$BIN" replay --config "$CONFIG" --connector intercom examples/payloads/intercom/*.json

echo "== waiting for processing and delivery"
for _ in $(seq 1 100); do
  pending=$(curl -fsS -H "Authorization: Bearer $DESKHOOK_ADMIN_TOKEN" \
    "http://127.0.0.1:8080/api/outbox?state=pending" | grep -o '"id"' | wc -l || true)
  queue=$(curl -fsS http://127.0.0.1:8080/metrics | awk '/^deskhook_queue_depth /{print $2}')
  [ "${pending:-1}" = "0" ] && [ "${queue:-1}" = "0" ] && break
  sleep 0.2
done

echo "== what happened to each ticket"
"$BIN" report --store "$DEMO/deskhook.db"
echo
echo "== calls the stand-in helpdesk received ($DEMO/helpdesk-calls.jsonl)"
cat "$DEMO/helpdesk-calls.jsonl" 2>/dev/null | cut -c1-220 || true
echo
echo "Decision log: curl -H 'Authorization: Bearer $DESKHOOK_ADMIN_TOKEN' 'http://127.0.0.1:8080/api/events?limit=20'"
if [ "${1:-}" = "--no-wait" ]; then exit 0; fi
echo "deskhook is serving on http://127.0.0.1:8080 (log: $DEMO/deskhook.log). Ctrl-C to stop."
wait "$DESKHOOK_PID"
