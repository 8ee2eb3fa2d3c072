#!/bin/sh
# dynsess.h is generated from src/ by tools/amalgamate.sh and committed; this
# check fails when the committed file is not what src/ generates.
top=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
sh "$top/tools/amalgamate.sh" "$t/dynsess.h"
if cmp -s "$t/dynsess.h" "$top/dynsess.h"; then
    echo "ok   dynsess.h matches src/"; echo "amalgamation: 1 passed, 0 failed"
else
    echo "FAIL dynsess.h differs from what src/ generates (run: make dynsess.h)"
    echo "amalgamation: 0 passed, 1 failed"; exit 1
fi
