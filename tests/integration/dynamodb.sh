#!/bin/sh
# tests/integration/dynamodb.sh BUILD_DIR - the DynamoDB store against a real
# DynamoDB-compatible server (dynalite, from tests/node/node_modules).
#   1. starts dynalite on 127.0.0.1 on a free port (picks one, retries if taken)
#   2. creates the table with the AWS SDK for JavaScript v3
#   3. runs tests/integration/dynamodb_live.c through the bundled plain-HTTP
#      transport, then through the libcurl transport, then plain under ASan+UBSan
#   4. interop both ways with @aws-sdk/client-dynamodb (tests/node/ddb_interop.mjs)
#   5. stops dynalite (trap on exit)
# Last line: "dynamodb: N passed, N failed"; exit status non-zero on failure.
set -u
IT_NAME=dynamodb; . "$(dirname "$0")/../lib/integration.sh"

# ---- 1. start dynalite on a free port ----------------------------------------------
start_dynalite 0
ok "dynalite listening at $endpoint (attempt $try)"

# ---- 2. the table -----------------------------------------------------------------------
table=dynsess-test-sessions
if (cd "$node_dir" && node ddb_interop.mjs "$endpoint" "$table" create); then ok "create table"
else bad "create table"; finish; fi

# ---- 3. live tests, both transports ----------------------------------------------------
bin=$build/integration/dynamodb_live
mkdir -p "$build/integration"
if ${CC:-cc} -std=c99 -O1 -g -Wall -Wextra -Wpedantic -Werror -DDYNSESS_WITH_CURL \
      -I"${DYNSESS_INCLUDE:-$top}" -I"$top" -I"$top/tests" \
      "$top/tests/integration/dynamodb_live.c" -o "$bin" -lcurl -lpthread -lm 2>"$work/cc.log"; then
    ok "build dynamodb_live"
else
    cat "$work/cc.log"; bad "build dynamodb_live"; finish
fi
runs="plain curl"
# the plain transport once more under ASan+UBSan (leaks and overflows on the real network path)
if command -v "${CLANG:-clang}" >/dev/null && "${CLANG:-clang}" -std=c99 -O1 -g \
      -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
      -Wall -Wextra -Wpedantic -Werror -DDYNSESS_WITH_CURL \
      -I"${DYNSESS_INCLUDE:-$top}" -I"$top" -I"$top/tests" \
      "$top/tests/integration/dynamodb_live.c" -o "$bin-asan" -lcurl -lpthread -lm 2>"$work/cc.log"; then
    runs="$runs asan"
else
    echo "note: no ASan build of dynamodb_live (clang missing or failed)"; cat "$work/cc.log"
fi
export DYNSESS_TEST_ENDPOINT=$endpoint DYNSESS_TEST_TABLE=$table
for transport in $runs; do
    if [ "$transport" = asan ]; then "$bin-asan" plain > "$work/live.log" 2>&1
    else "$bin" "$transport" > "$work/live.log" 2>&1; fi
    rc=$?
    sed "s/^/  [$transport] /" "$work/live.log"
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$work/live.log" | tail -n 1)
    p=$(echo "$line" | sed -nE 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\2/p')
    f=$(echo "$line" | sed -nE 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\3/p')
    [ -z "$p" ] && { p=0; f=1; }
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    pass=$((pass + p)); fail=$((fail + f))
done

# ---- 4. interop with the AWS SDK for JavaScript v3 -------------------------------------
# C writes, the SDK reads: schema and JSON equality.
printf '%s' '{"user":{"id":42,"name":"Zo\u00eb \"z\" <zoe@example.com>"},"scores":[1,2.5,-3e-7],"flag":true,"none":null,"emoji":"\ud83d\ude00","nested":{"a":[{"b":{}}]}}' > "$work/c.json"
id=$("$bin" interop-write "$work/c.json" 2>"$work/iw.log")
if [ $? -eq 0 ] && [ -n "$id" ]; then
    ok "interop: C store writes a session"
    if (cd "$node_dir" && node ddb_interop.mjs "$endpoint" "$table" check "$id" "$work/c.json" 1); then
        ok "interop: the SDK reads our item (schema, same JSON)"
    else bad "interop: the SDK reads our item (schema, same JSON)"; fi
else cat "$work/iw.log"; bad "interop: C store writes a session"; fi

# The SDK writes like the Python app (raw id, no version), C loads and updates it.
printf '%s' '{"csrf":"abc","cart":[{"sku":"x-1","qty":2}],"ratio":0.1,"big":9007199254740993,"unicode":"\u65e5\u672c"}' > "$work/py.json"
pyid=py-$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')
if (cd "$node_dir" && node ddb_interop.mjs "$endpoint" "$table" put "$pyid" "$work/py.json"); then
    ok "interop: the SDK writes a Python-style item"
    if "$bin" interop-read "$pyid" "$work/py.json" "$work/py2.json"; then
        ok "interop: C store loads and updates the SDK's item"
        if (cd "$node_dir" && node ddb_interop.mjs "$endpoint" "$table" check "$pyid" "$work/py2.json" 1); then
            ok "interop: the SDK reads the updated item (version 1)"
        else bad "interop: the SDK reads the updated item (version 1)"; fi
    else bad "interop: C store loads and updates the SDK's item"; fi
else bad "interop: the SDK writes a Python-style item"; fi

finish
