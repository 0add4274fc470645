#!/usr/bin/env bash
# Builds the wasm variants and optimises them with npm binaryen's wasm-opt. Output:
# build/wasm/<variant>/ (glue JS, .d.ts, .wasm). The variants compile concurrently (each is one
# LTO'd crate with codegen-units = 1, so one compile keeps one core busy most of the time), then
# each gets its glue and wasm-opt. Incremental: cargo skips unchanged crates, and wasm-opt only
# runs on a new .wasm.
# Usage: build-wasm.sh [VARIANT...] (default all four: simd simd-relaxed threads threads-relaxed;
# `npm run train` builds only those its host loads).
set -euo pipefail
cd "$(dirname "$0")/.."
WANT=" ${*:-simd simd-relaxed threads threads-relaxed} "
wanted() { [[ "$WANT" == *" $1 "* ]]; }
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
# Two drivers, the same two steps (cargo build, then wasm-bindgen --target web --typescript):
# - wasm-pack where it is installed (`npm test`, releases);
# - cargo + tools/bindgen otherwise (`npm run train`, which installs neither wasm-pack nor the
#   wasm-bindgen CLI: tools/bindgen is the CLI's library, wasm-bindgen-cli-support, at Cargo.lock's
#   version, without the test runner's server and TLS; it builds in ~55 s beside the wasm).
# FERROGRAD_WASM_DRIVER (wasm-pack | cargo) forces one. `npm test` checks that both give the
# same glue (scripts/check-bindgen.sh).
DRIVER=${FERROGRAD_WASM_DRIVER:-$(command -v wasm-pack >/dev/null 2>&1 && echo wasm-pack || echo cargo)}
BINDGEN="$PWD/target/bindgen/debug/ferrograd-bindgen"
PIDS=()
NAMES=()

