#!/usr/bin/env bash
# Builds the container image of cmd/oauthtest (Containerfile) with podman and
# checks what it is: a static binary on scratch, run by a non-root user,
# listening on all interfaces. Runs it too where the machine lets podman run
# containers, and checks /healthz and discovery.
set -euo pipefail
cd "$(dirname "$0")/.."

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$ctx/oauthtest" ./cmd/oauthtest
cp Containerfile "$ctx/"
podman build --quiet --format docker -f Containerfile -t oauthtest:ci "$ctx" >/dev/null

fail() { echo "container: $*"; exit 1; }
[ "$(podman image inspect oauthtest:ci --format '{{.Config.User}}')" = "65534:65534" ] || fail "the image does not run as a non-root user"
[ "$(podman image inspect oauthtest:ci --format '{{json .Config.Entrypoint}}')" = '["/oauthtest"]' ] || fail "unexpected entrypoint"
[ "$(podman image inspect oauthtest:ci --format '{{json .Config.Cmd}}')" = '["-addr","0.0.0.0:9090"]' ] || fail "unexpected command"
[ "$(podman image inspect oauthtest:ci --format '{{len .RootFS.Layers}}')" = "1" ] || fail "more than the binary's layer"
echo "container: image oauthtest:ci built ($(podman image inspect oauthtest:ci --format '{{.Size}}') bytes), user 65534, scratch"

if ! podman run --rm -d --name oauthtest-ci -p 127.0.0.1:19090:9090 -e OAUTHTEST_ISSUER=http://127.0.0.1:19090 oauthtest:ci >/dev/null 2>"$ctx/run.err"; then
  echo "container: this machine cannot run containers ($(tail -n 1 "$ctx/run.err")); the image was built and inspected"
  exit 0
fi
trap 'podman stop -t 2 oauthtest-ci >/dev/null 2>&1 || true; rm -rf "$ctx"' EXIT
for _ in $(seq 50); do curl -fs http://127.0.0.1:19090/healthz >/dev/null && break; sleep 0.2; done
curl -fs http://127.0.0.1:19090/.well-known/openid-configuration | grep -Eq '"issuer": ?"http://127.0.0.1:19090"' || fail "discovery does not name the issuer of OAUTHTEST_ISSUER"
echo "container: it serves, with the issuer of OAUTHTEST_ISSUER"
