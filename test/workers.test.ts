// Background training in Node worker threads, through the shipped bundle (dist/node.js and
// dist/trainer.worker.node.js: npm test builds dist/ before this runs). The cases are shared
// with the Chromium run (test/browser/worker_cases.ts).
import { describe, expect, it } from 'vitest';
import type * as Ferrograd from 'ferrograd';
import { workerCases, type WorkerHost } from './browser/worker_cases.js';

// A runtime specifier: tsc checks this file against the sources, vitest loads the bundle.
const dist = new URL('../dist/node.js', import.meta.url).href;
const lib = (await import(/* @vite-ignore */ dist)) as typeof Ferrograd;

const host: WorkerHost = {
  spawn: (opts) => lib.spawnTrainer(opts),
  fashionMnist: { kind: 'fashion-mnist', systemDir: '/usr/share/datasets/fashion-mnist', ...(process.env.FERROGRAD_DATA ? { root: process.env.FERROGRAD_DATA } : {}) },
  killFromOutside: {
    spawnOptions: {},
    // what a crash or an out-of-memory kill looks like from the parent: the thread exits
    kill: (t) => void (t.worker as Ferrograd.NodeWorkerLike).terminate(),
    expected: /exited with code 1/,
  },
};

describe('training in a worker thread (Node, Comlink)', () => {
  for (const c of workerCases) it(c.name, () => c.run(host));

  it('the worker runs the CPU kernels on the threads asked for, and says how many', async () => {
    for (const threads of [1, 2]) {
      const t = await lib.spawnTrainer({ threads });
      try {
        expect(await t.createModel({ kind: 'lenet', seed: 0 })).toMatchObject({ device: 'cpu', cpuThreads: threads });
      } finally {
        await t.terminate();
      }
    }
  });

  it('a worker that runs out of memory rejects with a clear error; the checkpoint taken before restores', async () => {
    const t = await lib.spawnTrainer({ resourceLimits: { maxOldGenerationSizeMb: 24 } });
    await t.createModel({ kind: 'lenet', seed: 0 });
    const ck = await t.checkpoint();
    const before = ck.slice();
    // 400,000 layer objects do not fit a 24 MB heap
    const huge = Array.from({ length: 400_000 }, () => ({ type: 'relu' as const }));
    await expect(t.createModel({ kind: 'sequential', layers: huge })).rejects.toMatchObject({
      name: 'TrainerGoneError',
      message: expect.stringMatching(/^createModel: the training worker crashed: .*(out of memory|memory limit)/),
    });
    expect(ck).toEqual(before);
    const u = await lib.spawnTrainer();
    try {
      expect(await u.restore(ck)).toMatchObject({ epoch: 0, batch: 0, state: 'idle' });
      expect(await u.checkpoint()).toEqual(ck);
    } finally {
      await u.dispose();
    }
  });
});

// Compile-time: specs and results are typed end to end through Comlink's Remote<TrainerApi>.
export async function typeChecks(t: Ferrograd.TrainerClient): Promise<void> {
  // @ts-expect-error no such model kind
  await t.createModel({ kind: 'alexnet' });
  // @ts-expect-error vgg needs its arch
  await t.createModel({ kind: 'vgg' });
  // @ts-expect-error maxEpochs is required
  await t.fit({ progressHz: 10 });
  const r: Ferrograd.FitResult = await t.fit({ maxEpochs: 1 }, { onProgress: (e) => (e.type === 'batch' ? e.loss : e.valAcc) });
  // @ts-expect-error positions are numbers
  const s: string = r.position.step;
  void s;
  const remote: Ferrograd.TrainerApi['checkpoint'] extends () => Promise<Uint8Array> ? true : never = true;
  void remote;
}
