#!/bin/sh
# tests/integration/fuzz_json.sh BUILD_DIR - @json fuzzing, bounded: replays the seed
# corpus (tests/fuzz/corpus_json/ plus JSONTestSuite's test_parsing/) through the
# libFuzzer harness, then fuzzes for a fixed number of runs with a fixed seed
# (FUZZ_JSON_RUNS, default 300000; new inputs go to a temporary directory).
# Last line: "fuzz_json: N passed, N failed".
set -u
build=${1:-build}
bin=$build/fuzz/fuzz_json
runs=${FUZZ_JSON_RUNS:-300000}
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ ! -x "$bin" ]; then
    echo "missing $bin (make tests builds it)"
    echo "fuzz_json: 0 passed, 1 failed"; exit 1
fi
corpus="tests/fuzz/corpus_json tests/vectors/JSONTestSuite/test_parsing"
# 1. replay: -runs=0 executes every corpus input once
if "$bin" -runs=0 $corpus >"$tmp/replay.log" 2>&1; then
    echo "ok   replay $(ls $corpus | wc -l) seed inputs"; pass=$((pass + 1))
else
    echo "FAIL replay"; tail -n 30 "$tmp/replay.log"; fail=$((fail + 1))
fi
# 2. bounded fuzzing from the seeds
mkdir "$tmp/new"
if "$bin" -seed=1 -runs="$runs" -max_len=4096 -max_total_time=60 -timeout=10 -rss_limit_mb=1024 \
        "$tmp/new" $corpus >"$tmp/fuzz.log" 2>&1; then
    echo "ok   fuzz $runs runs ($(tail -n 1 "$tmp/fuzz.log"))"; pass=$((pass + 1))
else
    echo "FAIL fuzz"; tail -n 40 "$tmp/fuzz.log"; fail=$((fail + 1))
fi
echo "fuzz_json: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
