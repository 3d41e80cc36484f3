#!/usr/bin/env bash
# Measures what -state costs cmd/oauthtest: full code flows (authorize,
# token, refresh) per second from WORKERS concurrent workers (default 8),
# EdDSA, for SECONDS each (default 5), without and with -state, ROUNDS
# times interleaved (default 3), and prints each round's figures, the
# median ratio and whether it meets the target: with -state at least half
# the throughput without. Usage: scripts/bench-state.sh [SECONDS] [ROUNDS]
#
# The state file goes to STATE_DIR (default a temporary directory under
# the repository, on the disk the repository is on, not a tmpfs /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-5}
ROUNDS=${2:-3}
WORKERS=${WORKERS:-8}
TARGET=0.5
out=$(mktemp -d "${STATE_DIR:-$PWD}/.bench-state.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT

go build -o "$out/oauthtest" ./cmd/oauthtest
go build -o "$out/stateload" ./scripts/stateload

# flows ARGS...: starts the command with ARGS, runs the load, stops it.
flows() {
  rm -f "$out/stdout"
  "$out/oauthtest" -addr 127.0.0.1:0 -alg EdDSA "$@" >"$out/stdout" 2>/dev/null &
  pid=$!
  until grep -q started "$out/stdout" 2>/dev/null; do
    kill -0 "$pid" || { echo "oauthtest did not start" >&2; exit 1; }
    sleep 0.05
  done
  issuer=$(awk '$1 == "issuer:" { print $2; exit }' "$out/stdout")
  "$out/stateload" -issuer "$issuer" -workers "$WORKERS" -duration "${SECONDS_EACH}s" | awk '{ print $1 }'
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=
}

echo "Machine: $(go env GOOS)/$(go env GOARCH), $(nproc) CPUs, $(go version | cut -d' ' -f3), $WORKERS workers, ${SECONDS_EACH}s each, state on $(df -T "$out" | awk 'NR == 2 { print $2 }')"

for round in $(seq "$ROUNDS"); do
  rm -f "$out/state.jsonl"
  without=$(flows)
  with=$(flows -state "$out/state.jsonl")
  size=$(stat -c %s "$out/state.jsonl")
  ratio=$(awk -v a="$with" -v b="$without" 'BEGIN { printf "%.3f", a / b }')
  echo "$ratio" >>"$out/ratios"
  printf 'round %d: without -state %s flows/s, with -state %s flows/s, ratio %s (state file %d bytes)\n' "$round" "$without" "$with" "$ratio" "$size"
done
median=$(sort -g "$out/ratios" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
result=$(awk -v m="$median" -v t="$TARGET" 'BEGIN { print (m >= t ? "met" : "MISSED") }')
echo "median ratio with/without -state: $median (target >= $TARGET): $result"
