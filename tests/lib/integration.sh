# tests/lib/integration.sh - sourced by tests/integration/*.sh (not run by itself).
#   IT_NAME=name; . "$(dirname "$0")/../lib/integration.sh"
# Gives: $top, $build (absolute; the script's first argument, default build/),
# $node_dir, $work (temporary folder, removed on exit), $pids (killed and reaped on
# exit), ok/bad/finish (count checks; finish prints "<name>: N passed, N failed"
# and exits non-zero on any failure), has PATTERN (grep $work/out), need_node_packages,
# and start_dynalite (a DynamoDB-compatible server on 127.0.0.1).
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
case "$build" in /*) ;; *) build=$top/$build ;; esac
node_dir=$top/tests/node
export NODE_NO_WARNINGS=1  # the AWS SDK warns about node < 22
work=$(mktemp -d)
pids=""
it_cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap it_cleanup EXIT
trap 'exit 1' INT TERM HUP
pass=0; fail=0
ok()  { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); [ -f "$work/out" ] && sed 's/^/     | /' "$work/out" | head -n 20; }
finish() { echo "$IT_NAME: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }
has() { grep -q -- "$1" "$work/out"; }

# Makes sure node and tests/node's packages are there (runs tools/deps.sh once).
need_node_packages() {
    if ! command -v node >/dev/null || [ ! -f "$node_dir/node_modules/dynalite/cli.js" ]; then
        sh "$top/tools/deps.sh" >/dev/null 2>&1
    fi
    if ! command -v node >/dev/null || [ ! -f "$node_dir/node_modules/dynalite/cli.js" ]; then
        bad "node packages are not installed (run tools/deps.sh: npm ci in tests/node)"; finish
    fi
}

# start_dynalite [CREATE_TABLE_MS]: starts dynalite on 127.0.0.1 on a free port
# (dynalite has no --port 0: picks a random port, retries up to 8 times if taken).
# Sets $port, $dpid and $endpoint; adds the process to $pids. Fails the script if
# dynalite does not come up within ~10 s per try.
start_dynalite() {
    need_node_packages
    port=""
    try=0
    while [ $try -lt 8 ] && [ -z "$port" ]; do
        try=$((try + 1))
        p=$(node -e 'console.log(20000 + Math.floor(Math.random() * 40000))')
        : > "$work/dynalite.log"
        node "$node_dir/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$p" \
            --createTableMs "${1:-0}" --deleteTableMs 0 --updateTableMs 0 > "$work/dynalite.log" 2>&1 &
        dpid=$!
        pids="$pids $dpid"
        i=0
        while [ $i -lt 100 ]; do   # up to ~10 s
            if grep -q 'listening' "$work/dynalite.log"; then port=$p; break; fi
            kill -0 "$dpid" 2>/dev/null || break   # EADDRINUSE and friends: retry
            sleep 0.1; i=$((i + 1))
        done
        [ -z "$port" ] && { kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null; }
    done
    if [ -z "$port" ]; then
        cat "$work/dynalite.log"; bad "dynalite did not start"; finish
    fi
    endpoint=http://127.0.0.1:$port
}
