#!/bin/sh
# tests/integration/cli.sh BUILD_DIR - the dynsess command-line tool.
#   offline: --help texts, usage errors, keygen, seal/unseal round trips and
#            refusals, sign against a SigV4 vector, missing credentials/region
#   against dynalite on 127.0.0.1 (free port; killed on exit): table create
#            (UpdateTimeToLive unsupported -> warning), describe, ttl; session
#            put/get/delete; DynamoDB's own errors (missing table); connection
#            refused; and the example server loading a session the CLI wrote.
# Last line: "cli: N passed, N failed".
set -u
IT_NAME=cli; . "$(dirname "$0")/../lib/integration.sh"
cli=$build/tools/dynsess
server=$build/examples/server

[ -x "$cli" ] || { bad "missing $cli (run make)"; finish; }

# run EXPECTED_STATUS ARGS... : runs the CLI (bounded), output in $work/out, 0 if status matches
run() {
    want=$1; shift
    timeout 30 "$cli" "$@" > "$work/out" 2>&1 < /dev/null
    got=$?
    [ "$got" -eq "$want" ] || { echo "     (exit $got, wanted $want)" >> "$work/out"; return 1; }
}

# Start offline: no AWS settings at all.
unset AWS_REGION AWS_DEFAULT_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
      AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB SESSION_SECRET SESSION_TABLE_NAME 2>/dev/null

# ---- help and usage -------------------------------------------------------------------------
if run 0 --help && has 'table create NAME' && has 'keygen'; then ok "dynsess --help"; else bad "dynsess --help"; fi
for c in table session keygen seal unseal sign; do
    if run 0 "$c" --help && has "usage: dynsess $c"; then ok "dynsess $c --help"; else bad "dynsess $c --help"; fi
done
if run 0 help sign && has 'SignatureDoesNotMatch'; then ok "dynsess help sign"; else bad "dynsess help sign"; fi
if run 2 frobnicate && has "unknown command 'frobnicate'"; then ok "unknown command: exit 2"; else bad "unknown command: exit 2"; fi
if run 2 table create && has 'needs exactly one table NAME'; then ok "table create without NAME: exit 2"; else bad "table create without NAME: exit 2"; fi
if run 2 table create 'bad name!' && has 'bad table name'; then ok "bad table name: exit 2"; else bad "bad table name: exit 2"; fi
if run 2 session get x --bogus && has "unknown option '--bogus'"; then ok "unknown option: exit 2"; else bad "unknown option: exit 2"; fi

# ---- keygen ------------------------------------------------------------------------------------
k1=$("$cli" keygen); k2=$("$cli" keygen)
if echo "$k1" | grep -Eq '^[A-Za-z0-9_-]{43}$' && [ "$k1" != "$k2" ]; then ok "keygen: 43 base64url chars, fresh each time"
else bad "keygen: 43 base64url chars, fresh each time ($k1 / $k2)"; fi
k3=$("$cli" keygen --bytes 48)
if echo "$k3" | grep -Eq '^[A-Za-z0-9_-]{64}$'; then ok "keygen --bytes 48"; else bad "keygen --bytes 48 ($k3)"; fi
if run 2 keygen --bytes 16 && has 'at least 32'; then ok "keygen --bytes 16 refused"; else bad "keygen --bytes 16 refused"; fi

# ---- seal / unseal -----------------------------------------------------------------------------
json='{"user":"alice","visits":3,"cart":[1,2.5,"x"],"nested":{"a":null}}'
if run 0 seal "$json" --secret "$k1"; then
    cookie=$(cat "$work/out"); ok "seal"
else cookie=x; bad "seal"; fi
if run 0 unseal "$cookie" --secret "$k1" --json && [ "$(cat "$work/out")" = "$json" ]; then ok "unseal --json: same JSON back"
else bad "unseal --json: same JSON back"; fi
if run 0 unseal "$cookie" --secret "$k1" && has 'expires_at:' && has '"alice"' && has 'created_at:'; then
    ok "unseal: prints JSON, created_at, expires_at"; else bad "unseal: prints JSON, created_at, expires_at"; fi
if SESSION_SECRET=$k1 run 0 unseal "Cookie: theme=dark; session=$cookie; x=1" --json && has '"alice"'; then
    ok "unseal: whole Cookie header, secret from SESSION_SECRET"; else bad "unseal: whole Cookie header, secret from SESSION_SECRET"; fi
