// The main job beside its benchmark: `ferrograd train lenet` (the CLI, the d2l API, real
// Fashion-MNIST, progress drawing off) for two epochs in a child process on a given thread
// count, as `npm run train` runs it (V8's default tiering, no bench flags). The second epoch's
// training images/s is the steady state the "epoch = step" compares with the step row.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function benchEpoch(root, threads, { trainLimit } = {}) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'ferrograd-epoch-'));
  try {
    const argv = ['ts/cli.ts', 'train', 'lenet', '--epochs', '2', '--quiet', '--out', out];
    if (trainLimit) argv.push('--train-limit', String(trainLimit), '--val-limit', String(Math.ceil(trainLimit / 6)));
    const started = performance.now();
    const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), argv, {
      cwd: root,
      env: { ...process.env, FERROGRAD_THREADS: String(threads) },
      encoding: 'utf8',
    });
    if (r.status !== 0) return { error: `ferrograd train failed (${r.status}): ${(r.stderr || r.stdout).trim().split('\n').pop()}` };
    const { history } = JSON.parse(readFileSync(path.join(out, 'lenet.json'), 'utf8'));
    const last = history[history.length - 1];
    return {
      name: 'LeNet epoch (CLI, batch 128)',
      threads,
      epochs: history.map((h) => ({ imgs: h.imagesPerSecond, seconds: h.seconds })),
      imgs: last.imagesPerSecond,
      wallSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
