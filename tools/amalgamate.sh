#!/bin/sh
# tools/amalgamate.sh OUT [OVERRIDE.h ...]
# Builds the single header dynsess.h from the section fragments in src/:
#   src/00_manual.h                 the usage manual (top comment)
#   src/NN_<section>.decl.h         declarations, in NN order, inside the DYNSESS_H guard
#   src/NN_<section>.impl.h         implementation, in NN order, inside DYNSESS_IMPLEMENTATION
#   src/99_license.h                license (bottom)
# An OVERRIDE file replaces the src/ fragment with the same base name (for work in progress).
# The committed dynsess.h is this script's output; `make check-amalgamation` verifies it is current.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=$1; shift
frag() { # $1 = path in src/
    b=$(basename "$1")
    for o in $overrides; do
        if [ "$(basename "$o")" = "$b" ]; then echo "$o"; return; fi
    done
    echo "$1"
}
overrides="$*"
parts() { # $1 = decl|impl: src/ fragments plus overrides that src/ lacks, in NN order
    { for f in "$here"/src/[0-9][0-9]_*."$1".h; do [ -f "$f" ] && echo "$f"; done
      for o in $overrides; do
          case "$(basename "$o")" in [0-9][0-9]_*."$1".h)
              [ -f "$here/src/$(basename "$o")" ] || echo "$o" ;;
          esac
      done; } | while read -r f; do echo "$(basename "$f") $f"; done | sort | cut -d' ' -f2
}
tmp="$out.tmp.$$"
{
    cat "$(frag "$here/src/00_manual.h")"
    printf '#ifndef DYNSESS_H\n#define DYNSESS_H\n\n'
    printf '#ifdef __cplusplus\nextern "C" {\n#endif\n\n'
    for f in $(parts decl); do cat "$(frag "$f")"; echo; done
    printf '#ifdef __cplusplus\n}\n#endif\n\n#endif /* DYNSESS_H */\n\n'
    printf '#if defined(DYNSESS_IMPLEMENTATION) && !defined(DYNSESS__IMPLEMENTED)\n#define DYNSESS__IMPLEMENTED\n\n'
    for f in $(parts impl); do cat "$(frag "$f")"; echo; done
    printf '#endif /* DYNSESS_IMPLEMENTATION */\n\n'
    cat "$(frag "$here/src/99_license.h")"
} > "$tmp"
mv "$tmp" "$out"
