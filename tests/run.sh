#!/bin/sh
# tests/run.sh - runs every test of `make test` and prints the closing line
#   "total: N passed, N failed"
# Each step is a program whose last output line is "<name>: N passed, N failed".
# Steps: header compile checks, the C unit tests (normal build, then ASan+UBSan
# build), then the integration scripts tests/integration/*.sh.
# Usage: tests/run.sh [BUILD_DIR]   (set TEST_FILTER=substring to run a subset of steps)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
total_pass=0; total_fail=0; broken=""
log=$build/test-logs; mkdir -p "$log"

step() { # name, command...
    name=$1; shift
    case "$name" in *"${TEST_FILTER:-}"*) ;; *) return 0 ;; esac
    out="$log/$(echo "$name" | tr '/ ' '__').log"
    "$@" > "$out" 2>&1
    rc=$?
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
    p=$(echo "$line" | sed -nE 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\2/p')
    f=$(echo "$line" | sed -nE 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\3/p')
    if [ -z "$p" ]; then p=0; f=1; fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    if [ "$f" -ne 0 ]; then
        echo "FAIL $name ($p passed, $f failed, exit $rc) - log: $out"
        grep -E '^(FAIL|  )' "$out" | head -n 40
        tail -n 5 "$out"
        broken="$broken $name"
    else
        echo "ok   $name ($p passed)"
    fi
}

cd "$top"
for s in "$top"/tests/checks/*.sh; do [ -f "$s" ] && step "check/$(basename "$s" .sh)" sh "$s" "$build"; done
for t in "$build"/normal/test_*; do [ -x "$t" ] && step "unit/$(basename "$t")" "$t"; done
for t in "$build"/asan/test_*; do [ -x "$t" ] && step "asan/$(basename "$t")" "$t"; done
for t in "$build"/extra/*; do [ -x "$t" ] && step "extra/$(basename "$t")" "$t"; done
for s in "$top"/tests/integration/*.sh; do [ -f "$s" ] && step "integration/$(basename "$s" .sh)" sh "$s" "$build"; done

[ -n "$broken" ] && echo "failed steps:$broken"
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
