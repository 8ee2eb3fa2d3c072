#!/bin/sh
# Compiles dynsess.h warning-free as C99 (gcc, clang) and C++11 (g++), with and
# without DYNSESS_STATIC, and includes it twice (stb: separate include and
# implementation guards). Prints "header: N passed, N failed".
top=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
pass=0; fail=0
cat > "$t/m.c" <<'C'
#include "dynsess.h"
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "dynsess.h"
int main(void) { return dynsess_strerror(DYNSESS_OK)[0] == 'o' ? 0 : 1; }
C
for cc in "gcc -std=c99" "clang -std=c99" "g++ -x c++ -std=c++11" "clang++ -x c++ -std=c++11"; do
  for def in "" "-DDYNSESS_STATIC"; do
    if $cc -Wall -Wextra -Wpedantic -Werror $def -I"$top" "$t/m.c" -o "$t/m" -lpthread 2>"$t/err" && "$t/m"; then
      echo "ok   $cc $def"; pass=$((pass+1))
    else
      echo "FAIL $cc $def"; head -n 20 "$t/err"; fail=$((fail+1))
    fi
  done
done
# optional sections and backends (implementation-only macros), C99 and C++11
for def in -DDYNSESS_NO_PLAIN_TRANSPORT -DDYNSESS_WITH_CURL -DDYNSESS_USE_BEARSSL -DDYNSESS_CRYPTO_PORTABLE \
           "-DDYNSESS_WITH_CURL -DDYNSESS_USE_BEARSSL -DDYNSESS_STATIC"; do
  for cc in "gcc -std=c99" "g++ -x c++ -std=c++11"; do
    if $cc -Wall -Wextra -Wpedantic -Werror $def -I"$top" -c "$t/m.c" -o "$t/m.o" 2>"$t/err"; then
      echo "ok   $cc $def"; pass=$((pass+1))
    else
      echo "FAIL $cc $def"; head -n 20 "$t/err"; fail=$((fail+1))
    fi
  done
done
echo "header: $pass passed, $fail failed"
[ $fail -eq 0 ]
