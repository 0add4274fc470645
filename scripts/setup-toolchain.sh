#!/usr/bin/env bash
# Makes this machine able to build ferrograd: Rust with the wasm32 target, wasm-pack,
# wasm-bindgen-cli (exactly the version Cargo.lock pins), and the Debian packages the tests use.
# Idempotent and cheap when everything is present: it checks versions, not mere presence.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WASM_PACK_VERSION=0.15.1
say() { echo "setup: $*"; }
# --train: only what `npm run train` uses (the build tools and Fashion-MNIST); browsers, Vulkan
# drivers, Deno and Bun belong to `npm test`.
TRAIN_ONLY=0
[ "${1:-}" = "--train" ] && TRAIN_ONLY=1
die() { echo "setup: ERROR: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }
has_apt() { command -v apt-get >/dev/null 2>&1; }
apt_updated=0
apt_install() {
  # Installs Debian packages when we can; otherwise says what to install.
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if is_root && has_apt; then
    say "installing Debian packages: ${missing[*]}"
    if [ $apt_updated = 0 ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing packages: ${missing[*]}. Install them (e.g. sudo apt-get install ${missing[*]}) and rerun."
  fi
}

# ---- 1. Rust with the wasm32 target ---------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
  die "no Rust toolchain found. Install rustup (https://rustup.rs) and rerun; on Debian without rustup see ../shared/TOOLCHAIN.md (rustc-web route)."
fi
has_wasm_target() {
  local sysroot
  sysroot=$(rustc --print sysroot)
  [ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]
}
if ! has_wasm_target; then
  if command -v rustup >/dev/null 2>&1; then
    say "adding the wasm32-unknown-unknown target with rustup"
    rustup target add wasm32-unknown-unknown >/dev/null
  else
    die "rustc $(rustc --version) has no wasm32-unknown-unknown target and rustup is absent. Install rustup, or follow the Debian rustc-web route in ../shared/TOOLCHAIN.md (build std for wasm32, rustup toolchain link)."
  fi
fi
has_wasm_target || die "the wasm32-unknown-unknown target is still missing after setup"

# ---- 1b. nightly + rust-src for the threaded build -------------------------------------------
# Wasm threads need std rebuilt with atomics (-Z build-std), which only nightly does, from the
# rust-src component. Checked by directory, so a second run costs nothing.
if command -v rustup >/dev/null 2>&1; then
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    say "installing the nightly toolchain (threaded wasm build, ~1 min)"
    rustup toolchain install nightly --profile minimal >/dev/null
  fi
  nightly_sysroot=$(rustup run nightly rustc --print sysroot)
  if [ ! -d "$nightly_sysroot/lib/rustlib/src/rust/library/std" ]; then
    say "adding rust-src to nightly"
    rustup component add rust-src --toolchain nightly >/dev/null
  fi
  if [ ! -d "$nightly_sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ]; then
    say "adding the wasm32-unknown-unknown target to nightly"
    rustup target add wasm32-unknown-unknown --toolchain nightly >/dev/null
  fi
else
  die "the threaded wasm build needs a nightly toolchain with rust-src (rustup toolchain install nightly; rustup component add rust-src --toolchain nightly); rustup is absent"
fi

# ---- 2. wasm-pack and wasm-bindgen-cli (exact versions) -----------------------------------
version_of() { "$1" --version 2>/dev/null | awk '{print $2}'; }
# (training installs neither: scripts/build-wasm.sh then runs cargo and tools/bindgen, the
# wasm-bindgen CLI's library at the same version, which it builds beside the wasm)
if [ $TRAIN_ONLY = 0 ] && [ "$(version_of wasm-pack || true)" != "$WASM_PACK_VERSION" ]; then
  say "installing wasm-pack $WASM_PACK_VERSION (cargo install, ~150 s on 2 cores)"
  cargo install wasm-pack --locked --version "$WASM_PACK_VERSION" --quiet
fi
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
[ -n "$BINDGEN_VERSION" ] || die "could not read the wasm-bindgen version from Cargo.lock"
grep -q "wasm-bindgen-cli-support = \"=$BINDGEN_VERSION\"" tools/bindgen/Cargo.toml \
  || die "tools/bindgen/Cargo.toml must pin wasm-bindgen-cli-support = \"=$BINDGEN_VERSION\" (Cargo.lock's wasm-bindgen)"
if [ $TRAIN_ONLY = 0 ] && [ "$(version_of wasm-bindgen || true)" != "$BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $BINDGEN_VERSION (cargo install, ~180 s on 2 cores)"
  # No --locked: its lockfile pins a webpki-roots release the registry here does not serve.
  cargo install wasm-bindgen-cli --version "$BINDGEN_VERSION" --quiet
fi

# ---- 3. wasm-opt from npm binaryen ------------------------------------------------------------
[ -x node_modules/.bin/wasm-opt ] || die "node_modules/.bin/wasm-opt is missing: run 'npm ci' first"

# ---- 4. Debian packages used by tests ---------------------------------------------------------
# The official Fashion-MNIST files (/usr/share/datasets/fashion-mnist), for data and training tests.
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  if has_apt; then apt_install dataset-fashion-mnist; else say "warning: Fashion-MNIST not found; data tests will use FERROGRAD_DATA or skip"; fi
fi
if [ $TRAIN_ONLY = 1 ]; then
  say "ok (training only): $(rustc --version | awk '{print $1, $2}'), nightly $(rustup run nightly rustc --version | awk '{print $2}'), wasm-bindgen $BINDGEN_VERSION (tools/bindgen)"
  exit 0
fi
# Headless Chromium for the browser suites (vitest browser mode drives it through playwright-core;
# browsers cannot be downloaded here, so it is Debian's). CHROMIUM_PATH names another Chrome.
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  apt_install chromium
fi
# Deno and Bun come from npm (devDependencies); `npm ci` puts them in node_modules/.bin.
for rt in deno bun; do
  [ -x "node_modules/.bin/$rt" ] || die "node_modules/.bin/$rt is missing: run 'npm ci' first"
done
# ---- 6. A Vulkan driver for the GPU tests -----------------------------------------------------
# Mesa's lavapipe (a CPU Vulkan) runs the native wgpu tests and Deno's WebGPU; Node's Dawn and
# Chromium use SwiftShader, which Debian's chromium ships. Both are for correctness only.
if ! ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1; then
  if has_apt; then apt_install mesa-vulkan-drivers libvulkan1; else say "warning: no lavapipe Vulkan driver (mesa-vulkan-drivers); the native GPU tests need a Vulkan driver"; fi
fi
[ -f node_modules/webgpu/package.json ] || die "node_modules/webgpu is missing: run 'npm ci' (Dawn for the Node GPU tests)"

say "ok: $(rustc --version | awk '{print $1, $2}'), nightly $(rustup run nightly rustc --version | awk '{print $2}'), wasm-pack $(version_of wasm-pack), wasm-bindgen $(version_of wasm-bindgen), wasm-opt $(node_modules/.bin/wasm-opt --version | awk '{print $3}'), $("${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser)}" --version 2>/dev/null | awk '{print $1, $2}'), deno $(node_modules/.bin/deno --version | awk 'NR==1 {print $2}'), bun $(node_modules/.bin/bun --version)"
