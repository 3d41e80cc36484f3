#!/usr/bin/env bash
# Runs the compatibility matrix: the Go clients (go test), openid-client and
# oauth4webapi (Node), Authlib and requests-oauthlib (Debian's Python
# packages) against the built cmd/oauthtest, and oidc-client-ts in headless
# Chromium (examples/spa, and its storage-state test). The Node clients'
# DPoP rows use a second provider, started with compat/oauthtest-dpop.json,
# that demands DPoP nonces; their FAPI 2.0 rows a third, with
# compat/fapi.json. Writes compat/results.md, the table
# docs/compatibility.md shows, and fails if any client failed. Expects the
# packages installed
# (.ci/run installs them): the npm lockfiles of compat/node and examples/spa,
# python3-authlib, python3-requests-oauthlib and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
go build -o "$work/oauthtest" ./cmd/oauthtest
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
# start NAME CONFIG runs a provider with CONFIG and prints its issuer once
# it printed its banner.
start() {
  "$work/oauthtest" -config "$2" -addr 127.0.0.1:0 >"$work/$1.banner" 2>"$work/$1.log" &
  pids+=($!)
  for _ in $(seq 200); do grep -q 'issuer:' "$work/$1.banner" && break; sleep 0.05; done
  grep -q 'issuer:' "$work/$1.banner" || { cat "$work/$1.log" >&2; return 1; }
  awk '/issuer:/ { print $2; exit }' "$work/$1.banner"
}
start main compat/oauthtest.json >"$work/issuer"
# DPoP rows: a second provider that demands its nonce in every proof.
start dpop compat/oauthtest-dpop.json >"$work/dpop-issuer"
start fapi compat/fapi.json >"$work/fapi-issuer" # FAPI 2.0 (-fapi2)
issuer=$(cat "$work/issuer") dpop_issuer=$(cat "$work/dpop-issuer") fapi_issuer=$(cat "$work/fapi-issuer")

status=0
OAUTHTEST_COMPAT_RESULTS="$work/results" go test -count=1 -run '^TestCompatibilityGo$' . >"$work/go.log" || { cat "$work/go.log"; status=1; }
(cd compat/node && ISSUER="$issuer" DPOP_ISSUER="$dpop_issuer" FAPI_ISSUER="$fapi_issuer" node matrix.mjs) >>"$work/results" || status=1
# docs/time.md's advice for verifiers outside Go, with jose (not a row of the table)
OAUTHTEST_REQUIRE_NODE=1 go test -count=1 -run '^TestFakeTimeWithJose$' . >"$work/faketime.log" || { cat "$work/faketime.log"; status=1; }
ISSUER="$issuer" /usr/bin/python3 compat/python/matrix.py >>"$work/results" || status=1
(cd examples/spa && OAUTHTEST_BIN="$work/oauthtest" CHROMIUM="$(command -v chromium)" ARTIFACTS="${ARTIFACTS:-$PWD/../../ci-artifacts}" \
  node browser-test.mjs 2>"$work/browser.log") | tee -a "$work/results" | grep -v '^RESULT ' || status=1
# a browser that starts signed in, with the control API's storage state (POST /_oauthtest/sessions)
(cd examples/spa && OAUTHTEST_BIN="$work/oauthtest" CHROMIUM="$(command -v chromium)" \
  node storage-state-test.mjs 2>"$work/storage-state.log") | tee -a "$work/results" | grep -v '^RESULT ' || status=1

grep '^RESULT ' "$work/results" | node compat/table.mjs >compat/results.md
grep -v '| pass |' compat/results.md | tail -n +3 || true # the failures, if any
printf '%s rows, %s failed\n' "$(grep -c '^| .* | \(pass\|FAIL\) |$' compat/results.md)" "$(grep -c '| FAIL |$' compat/results.md || true)"
exit "$status"
