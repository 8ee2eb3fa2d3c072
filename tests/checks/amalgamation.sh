#!/bin/sh
# dynsess.h is the source of truth. For parallel work it can be split into its
# section fragments (tools/split.sh) and joined again (tools/amalgamate.sh); this
# check keeps that round trip exact, so the tools always work on the real header.
top=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
pass=0; fail=0
if sh "$top/tools/split.sh" "$t/parts" "$top/dynsess.h" && \
   sh "$top/tools/amalgamate.sh" "$t/dynsess.h" "$t/parts" && cmp -s "$t/dynsess.h" "$top/dynsess.h"; then
    echo "ok   split + amalgamate gives dynsess.h back"; pass=$((pass + 1))
else
    echo "FAIL split + amalgamate does not give dynsess.h back"; fail=$((fail + 1))
fi
n=$(ls "$t/parts" 2>/dev/null | wc -l)
if [ "$n" -eq 22 ]; then
    echo "ok   22 fragments: manual, 10 sections x (decl, impl), license"; pass=$((pass + 1))
else
    echo "FAIL expected 22 fragments, got $n: a section banner is missing or unknown"; fail=$((fail + 1))
fi
echo "amalgamation: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
