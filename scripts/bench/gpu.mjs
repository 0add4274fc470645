// GPU rows for `npm run bench`: runs the native wgpu benchmark
// (crates/ferrograd-core/examples/gpu_bench.rs: sgemm 1024³/4096³, LeNet and ResNet-18@96
// conv layers forward+backward, LeNet and ResNet-18@96 training img/s) on the machine's Vulkan
// adapter and prints its rows. On a CPU adapter (lavapipe, SwiftShader) the figures are for
// correctness only — software Vulkan says nothing about GPU speed — and the 4096³ and ResNet-18
// rows are skipped unless `full`. Usage: `node scripts/bench/gpu.mjs [--quick] [--full]`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs the benchmark; resolves to `{ adapter, cpuAdapter, rows: [{name, unit, value}] }`, or null without a GPU. */
export async function benchGpu({ quick = false, full = false, print = console.log } = {}) {
  const args = ['run', '--release', '--quiet', '-p', 'ferrograd-core', '--features', 'gpu', '--example', 'gpu_bench', '--', '--json'];
  if (quick) args.push('--quick');
  if (full) args.push('--full');
  const r = spawnSync('cargo', args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CARGO_TARGET_DIR: path.join(root, 'target/gpu') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) {
    print(`\ngpu: no result (${(r.stderr.split('\n').filter((l) => /error|adapter/i.test(l))[0] ?? `exit ${r.status}`).trim()})`);
    return null;
  }
  const out = JSON.parse(line);
  print(`\ngpu (wgpu, Vulkan): ${out.adapter}`);
  if (out.cpuAdapter) print('  a CPU adapter (software Vulkan): figures are for correctness only, not GPU speed');
  for (const row of out.rows) print(`${row.name.padEnd(44)}${row.value.toFixed(2).padStart(12)} ${row.unit}`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await benchGpu({ quick: process.argv.includes('--quick'), full: process.argv.includes('--full') });
}