if echo "session=$cookie" | SESSION_SECRET=$k1 timeout 10 "$cli" unseal --json > "$work/out" 2>&1 && has '"alice"'; then
    ok "unseal: name=value from stdin"; else bad "unseal: name=value from stdin"; fi
if run 1 unseal "$cookie" --secret "$k2" && has 'cannot open'; then ok "unseal with another secret: refused"
else bad "unseal with another secret: refused"; fi
if run 1 unseal "$cookie" --secret "$k1" --name other && has 'cannot open'; then ok "unseal under another cookie name: refused"
else bad "unseal under another cookie name: refused"; fi
tampered=$(echo "$cookie" | sed 's/\(.\{30\}\)\(.\)/\1\2\2/')
if run 1 unseal "$tampered" --secret "$k1" && has 'cannot open'; then ok "unseal of a tampered value: refused"
else bad "unseal of a tampered value: refused"; fi
if run 0 unseal "$cookie" --secret "$k2,$k1" && has '"alice"'; then ok "unseal: rotation (old secret second in the list)"
else bad "unseal: rotation (old secret second in the list)"; fi
if run 2 unseal "$cookie" && has 'no secret'; then ok "unseal without a secret: usage error"; else bad "unseal without a secret: usage error"; fi
if run 1 seal '[1,2]' --secret "$k1" && has 'must be an object'; then ok "seal of a non-object refused"; else bad "seal of a non-object refused"; fi
if run 1 seal '{"a":1,}' --secret "$k1" && has 'offset'; then ok "seal of bad JSON: error with offset"; else bad "seal of bad JSON: error with offset"; fi
if run 1 seal '{}' --secret short && has '32'; then ok "seal with a short secret refused"; else bad "seal with a short secret refused"; fi

# ---- sign: SigV4 vectors from tests/vectors/sigv4 (run through the CLI) ------------------------
# Each case: context.json (credentials, region, service, time), request.txt (the request),
# header-{canonical-request,string-to-sign,signature}.txt (what botocore / aws-c-auth produce).
# section NAME: the lines of the CLI's "# NAME" block (trailing blank lines dropped by $(...))
section() { awk -v s="# $1" 'index($0, "# ") == 1 { on = ($0 == s); next } on' "$work/out"; }
sign_vector() { # DIR
    vec=$1
    eval "$(node -e '
        const c = require(process.argv[1]);
        const q = (s) => "\x27" + String(s).replace(/\x27/g, "") + "\x27";
        console.log(`ak=${q(c.credentials.access_key_id)} sk=${q(c.credentials.secret_access_key)}`,
                    `tk=${q(c.credentials.token || "")} rg=${q(c.region)} sv=${q(c.service)} ts=${q(c.timestamp)}`);' "$vec/context.json")"
    method=$(sed -n '1s/ .*//p' "$vec/request.txt")
    path=$(sed -n '1s/^[^ ]* \(.*\) HTTP\/1\.1$/\1/p' "$vec/request.txt")
    host=$(sed -n '2,/^$/s/^[Hh]ost:\(.*\)/\1/p' "$vec/request.txt")
    set -- sign --method "$method" --url "https://$host$path" --service "$sv" --region "$rg" --date "$ts"
    # headers other than Host (which comes from the URL), in file order
    hdrs=$(sed -n '2,/^$/p' "$vec/request.txt" | grep -v '^[Hh]ost:' | grep -v '^$')
    old_ifs=$IFS; IFS='
'
    for h in $hdrs; do set -- "$@" --header "$h"; done
    IFS=$old_ifs
    body=$(sed '1,/^$/d' "$vec/request.txt")
    [ -n "$body" ] && set -- "$@" --body "$body"
    AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk AWS_SESSION_TOKEN=$tk run 0 "$@" || return 1
    [ "$(section 'canonical request')" = "$(cat "$vec/header-canonical-request.txt")" ] || { echo "     canonical request differs" >> "$work/out"; return 1; }
    [ "$(section 'string to sign')" = "$(cat "$vec/header-string-to-sign.txt")" ] || { echo "     string to sign differs" >> "$work/out"; return 1; }
    [ "$(section 'signature')" = "$(cat "$vec/header-signature.txt")" ] || { echo "     signature differs" >> "$work/out"; return 1; }
    sig=$(cat "$vec/header-signature.txt")
    has "^Authorization: AWS4-HMAC-SHA256 Credential=$ak/.*, Signature=$sig\$"
}
vectors=$top/tests/vectors/sigv4
for v in dynamodb-botocore-generated/dynamodb-getitem dynamodb-botocore-generated/dynamodb-putitem-session-token \
         dynamodb-botocore-generated/dynamodb-updateitem-utf8-eu-west-1 v4/post-vanilla v4/get-vanilla-query-order-key-case \
         v4/get-vanilla-utf8-query v4/get-slashes-normalized v4/get-space-normalized v4/get-utf8; do
    if [ ! -f "$vectors/$v/context.json" ]; then bad "sign: vector $v is missing"
    elif sign_vector "$vectors/$v"; then ok "sign: vector $v (canonical request, string to sign, signature)"
    else bad "sign: vector $v (canonical request, string to sign, signature)"; fi
