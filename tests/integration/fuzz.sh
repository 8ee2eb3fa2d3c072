#!/bin/sh
# tests/integration/fuzz.sh BUILD_DIR - the libFuzzer harnesses, bounded: each
# replays its seed corpus, then fuzzes a fixed number of runs with a fixed seed
# (new inputs go to a temporary folder, never into the repo).
#   fuzz_json           tests/fuzz/corpus_json + JSONTestSuite   FUZZ_JSON_RUNS (300000)
#   fuzz_cookie_header  tests/fuzz/corpus_cookie_header          FUZZ_COOKIE_RUNS (50000)
#   fuzz_dynamodb_reply tests/fuzz/corpus_dynamodb_reply         FUZZ_DDB_RUNS (100000)
#   fuzz_http_reply     tests/fuzz/corpus_http_reply             FUZZ_HTTP_RUNS (20000)
#   fuzz_sigv4          tests/fuzz/corpus_sigv4                  FUZZ_SIGV4_RUNS (200000)
# Last line: "fuzz: N passed, N failed".
set -u
IT_NAME=fuzz; . "$(dirname "$0")/../lib/integration.sh"
cd "$top"

# fuzz_one HARNESS RUNS CORPUS...
fuzz_one() {
    h=$1; runs=$2; shift 2
    bin=$build/fuzz/$h
    [ -x "$bin" ] || { bad "$h: missing $bin (make tests builds it)"; return; }
    if "$bin" -runs=0 "$@" > "$work/out" 2>&1; then
        ok "$h: replay $(ls "$@" | wc -l) seed inputs"
    else
        tail -n 30 "$work/out" > "$work/tail"; mv "$work/tail" "$work/out"; bad "$h: replay"
    fi
    rm -rf "$work/new"; mkdir "$work/new"
    if "$bin" -seed=1 -runs="$runs" -max_len=4096 -max_total_time=60 -timeout=10 -rss_limit_mb=1024 \
            "$work/new" "$@" > "$work/out" 2>&1; then
        ok "$h: fuzz $runs runs ($(tail -n 1 "$work/out"))"
    else
        tail -n 40 "$work/out" > "$work/tail"; mv "$work/tail" "$work/out"; bad "$h: fuzz"
    fi
    rm -f "$work/out"
}

fuzz_one fuzz_json "${FUZZ_JSON_RUNS:-300000}" tests/fuzz/corpus_json tests/vectors/JSONTestSuite/test_parsing
fuzz_one fuzz_cookie_header "${FUZZ_COOKIE_RUNS:-50000}" tests/fuzz/corpus_cookie_header
fuzz_one fuzz_dynamodb_reply "${FUZZ_DDB_RUNS:-100000}" tests/fuzz/corpus_dynamodb_reply
fuzz_one fuzz_http_reply "${FUZZ_HTTP_RUNS:-20000}" tests/fuzz/corpus_http_reply
fuzz_one fuzz_sigv4 "${FUZZ_SIGV4_RUNS:-200000}" tests/fuzz/corpus_sigv4
finish
