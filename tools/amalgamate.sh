#!/bin/sh
# tools/amalgamate.sh OUT DIR [OVERRIDE.h ...]
# Joins the section fragments in DIR (made by tools/split.sh) into one header OUT:
#   DIR/00_manual.h                 the usage manual (top comment)
#   DIR/NN_<section>.decl.h         declarations, in NN order, inside the DYNSESS_H guard
#   DIR/NN_<section>.impl.h         implementation, in NN order, inside DYNSESS_IMPLEMENTATION
#   DIR/99_license.h                license (bottom)
# An OVERRIDE file replaces the DIR fragment with the same base name, or adds a new
# NN_ fragment (several people working on sections in parallel, each on a private copy).
# dynsess.h itself is the source of truth; tests/checks/amalgamation.sh checks that
# split + amalgamate gives it back byte for byte.
set -eu
out=$1; here=$2; shift 2
frag() { # $1 = path in DIR
    b=$(basename "$1")
    for o in $overrides; do
        if [ "$(basename "$o")" = "$b" ]; then echo "$o"; return; fi
    done
    echo "$1"
}
overrides="$*"
parts() { # $1 = decl|impl: DIR fragments plus overrides that DIR lacks, in NN order
    { for f in "$here"/[0-9][0-9]_*."$1".h; do [ -f "$f" ] && echo "$f"; done
      for o in $overrides; do
          case "$(basename "$o")" in [0-9][0-9]_*."$1".h)
              [ -f "$here/$(basename "$o")" ] || echo "$o" ;;
          esac
      done; } | while read -r f; do echo "$(basename "$f") $f"; done | sort | cut -d' ' -f2
}
tmp="$out.tmp.$$"
{
    cat "$(frag "$here/00_manual.h")"
    printf '#ifndef DYNSESS_H\n#define DYNSESS_H\n\n'
    printf '#ifdef __cplusplus\nextern "C" {\n#endif\n\n'
    for f in $(parts decl); do cat "$(frag "$f")"; echo; done
    printf '#ifdef __cplusplus\n}\n#endif\n\n#endif /* DYNSESS_H */\n\n'
    printf '#if defined(DYNSESS_IMPLEMENTATION) && !defined(DYNSESS__IMPLEMENTED)\n#define DYNSESS__IMPLEMENTED\n\n'
    for f in $(parts impl); do cat "$(frag "$f")"; echo; done
    printf '#endif /* DYNSESS_IMPLEMENTATION */\n\n'
    cat "$(frag "$here/99_license.h")"
} > "$tmp"
mv "$tmp" "$out"
