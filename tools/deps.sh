#!/bin/sh
# tools/deps.sh - installs what `make test` and `make bench` need on a Debian machine.
#   Debian -dev packages: via apt-get when run as root and a package is missing.
#   npm packages: `npm ci` into tests/node/node_modules (local, from the lockfile).
# Idempotent: a second run does nothing.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
# --bench: also what only `make bench` uses (the simdjson and RapidJSON yardsticks)
APT_PKGS="clang libclang-rt-14-dev libbearssl-dev libcurl4-openssl-dev libcjson-dev libjansson-dev libssl-dev libsodium-dev chromium"
[ "${1:-}" = "--bench" ] && APT_PKGS="$APT_PKGS libsimdjson-dev rapidjson-dev"
missing=""
for p in $APT_PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "deps: installing$missing"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    else
        echo "deps: missing Debian packages:$missing (run as root, or install them)" >&2
    fi
fi
if [ -f "$top/tests/node/package.json" ] && command -v npm >/dev/null; then
    if [ ! -d "$top/tests/node/node_modules" ] || [ "$top/tests/node/package-lock.json" -nt "$top/tests/node/node_modules/.package-lock.json" ]; then
        echo "deps: npm ci in tests/node"
        (cd "$top/tests/node" && npm ci --no-audit --no-fund --loglevel=error)
    fi
fi
