#!/usr/bin/env bash
# Runs the compatibility matrix: the Go clients (go test), openid-client and
# oauth4webapi (Node), Authlib and requests-oauthlib (Debian's Python
# packages) against the built cmd/oauthtest, and oidc-client-ts in headless
# Chromium (examples/spa). Writes compat/results.md, the table
# docs/compatibility.md shows, and fails if any client failed. Expects the packages installed
# (.ci/run installs them): the npm lockfiles of compat/node and examples/spa,
# python3-authlib, python3-requests-oauthlib and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
go build -o "$work/oauthtest" ./cmd/oauthtest
"$work/oauthtest" -config compat/oauthtest.json -addr 127.0.0.1:0 >"$work/banner" 2>"$work/log" &
pid=$!
"$work/oauthtest" -config compat/fapi.json -addr 127.0.0.1:0 >"$work/fapi-banner" 2>"$work/fapi-log" & # FAPI 2.0 (-fapi2)
fapi_pid=$!
trap 'kill "$pid" "$fapi_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 200); do grep -q 'issuer:' "$work/banner" && grep -q 'issuer:' "$work/fapi-banner" && break; sleep 0.05; done # until both print their banners
issuer=$(awk '/issuer:/ { print $2; exit }' "$work/banner")
fapi_issuer=$(awk '/issuer:/ { print $2; exit }' "$work/fapi-banner")

status=0
OAUTHTEST_COMPAT_RESULTS="$work/results" go test -count=1 -run '^TestCompatibilityGo$' . >"$work/go.log" || { cat "$work/go.log"; status=1; }
(cd compat/node && ISSUER="$issuer" FAPI_ISSUER="$fapi_issuer" node matrix.mjs) >>"$work/results" || status=1
# docs/time.md's advice for verifiers outside Go, with jose (not a row of the table)
OAUTHTEST_REQUIRE_NODE=1 go test -count=1 -run '^TestFakeTimeWithJose$' . >"$work/faketime.log" || { cat "$work/faketime.log"; status=1; }
ISSUER="$issuer" /usr/bin/python3 compat/python/matrix.py >>"$work/results" || status=1
(cd examples/spa && OAUTHTEST_BIN="$work/oauthtest" CHROMIUM="$(command -v chromium)" ARTIFACTS="${ARTIFACTS:-$PWD/../../ci-artifacts}" \
  node browser-test.mjs 2>"$work/browser.log") | tee -a "$work/results" | grep -v '^RESULT ' || status=1

grep '^RESULT ' "$work/results" | node compat/table.mjs >compat/results.md
grep -v '| pass |' compat/results.md | tail -n +3 || true # the failures, if any
printf '%s rows, %s failed\n' "$(grep -c '^| .* | \(pass\|FAIL\) |$' compat/results.md)" "$(grep -c '| FAIL |$' compat/results.md || true)"
exit "$status"
