#!/bin/sh
# tools/split.sh DIR [HEADER]
# Splits dynsess.h (or HEADER) into its section fragments in DIR, the inverse of
# tools/amalgamate.sh:
#   DIR/00_manual.h                     the usage manual (top comment)
#   DIR/NN_<section>.decl.h / .impl.h   each section's declarations / implementation
#   DIR/99_license.h                    the license (bottom)
# A fragment starts at a section banner: a line "/* ====...====" or "/* ----...----"
# followed by a line "   @tag" or "   @store >name". Use it to work on several
# sections in parallel, then `sh tools/amalgamate.sh dynsess.h DIR`.
# tests/checks/amalgamation.sh checks that split + amalgamate gives dynsess.h back.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
hdr=${2:-$top/dynsess.h}
mkdir -p "$dir"
rm -f "$dir"/[0-9][0-9]_*.h
awk -v dir="$dir" '
function name_of(line,   t) {
    t = line; sub(/^   @/, "", t); sub(/ .*$/, "", t)
    if (t == "store" && line ~ /^   @store >/) { t = line; sub(/^   @store >/, "", t); sub(/ .*$/, "", t); t = "store_" t }
    if (t in num) return num[t]
    print "split: unknown section tag in: " line > "/dev/stderr"; exit 2
}
function flush(   i) {
    if (out == "") return
    # the amalgamation adds one blank line after each fragment: drop it
    if (n > 0 && buf[n] == "") n--
    for (i = 1; i <= n; i++) print buf[i] > out
    close(out); n = 0; out = ""
}
BEGIN {
    num["config"] = "10_config"; num["json"] = "20_json"; num["crypto"] = "30_crypto"
    num["sigv4"] = "40_sigv4"; num["transport"] = "50_transport"; num["store"] = "60_store"
    num["store_memory"] = "61_memory"; num["store_cookie"] = "62_cookie"
    num["store_dynamodb"] = "63_dynamodb"; num["session"] = "70_session"
    part = "manual"; out = dir "/00_manual.h"; n = 0; pending = ""
}
part == "manual" && /^#ifndef DYNSESS_H$/ { flush(); part = "decl"; next }
/^#endif \/\* DYNSESS_H \*\/$/ {
    # drop the generated closing of extern "C" (and the blank line before it)
    if (n >= 4 && buf[n] == "" && buf[n-1] == "#endif" && buf[n-2] == "}" && buf[n-3] == "#ifdef __cplusplus") n -= 4
    flush(); part = "between"; next
}
/^#endif \/\* DYNSESS_IMPLEMENTATION \*\/$/ { flush(); part = "license"; out = dir "/99_license.h"; skipblank = 1; next }
part == "license" { if (skipblank && $0 == "") { skipblank = 0; next } skipblank = 0; buf[++n] = $0; next }
part == "manual" { buf[++n] = $0; next }
part == "between" && /^#define DYNSESS__IMPLEMENTED$/ { part = "impl"; next }
{
    if (pending != "") {
        if ($0 ~ /^   @[a-z]/) { flush(); out = dir "/" name_of($0) "." part ".h"; buf[++n] = pending; buf[++n] = $0; pending = ""; next }
        if (out != "") buf[++n] = pending
        pending = ""
    }
    if ($0 ~ /^\/\* (=+|-+)$/ && length($0) > 60) { pending = $0; next }
    if (out != "") { buf[++n] = $0; next }
    # outside any fragment: only the generated glue lines are expected here
}
END { if (pending != "" && out != "") buf[++n] = pending; flush() }
' "$hdr"