done
unset ak sk tk rg sv ts
if run 1 sign --region us-east-1 && has 'AWS_ACCESS_KEY_ID'; then ok "sign without credentials: clear error"
else bad "sign without credentials: clear error"; fi

# ---- configuration errors before any network ---------------------------------------------------
if AWS_REGION=us-east-1 run 1 table describe sometable && has 'AWS_ACCESS_KEY_ID'; then
    ok "no credentials: clear error naming AWS_ACCESS_KEY_ID"; else bad "no credentials: clear error naming AWS_ACCESS_KEY_ID"; fi
if AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y run 1 table describe sometable && has 'AWS_REGION'; then
    ok "no region: clear error naming AWS_REGION"; else bad "no region: clear error naming AWS_REGION"; fi

# ---- dynalite ------------------------------------------------------------------------------------
start_dynalite 50
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$port
table=dynsess-cli-test

if run 1 table describe "$table" && has 'ResourceNotFoundException' && has 'dynsess table create'; then
    ok "describe a missing table: DynamoDB's error type and a hint"; else bad "describe a missing table: DynamoDB's error type and a hint"; fi
if run 1 session get someid --table "$table" && has 'ResourceNotFoundException'; then
    ok "session get on a missing table: ResourceNotFoundException"; else bad "session get on a missing table: ResourceNotFoundException"; fi
if run 0 table create "$table" && has 'created table' && has 'ACTIVE' && has 'does not implement UpdateTimeToLive'; then
    ok "table create: created, waited for ACTIVE, TTL unsupported reported as a warning"
else bad "table create: created, waited for ACTIVE, TTL unsupported reported as a warning"; fi
if run 0 table create "$table" && has 'already exists'; then ok "table create again: kept, exit 0"; else bad "table create again: kept, exit 0"; fi
if run 0 table describe "$table" && has 'session_id (S, HASH)' && has 'PAY_PER_REQUEST' && has 'ACTIVE'; then
    ok "table describe: key schema, billing, status"; else bad "table describe: key schema, billing, status"; fi
if run 0 table describe "$table" --json && has '"TableName": "dynsess-cli-test"'; then ok "table describe --json"; else bad "table describe --json"; fi
if run 0 table ttl "$table" && has 'DISABLED'; then ok "table ttl: status shown"; else bad "table ttl: status shown"; fi

id=$("$cli" keygen)  # 43 base64url chars: the shape of a real session id
if run 0 session put --table "$table" -- "$id" '{"user":"carol","visits":41}'; then ok "session put"; else bad "session put"; fi
if run 0 session get --table "$table" -- "$id" && has '"carol"' && has 'ttl:' && has 'created_at:'; then
    ok "session get: JSON, created_at, ttl"; else bad "session get: JSON, created_at, ttl"; fi
if SESSION_TABLE_NAME=$table run 0 session get --raw -- "$id" && has '"user_data"'; then
    ok "session get --raw, table from SESSION_TABLE_NAME"; else bad "session get --raw, table from SESSION_TABLE_NAME"; fi

