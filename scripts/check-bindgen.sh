#!/usr/bin/env bash
# `npm run train` makes the glue with tools/bindgen, `npm test` and releases with wasm-pack (which
# runs the wasm-bindgen CLI): this checks, after a wasm-pack build, that tools/bindgen turns the
# same cargo output into the same glue (.js and .d.ts files, byte for byte), for each variant
# built. Usage: check-bindgen.sh (after scripts/build-wasm.sh with the wasm-pack driver).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --quiet --manifest-path tools/bindgen/Cargo.toml --target-dir "$PWD/target/bindgen"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checked=0
for v in simd simd-relaxed threads threads-relaxed; do
  raw="target/wasm-$v/wasm32-unknown-unknown/release/ferrograd_wasm.wasm"
  [ -f "$raw" ] && [ -d "build/wasm/$v" ] || continue
  name=ferrograd_wasm
  [[ $v == threads* ]] && name=ferrograd_wasm_threads
  target/bindgen/debug/ferrograd-bindgen "$raw" "$tmp/$v" "$name"
  for f in "$name.js" "$name.d.ts" "${name}_bg.wasm.d.ts"; do
    cmp -s "$tmp/$v/$f" "build/wasm/$v/$f" || {
      echo "check-bindgen: $v/$f from tools/bindgen differs from wasm-pack's:" >&2
      diff "build/wasm/$v/$f" "$tmp/$v/$f" | head -20 >&2
      exit 1
    }
  done
  checked=$((checked + 1))
done
[ $checked -gt 0 ] || { echo "check-bindgen: no wasm-pack build to compare with (run scripts/build-wasm.sh first)" >&2; exit 1; }
echo "check-bindgen: tools/bindgen gives wasm-pack's glue for $checked variant(s)"
