#!/usr/bin/env bash
# Builds the wasm variants with wasm-pack (release) and optimises them with npm binaryen's
# wasm-opt. Output: build/wasm/<variant>/ (glue JS, .d.ts, .wasm). Incremental: cargo skips
# unchanged crates, and wasm-opt only runs on a new .wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

build_variant() {
  local variant=$1 rustflags=$2
  local out="build/wasm/$variant"
  RUSTFLAGS="$rustflags" CARGO_TARGET_DIR="$PWD/target/wasm-$variant" \
    wasm-pack --quiet build crates/ferrograd-wasm --release --target web --no-pack \
      --out-dir "../../$out" 2>&1 | grep -v -E 'failed to get wasm-pack version|^\s*$' || true
  local wasm="$out/ferrograd_wasm_bg.wasm"
  [ -f "$wasm" ] || { echo "build-wasm: $variant build produced no $wasm" >&2; exit 1; }
  if [ ! -f "$wasm.opt-stamp" ] || [ "$wasm" -nt "$wasm.opt-stamp" ]; then
    wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals "$wasm" -o "$wasm.tmp"
    mv "$wasm.tmp" "$wasm"
    touch "$wasm.opt-stamp"
  fi
  rm -f "$out/.gitignore"
  echo "build-wasm: $variant $(stat -c %s "$wasm") bytes"
}

build_variant simd "-C target-feature=+simd128"