# compile VARIANT OUT_NAME RUSTFLAGS [TOOLCHAIN [CARGO ARGS...]]: starts the variant's build in
# the background (wasm-pack: the glue too). Each variant has its own target dir and file names, so
# they build side by side and a bundler can ship them side by side.
compile() {
  local variant=$1 name=$2 rustflags=$3 toolchain=${4:-}
  shift $(( $# < 4 ? $# : 4 ))
  local out="build/wasm/$variant" target="$PWD/target/wasm-$variant"
  (
    export RUSTUP_TOOLCHAIN="${toolchain:-${RUSTUP_TOOLCHAIN:-}}" RUSTFLAGS="$rustflags" CARGO_TARGET_DIR="$target"
    [ -n "$RUSTUP_TOOLCHAIN" ] || unset RUSTUP_TOOLCHAIN
    set +e
    if [ "$DRIVER" = wasm-pack ]; then
      wasm-pack --quiet build crates/ferrograd-wasm --release --target web --no-pack \
        --out-dir "../../$out" --out-name "$name" -- "$@"
    else
      cargo build --quiet --manifest-path crates/ferrograd-wasm/Cargo.toml --lib --release \
        --target wasm32-unknown-unknown "$@"
    fi 2>&1 | grep -v -E 'failed to get wasm-pack version|^\s*$|unstable feature specified for `-Ctarget-feature`|this feature is not stably supported|^\s*\|\s*$|^\s*= note:' \
      | sed "s/^/[$variant] /"
    exit "${PIPESTATUS[0]}"
  ) &
  PIDS+=($!)
  NAMES+=("$variant")
}

# finish VARIANT OUT_NAME: the glue (cargo driver), wasm-opt, and the size line.
finish() {
  local variant=$1 name=$2
  local out="build/wasm/$variant" target="$PWD/target/wasm-$variant"
  if [ "$DRIVER" = cargo ]; then
    "$BINDGEN" "$target/wasm32-unknown-unknown/release/ferrograd_wasm.wasm" "$out" "$name"
  fi
  local wasm="$out/${name}_bg.wasm"
  [ -f "$wasm" ] || { echo "build-wasm: $variant build produced no $wasm" >&2; exit 1; }
  if [ ! -f "$wasm.opt-stamp" ] || [ "$wasm" -nt "$wasm.opt-stamp" ]; then
    wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-threads --enable-relaxed-simd \
      "$wasm" -o "$wasm.tmp"
    mv "$wasm.tmp" "$wasm"
    touch "$wasm.opt-stamp"
  fi
  rm -f "$out/.gitignore"
  echo "build-wasm: $variant $(stat -c %s "$wasm") bytes"
}

if [ "$DRIVER" = cargo ]; then
  # tools/bindgen builds beside the wasm compiles (its own workspace and target dir).
  ( set +e; cargo build --quiet --manifest-path tools/bindgen/Cargo.toml --target-dir "$PWD/target/bindgen" 2>&1 \
      | sed 's/^/[bindgen] /'; exit "${PIPESTATUS[0]}" ) &
  PIDS+=($!)
  NAMES+=(tools/bindgen)
fi

# 1. Single-threaded, SIMD128, with the WebGPU backend: runs everywhere (Node >= 16.4, every
#    current browser, pages without cross-origin isolation).
wanted simd && compile simd ferrograd_wasm "-C target-feature=+simd128"

# 2. The same with relaxed SIMD: the register-tile kernels (GEMM, convolution) multiply-add with
#    f32x4.relaxed_madd (an FMA where the host has one; sgemm +25% in V8 on x86-64). The cfg
#    enables the `relaxed-simd` feature on those kernels only (not crate-wide: LLVM would turn
#    pmin/pmax elsewhere into relaxed_min/max, whose NaN results are up to the host). Node 20
#    refuses to compile any module that contains a relaxed opcode, so this is a separate file the
#    loader picks only where WebAssembly.validate accepts a one-instruction relaxed probe.
wanted simd-relaxed && compile simd-relaxed ferrograd_wasm "-C target-feature=+simd128 --cfg ferrograd_relaxed"

# 3. Threaded (CPU only; see crates/ferrograd-wasm/Cargo.toml): atomics and a shared, imported
#    memory (max 4 GiB: a small VGG at 224x224 trains in ~1.5 GiB), std rebuilt with atomics
#    (nightly + rust-src, -Z build-std). Without the explicit link args the memory is not shared
#    and handing it to a worker fails with "DataCloneError: #<Memory> could not be cloned"; the
#    TLS exports let wasm-bindgen give each worker its own thread-locals and stack.
THREADS_FLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 \
-C link-arg=--shared-memory -C link-arg=--max-memory=4294967296 -C link-arg=--import-memory \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"
wanted threads && compile threads ferrograd_wasm_threads "$THREADS_FLAGS" nightly -Z build-std=panic_abort,std

# 4. Threaded with relaxed SIMD (as 2.).
wanted threads-relaxed && compile threads-relaxed ferrograd_wasm_threads "$THREADS_FLAGS --cfg ferrograd_relaxed" nightly -Z build-std=panic_abort,std

# wait_all WHAT: waits for every started job; fails naming those that failed.
wait_all() {
  local failed=() i
  for i in "${!PIDS[@]}"; do wait "${PIDS[$i]}" || failed+=("${NAMES[$i]}"); done
  PIDS=()
  NAMES=()
  [ ${#failed[@]} -eq 0 ] || { echo "build-wasm: $1 of ${failed[*]} failed" >&2; exit 1; }
}
wait_all "the build"
# glue and wasm-opt (single-threaded), also side by side
for v in simd simd-relaxed threads threads-relaxed; do
  if wanted "$v"; then
    finish "$v" "$([[ $v == threads* ]] && echo ferrograd_wasm_threads || echo ferrograd_wasm)" &
    PIDS+=($!)
    NAMES+=("$v")
  fi
done
wait_all "the glue or wasm-opt step"

# A relaxed build differs from its SIMD128 twin only inside the kernels: it is built under the
# twin's name, so its imports name the same glue module, and the loader instantiates it with the
# twin's glue (one glue file per pair in dist/). Checked here, so a change that breaks this fails
# the build, not a user's page. The .wasm then gets its own name, to ship beside the twin's.
relaxed_twin() {
  local variant=$1 twin=$2 name=$3
  cmp -s "build/wasm/$variant/$name.js" "build/wasm/$twin/$name.js" \
    || { echo "build-wasm: the glue of $variant and $twin differs; the loader could not share it" >&2; exit 1; }
  local from="build/wasm/$variant/${name}_bg.wasm" to="build/wasm/$variant/${name}_relaxed_bg.wasm"
  if [ ! -f "$to" ] || [ "$from" -nt "$to" ]; then cp -p "$from" "$to"; fi
}
if wanted simd-relaxed; then relaxed_twin simd-relaxed simd ferrograd_wasm; fi
if wanted threads-relaxed; then relaxed_twin threads-relaxed threads ferrograd_wasm_threads; fi
