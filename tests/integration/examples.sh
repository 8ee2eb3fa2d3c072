#!/bin/sh
# tests/integration/examples.sh BUILD_DIR - smoke tests of the examples over HTTP
# (tests/node/http_fetch.mjs: a small curl -i in node, so curl is not needed):
#   examples/server.c: start-up rules (secret required, --dev), the request
#   cycle over HTTP (cookie flags, counter, login/regenerate, logout, JSON),
#   keep-alive, request limits, the memory store and the DynamoDB fallback;
#   examples/codec.c: JSON round trips and cookie refusals on sample inputs.
# Servers listen on 127.0.0.1 (port chosen by the kernel), killed on exit.
# Last line: "examples: N passed, N failed".
set -u
IT_NAME=examples; . "$(dirname "$0")/../lib/integration.sh"
server=$build/examples/server
codec=$build/examples/codec

for f in "$server" "$codec"; do [ -x "$f" ] || { bad "missing $f (run make)"; finish; }; done
node_dir=$top/tests/node
command -v node >/dev/null || { bad "node is not installed (tools/deps.sh)"; finish; }
unset SESSION_SECRET SESSION_STORE USE_DYNAMODB_SESSIONS SESSION_TABLE_NAME AWS_ENDPOINT_URL \
      AWS_ENDPOINT_URL_DYNAMODB DYNSESS_FALLBACK 2>/dev/null

