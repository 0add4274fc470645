#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing, runs the cheapest checks
# first, then native Rust tests, builds wasm + dist, and runs the JS test suites.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
start=$(date +%s)
step() { echo; echo "==> [$(( $(date +%s) - start ))s] $*"; }

step "npm dependencies"
# also after package-lock.json changes (new dependencies), not only on a fresh clone
if [ ! -x node_modules/.bin/vitest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

step "toolchain"
bash scripts/setup-toolchain.sh

step "format and lint (Rust)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test (core, natively)"
cargo test --workspace --quiet

# The wgpu backend: its own target dir (the feature changes the core's build), clippy, and the
# parity, failure, training and golden tests on Vulkan (Mesa's lavapipe where there is no GPU).
step "cargo test --features gpu (wgpu on Vulkan)"
CARGO_TARGET_DIR="$PWD/target/gpu" cargo clippy -p ferrograd-core --features gpu --all-targets --quiet -- -D warnings
CARGO_TARGET_DIR="$PWD/target/gpu" cargo test -p ferrograd-core --features gpu --quiet --test gpu_parity --test gpu_failures --test gpu_training --test golden --test fused_act

step "build wasm"
bash scripts/build-wasm.sh
# the glue `npm run train` makes without wasm-pack is the same
bash scripts/check-bindgen.sh

step "typecheck (tsc strict)"
tsc -p tsconfig.json --noEmit

step "bundle dist (rollup)"
rollup -c rollup.config.mjs --silent

step "vitest (Node)"
vitest run

# The same dist/ in the other hosts: headless Chromium (vitest browser mode, Debian's chromium),
# then Deno and Bun (from npm).
step "vitest (headless Chromium)"
vitest run -c vitest.browser.config.ts

step "Deno"
node scripts/test-runtime.mjs deno

step "Bun"
node scripts/test-runtime.mjs bun

# The package as users meet it: `npm pack`, installed into fresh projects in a temp dir (Node,
# TypeScript, a Vite app in Chromium, Deno via npm:, Bun), then the web trainer app built from
# the tarball and driven through training in Chromium (screenshots in out/screenshots/).
step "consumers of the packed tarball"
node scripts/test-consumers.mjs

step "web app (examples/web-trainer)"
node scripts/test-webapp.mjs

step "done in $(( $(date +%s) - start ))s"