# the example server loads the session the CLI wrote (the seed's schema, shared table)
if [ -x "$server" ]; then
    : > "$work/server.log"
    USE_DYNAMODB_SESSIONS=true SESSION_TABLE_NAME=$table DYNSESS_FALLBACK=off "$server" --port 0 > "$work/server.log" 2>&1 &
    spid=$!; pids="$pids $spid"
    url=""; i=0
    while [ $i -lt 100 ] && [ -z "$url" ]; do
        url=$(sed -n 's|^server: listening on \(http://127.0.0.1:[0-9]*\)/.*|\1|p' "$work/server.log" | head -n 1)
        [ -n "$url" ] || { kill -0 "$spid" 2>/dev/null || break; sleep 0.1; i=$((i + 1)); }
    done
    if [ -n "$url" ] && timeout 15 node "$node_dir/http_fetch.mjs" -H "Cookie: session=$id" "$url/" > "$work/out" 2>&1 &&
       has 'carol' && has '<b id="visits">42</b>'; then
        ok "server adopts the CLI's session (carol, visit 42)"
    else cat "$work/server.log" >> "$work/out"; bad "server adopts the CLI's session (carol, visit 42)"; fi
    if run 0 session get --table "$table" -- "$id" && has '"visits": 42'; then ok "CLI reads the server's update (42)"
    else bad "CLI reads the server's update (42)"; fi
    kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
else
    bad "missing $server (run make)"
fi

if echo '{"from":"stdin"}' | timeout 10 "$cli" session put --table "$table" --ttl 60 -- "$id" - > "$work/out" 2>&1 &&
   run 0 session get --table "$table" -- "$id" && has '"stdin"'; then ok "session put from stdin (overwrites)"
else bad "session put from stdin (overwrites)"; fi
if run 1 session put --table "$table" -- "$id" '{"a":' && has 'session JSON'; then ok "session put of bad JSON: refused"
else bad "session put of bad JSON: refused"; fi
if run 0 session put --table "$table" -- -dash-id '{}' && run 0 session get --table "$table" -- -dash-id &&
   run 0 session delete --table "$table" -- -dash-id; then ok "an id starting with '-' after '--'"
else bad "an id starting with '-' after '--'"; fi
if run 0 session delete --table "$table" -- "$id" && has 'deleted session'; then ok "session delete"; else bad "session delete"; fi
if run 1 session get --table "$table" -- "$id" && has 'not found'; then ok "session get after delete: not found, exit 1"
else bad "session get after delete: not found, exit 1"; fi
if run 0 session delete --table "$table" -- "$id" && has 'nothing to delete'; then ok "session delete of an absent id: ok"
else bad "session delete of an absent id: ok"; fi
if run 0 session put --table "$table" --ttl 1 -- "$id" '{"old":true}' && sleep 2 &&
   run 1 session get --table "$table" -- "$id" && has 'EXPIRED' && has 'expired'; then
    ok "session get of an expired item: shown as EXPIRED, exit 1"
else bad "session get of an expired item: shown as EXPIRED, exit 1"; fi

# access denied: a stand-in server answers like DynamoDB does for a missing IAM permission
: > "$work/deny.log"
node -e '
    const srv = require("http").createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            const body = JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException",
                message: "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: dynamodb:DescribeTable" });
            res.writeHead(400, { "Content-Type": "application/x-amz-json-1.0", "Content-Length": Buffer.byteLength(body) });
            res.end(body);
        });
    });
    srv.listen(0, "127.0.0.1", () => console.log("port " + srv.address().port));
    setTimeout(() => process.exit(0), 30000);' > "$work/deny.log" 2>&1 &
npid=$!; pids="$pids $npid"
i=0; dport=""
while [ $i -lt 50 ] && [ -z "$dport" ]; do dport=$(sed -n 's/^port //p' "$work/deny.log"); [ -n "$dport" ] || { sleep 0.1; i=$((i + 1)); }; done
if [ -n "$dport" ] && AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$dport run 1 table describe "$table" &&
   has 'AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized' && has 'IAM'; then
    ok "access denied: DynamoDB's error type and message, and an IAM hint"
else bad "access denied: DynamoDB's error type and message, and an IAM hint"; fi
kill "$npid" 2>/dev/null

# connection refused: a port nobody listens on (dynalite's, after stopping it)
kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null
if run 1 table describe "$table" && has 'reachable'; then ok "no server: connection error with the endpoint"
else bad "no server: connection error with the endpoint"; fi
finish