# start NAME ARGS... (env assignments allowed first): sets $url and $spid
start() {
    name=$1; shift
    : > "$work/$name.log"
    env "$@" --port 0 > "$work/$name.log" 2>&1 &
    spid=$!; pids="$pids $spid"
    url=""; i=0
    while [ $i -lt 100 ]; do
        url=$(sed -n 's|^server: listening on \(http://127.0.0.1:[0-9]*\)/.*|\1|p' "$work/$name.log" | head -n 1)
        [ -n "$url" ] && return 0
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.1; i=$((i + 1))
    done
    cp "$work/$name.log" "$work/out"
    return 1
}
stop() { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
# fetch ARGS... : one request (see http_fetch.mjs), bounded, status+headers+body in $work/out
fetch() { timeout 15 node "$node_dir/http_fetch.mjs" "$@" > "$work/out" 2>&1; }
raw() { timeout 15 node "$node_dir/http_fetch.mjs" --raw "127.0.0.1:${url##*:}" "$1" > "$work/out" 2>&1; }
cookie_of() { sed -n 's/^Set-Cookie: session=\([^;]*\).*/\1/p' "$work/out" | tr -d '\r' | head -n 1; }

# ---- start-up rules --------------------------------------------------------------------------
timeout 10 "$server" --port 0 > "$work/out" 2>&1; rc=$?
if [ $rc -eq 1 ] && has 'SESSION_SECRET is not set' && has 'keygen'; then ok "server refuses to start without SESSION_SECRET"
else bad "server refuses to start without SESSION_SECRET (exit $rc)"; fi
if SESSION_SECRET=tooshort timeout 10 "$server" --port 0 > "$work/out" 2>&1; then bad "short secret refused"
elif has '32'; then ok "short secret refused"; else bad "short secret refused"; fi
if timeout 10 "$server" --port 0 --bogus > "$work/out" 2>&1; then bad "unknown option refused"
else ok "unknown option refused"; fi
if timeout 10 "$server" --help > "$work/out" 2>&1 && has 'USE_DYNAMODB_SESSIONS'; then ok "server --help"; else bad "server --help"; fi

# ---- the request cycle over HTTP (cookie store, --dev secret) ---------------------------------
if start dev "$server" --dev && grep -q 'generated a random secret' "$work/dev.log"; then
    ok "--dev starts with a generated secret and says so"
    fetch "$url/"
    c1=$(cookie_of)
    if has '^HTTP/1.1 200' && has 'Not logged in' && has '<b id="visits">1</b>'; then ok "GET /: anonymous, visit 1"; else bad "GET /: anonymous, visit 1"; fi
    if has '^Set-Cookie: session=v1\.[^;]*; Path=/; Max-Age=3600' && has 'HttpOnly' && has 'Secure' && has 'SameSite=Lax'; then
        ok "Set-Cookie: sealed v1 value, Path, Max-Age, HttpOnly, Secure, SameSite=Lax"
    else bad "Set-Cookie: sealed v1 value, Path, Max-Age, HttpOnly, Secure, SameSite=Lax"; fi
    fetch -H "Cookie: session=$c1" "$url/"
    c2=$(cookie_of)
    if has '<b id="visits">2</b>' && [ -n "$c2" ]; then ok "cookie sent back: visit 2"; else bad "cookie sent back: visit 2"; fi
    fetch -H "Cookie: session=$c2" --form 'user=%3Cdave%3E' "$url/login"
    c3=$(cookie_of)
    if has '^HTTP/1.1 303' && has '^Location: /' && [ -n "$c3" ]; then ok "POST /login: 303 to / with a new cookie"; else bad "POST /login: 303 to / with a new cookie"; fi
    fetch -H "Cookie: session=$c3" "$url/"
    if has '&lt;dave&gt;' && ! has '<dave>' && has '<b id="visits">3</b>'; then ok "logged in (name HTML-escaped), data kept"; else bad "logged in (name HTML-escaped), data kept"; fi
    c4=$(cookie_of)
    fetch -H "Cookie: session=$c4" "$url/api/session"
    if has '^Content-Type: application/json' && has '"user":"<dave>"' && has '"visits":3' && has '"store":"cookie"'; then
        ok "GET /api/session: the session as JSON"; else bad "GET /api/session: the session as JSON"; fi
    fetch -H "Cookie: session=$c4" -X POST "$url/logout"
    if has '^HTTP/1.1 303' && has '^Set-Cookie: session=; ' && has 'Max-Age=0'; then ok "POST /logout: clearing cookie"; else bad "POST /logout: clearing cookie"; fi
    fetch -H "Cookie: session=${c4}x" "$url/"
    if has 'Not logged in' && has '<b id="visits">1</b>' && grep -q 'new session (' "$work/dev.log"; then
        ok "tampered cookie: fresh session, reason logged"; else bad "tampered cookie: fresh session, reason logged"; fi
    fetch -H 'Content-Type: text/plain' --form 'user=x' "$url/login"
    if has '^HTTP/1.1 415'; then ok "login with the wrong content type: 415"; else bad "login with the wrong content type: 415"; fi
    fetch --form 'user=' "$url/login"
    if has '^HTTP/1.1 400'; then ok "login with an empty name: 400"; else bad "login with an empty name: 400"; fi
    fetch "$url/nope"
    if has '^HTTP/1.1 404'; then ok "unknown path: 404"; else bad "unknown path: 404"; fi
    # keep-alive: the second request reuses the first one's connection
    fetch "$url/api/session" "$url/api/session"
    if has '^reused-connection: yes' && [ "$(grep -c '^HTTP/1.1 200' "$work/out")" -eq 2 ]; then ok "keep-alive: second request on the same connection"
    else bad "keep-alive: second request on the same connection"; fi
    # pipelining and half-close: two requests in one write, then FIN; both answered in order
    raw 'GET /api/session HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n'
    if [ "$(grep -a '^HTTP/1.1 ' "$work/out" | cut -c1-12 | tr '\n' ',')" = "HTTP/1.1 200,HTTP/1.1 404," ]; then
        ok "pipelined requests answered in order after the client's FIN"
    else bad "pipelined requests answered in order after the client's FIN"; fi
    # limits
    head -c 20000 /dev/zero | tr '\0' 'a' > "$work/big"
    fetch --data-file "$work/big" "$url/login"
    if has '^HTTP/1.1 413'; then ok "20 KB body: 413"; else bad "20 KB body: 413"; fi
    fetch -H "X-Big: $(head -c 17000 /dev/zero | tr '\0' 'b')" "$url/"
    if has '^HTTP/1.1 431'; then ok "17 KB header: 431"; else bad "17 KB header: 431"; fi
    raw 'GARBAGE\r\n\r\n'
    if has 'HTTP/1.1 400'; then ok "garbage request line: 400"; else bad "garbage request line: 400"; fi
    fetch -H 'Transfer-Encoding: chunked' --form 'user=x' "$url/login"
    if has '^HTTP/1.1 501'; then ok "chunked request body: 501"; else bad "chunked request body: 501"; fi
    fetch "$url/"
    if has '^HTTP/1.1 200'; then ok "server still serving after bad requests"; else bad "server still serving after bad requests"; fi
    stop
else
    bad "--dev starts with a generated secret and says so"
fi

# ---- memory store ----------------------------------------------------------------------------------
if start mem SESSION_STORE=memory "$server"; then
    fetch "$url/"
    c=$(cookie_of)
    if echo "$c" | grep -Eq '^[A-Za-z0-9_-]{43}$' && has 'id="store">memory<'; then ok "memory store: cookie is a 43-char id"
    else bad "memory store: cookie is a 43-char id"; fi
    fetch -H "Cookie: session=$c" "$url/"
    if has '<b id="visits">2</b>'; then ok "memory store: visit 2"; else bad "memory store: visit 2"; fi
    stop
else bad "memory store: server starts"; fi

# ---- DynamoDB enabled but unreachable: falls back to memory, with a log line --------------------
if start fb USE_DYNAMODB_SESSIONS=true AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y \
        AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:9 "$server"; then
    if grep -q 'FALLING BACK to the in-memory store' "$work/fb.log"; then ok "DynamoDB unreachable: fallback to memory logged"
    else cp "$work/fb.log" "$work/out"; bad "DynamoDB unreachable: fallback to memory logged"; fi
    fetch "$url/"
    if has 'id="store">memory<' && has '<b id="visits">1</b>'; then ok "fallback store serves requests"; else bad "fallback store serves requests"; fi
    stop
else bad "DynamoDB unreachable: server starts with the fallback"; fi
if USE_DYNAMODB_SESSIONS=true DYNSESS_FALLBACK=off AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y \
   AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:9 timeout 30 "$server" --port 0 > "$work/out" 2>&1; then
    bad "DYNSESS_FALLBACK=off: start-up fails"
else ok "DYNSESS_FALLBACK=off: start-up fails"; fi

# ---- codec -----------------------------------------------------------------------------------------
printf '{"a":[1,2.5e3,-0.0,"\\u00e9\\ud83d\\ude00"],"b":{"c":null,"d":true}}' > "$work/good.json"
if timeout 10 "$codec" "$work/good.json" > "$work/out" 2>&1 && has 'json: ok' && has 'sealed and reopened' && has 'cookie: rejected'; then
    ok "codec: JSON round trip, seal/open round trip, raw input refused as a cookie"
else bad "codec: JSON round trip, seal/open round trip, raw input refused as a cookie"; fi
printf '[1,2,]' > "$work/bad.json"
if timeout 10 "$codec" json "$work/bad.json" > "$work/out" 2>&1 && has 'json: rejected: .*offset'; then ok "codec: bad JSON rejected with an offset"
else bad "codec: bad JSON rejected with an offset"; fi
head -c 3000 /dev/urandom > "$work/rand.bin"
if timeout 10 "$codec" -q "$work/rand.bin" "$work/good.json" "$work/bad.json" > "$work/out" 2>&1; then ok "codec: random bytes, no invariant broken"
else bad "codec: random bytes, no invariant broken"; fi
cli=$build/tools/dynsess
if [ -x "$cli" ]; then
    key=$("$cli" keygen)
    "$cli" seal '{"user":"erin"}' --secret "$key" > "$work/cookie.txt" 2>&1
    if timeout 10 "$codec" --secret "$key" unseal "$work/cookie.txt" > "$work/out" 2>&1 && has 'cookie: opened' && has '"erin"'; then
        ok "codec: opens a cookie sealed by dynsess seal"
    else bad "codec: opens a cookie sealed by dynsess seal"; fi
fi
finish
