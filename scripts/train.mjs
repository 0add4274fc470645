#!/usr/bin/env node
// `npm run train -- [options]`: the main job. Builds the wasm core on first use (installing the
// toolchain if needed), then runs the trainer CLI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (!existsSync(`${root}/node_modules/.bin/tsx`)) run('npm', ['ci', '--no-audit', '--no-fund']);
if (!existsSync(`${root}/build/wasm/simd/ferrograd_wasm_bg.wasm`)) {
  run('bash', ['scripts/setup-toolchain.sh']);
  run('bash', ['scripts/build-wasm.sh']);
}
run(`${root}/node_modules/.bin/tsx`, ['ts/cli.ts', 'train', ...process.argv.slice(2)]);
