#!/bin/sh
# Builds native/test/sanitize_sizes.cpp with AddressSanitizer + UBSan and runs it.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${TMPDIR:-/tmp}/mer-flow-sanitize
g++ -std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-math-errno -fopenmp-simd -pthread \
  "$here"/test/sanitize_sizes.cpp "$here"/src/tvl1.cpp "$here"/src/thread_pool.cpp \
  "$here"/src/gaussian.cpp "$here"/src/bicubic.cpp "$here"/src/gradient.cpp \
  "$here"/src/median.cpp "$here"/src/strain.cpp "$here"/src/warp.cpp -o "$out"
"$out"
