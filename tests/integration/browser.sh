#!/bin/sh
# tests/integration/browser.sh BUILD_DIR - examples/server.c in a real browser.
# Headless Debian Chromium driven by playwright-core (tests/node/browser.mjs):
#   1. the sealed-cookie store (SESSION_SECRET from `dynsess keygen`)
#   2. the DynamoDB store against dynalite on 127.0.0.1 (table made with the
#      dynsess CLI), then the CLI confirms that logout deleted the items
# Servers listen on 127.0.0.1 only and are killed on exit. Screenshots go to
# BUILD_DIR/screenshots/. Last line: "browser: N passed, N failed".
set -u
IT_NAME=browser; . "$(dirname "$0")/../lib/integration.sh"
server=$build/examples/server
cli=$build/tools/dynsess

for f in "$server" "$cli"; do
    [ -x "$f" ] || { bad "missing $f (run make)"; finish; }
done
if [ ! -x /usr/bin/chromium ] || [ ! -d "$node_dir/node_modules/playwright-core" ] || ! command -v node >/dev/null; then
    sh "$top/tools/deps.sh" >/dev/null 2>&1
fi
[ -x /usr/bin/chromium ] || { bad "/usr/bin/chromium is not installed (apt-get install chromium)"; finish; }
[ -d "$node_dir/node_modules/playwright-core" ] || { bad "playwright-core missing (npm ci in tests/node)"; finish; }

# start_server NAME ENV... : starts the server on a free port (--port 0), sets $url
start_server() {
    name=$1; shift
    log=$work/server-$name.log
    : > "$log"
    env "$@" "$server" --port 0 > "$log" 2>&1 &
    spid=$!
    pids="$pids $spid"
    url=""
    i=0
    while [ $i -lt 100 ]; do   # up to ~10 s
        url=$(sed -n 's|^server: listening on \(http://127.0.0.1:[0-9]*\)/.*|\1|p' "$log" | head -n 1)
        [ -n "$url" ] && return 0
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.1; i=$((i + 1))
    done
    cat "$log"
    return 1
}

stop_server() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }

# run_browser STORE : runs browser.mjs, adds its counts
run_browser() {
    (cd "$node_dir" && timeout 90 node browser.mjs "$url" "$1" "$build/screenshots") > "$work/browser-$1.out" 2>&1
    rc=$?
    cat "$work/browser-$1.out"
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$work/browser-$1.out" | tail -n 1)
    p=$(echo "$line" | sed -nE 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\2/p')
    f=$(echo "$line" | sed -nE 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\3/p')
    [ -z "$p" ] && { p=0; f=1; }
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    pass=$((pass + p)); fail=$((fail + f))
}

# ---- 1. sealed-cookie store ---------------------------------------------------------
secret=$("$cli" keygen)
if start_server cookie SESSION_SECRET="$secret"; then
    ok "server (cookie store) at $url"
    run_browser cookie
    if grep -q 'new session (cookie: ' "$work/server-cookie.log"; then ok "server logged why the tampered cookie was refused"
    else bad "server logged why the tampered cookie was refused"; fi
    stop_server
else
    bad "server (cookie store) did not start"
fi

# ---- 2. DynamoDB store against dynalite -------------------------------------------------
start_dynalite 0
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$port
unset AWS_SESSION_TOKEN AWS_ENDPOINT_URL 2>/dev/null
table=dynsess-browser-test
if "$cli" table create "$table" > "$work/create.log" 2>&1; then ok "dynsess table create $table"
else cat "$work/create.log"; bad "dynsess table create $table"; finish; fi

if start_server dynamodb USE_DYNAMODB_SESSIONS=true SESSION_TABLE_NAME="$table" DYNSESS_FALLBACK=off; then
    ok "server (dynamodb store) at $url"
    run_browser dynamodb
    get_id() { sed -n "s/^SESSION_ID $1 //p" "$work/browser-dynamodb.out" | head -n 1; }
    # login regenerated the id: the anonymous record was deleted
    id=$(get_id anonymous)
    "$cli" session get --table "$table" -- "$id" > "$work/get.log" 2>&1; grc=$?
    if [ -n "$id" ] && [ $grc -eq 1 ] && grep -q 'not found' "$work/get.log"; then ok "table: the pre-login record is gone (regenerate)"
    else cat "$work/get.log"; bad "table: the pre-login record is gone (regenerate)"; fi
    # alice's record was abandoned by the tamper step, never destroyed: still there
    id=$(get_id alice)
    if [ -n "$id" ] && "$cli" session get --table "$table" -- "$id" > "$work/get.log" 2>&1 && grep -q '"alice' "$work/get.log"; then
        ok "table: alice's record holds the session JSON"
    else cat "$work/get.log"; bad "table: alice's record holds the session JSON"; fi
    # bob logged out: his record was deleted
    id=$(get_id bob)
    "$cli" session get --table "$table" -- "$id" > "$work/get.log" 2>&1; grc=$?
    if [ -n "$id" ] && [ $grc -eq 1 ] && grep -q 'not found' "$work/get.log"; then ok "table: logout deleted the record"
    else cat "$work/get.log"; bad "table: logout deleted the record"; fi
    stop_server
else
    bad "server (dynamodb store) did not start"
fi
finish
