#!/usr/bin/env node
// `npm run train -- [options]`: the main job. Builds the wasm core on first use (installing only
// the tools training needs, and only the variants this host loads), then runs the trainer CLI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (!existsSync(`${root}/node_modules/.bin/tsx`)) run('npm', ['ci', '--no-audit', '--no-fund']);
// The loader's choices (ts/wasm.ts): the single-threaded SIMD128 glue always (it is imported
// statically), the threaded build in Node, and the relaxed-SIMD files where V8 validates a
// relaxed instruction, as the loader's own probe decides in the CLI's process: Node >= 21, and
// Node 20 once ts/cli-engine.ts has turned V8's flag on (unless FERROGRAD_RELAXED_SIMD=0). The
// same decision here, before tsx exists (the probe is ts/relaxed_probe.ts's).
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);
const relaxedOff = ['0', 'false'].includes(process.env.FERROGRAD_RELAXED_SIMD ?? '');
if (!relaxedOff && !WebAssembly.validate(RELAXED_PROBE)) setFlagsFromString('--experimental-wasm-relaxed-simd');
const relaxed = !relaxedOff && WebAssembly.validate(RELAXED_PROBE);
const files = {
  simd: 'simd/ferrograd_wasm_bg.wasm',
  threads: 'threads/ferrograd_wasm_threads_bg.wasm',
  'simd-relaxed': 'simd-relaxed/ferrograd_wasm_relaxed_bg.wasm',
  'threads-relaxed': 'threads-relaxed/ferrograd_wasm_threads_relaxed_bg.wasm',
};
const needed = ['simd', 'threads', ...(relaxed ? ['simd-relaxed', 'threads-relaxed'] : [])];
const missing = needed.filter((v) => !existsSync(`${root}/build/wasm/${files[v]}`));
if (missing.length) {
  run('bash', ['scripts/setup-toolchain.sh', '--train']);
  run('bash', ['scripts/build-wasm.sh', ...missing.includes('simd') ? needed : missing]);
}
run(`${root}/node_modules/.bin/tsx`, ['ts/cli.ts', 'train', ...process.argv.slice(2)]);
