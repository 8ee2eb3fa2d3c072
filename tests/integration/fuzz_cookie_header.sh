#!/bin/sh
# tests/integration/fuzz_cookie_header.sh BUILD_DIR - @session Cookie header fuzzing,
# bounded: replays tests/fuzz/corpus_cookie_header/ through the libFuzzer harness, then
# fuzzes for a fixed number of runs with a fixed seed (FUZZ_COOKIE_RUNS, default 50000;
# new inputs go to a temporary directory).
# Last line: "fuzz_cookie_header: N passed, N failed".
set -u
build=${1:-build}
bin=$build/fuzz/fuzz_cookie_header
runs=${FUZZ_COOKIE_RUNS:-50000}
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ ! -x "$bin" ]; then
    echo "missing $bin (make tests builds it)"
    echo "fuzz_cookie_header: 0 passed, 1 failed"; exit 1
fi
corpus=tests/fuzz/corpus_cookie_header
if "$bin" -runs=0 $corpus >"$tmp/replay.log" 2>&1; then
    echo "ok   replay $(ls $corpus | wc -l) seed inputs"; pass=$((pass + 1))
else
    echo "FAIL replay"; tail -n 30 "$tmp/replay.log"; fail=$((fail + 1))
fi
mkdir "$tmp/new"
if "$bin" -seed=1 -runs="$runs" -max_len=4096 -max_total_time=60 -timeout=10 -rss_limit_mb=1024 \
        "$tmp/new" $corpus >"$tmp/fuzz.log" 2>&1; then
    echo "ok   fuzz $runs runs ($(tail -n 1 "$tmp/fuzz.log"))"; pass=$((pass + 1))
else
    echo "FAIL fuzz"; tail -n 40 "$tmp/fuzz.log"; fail=$((fail + 1))
fi
echo "fuzz_cookie_header: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
