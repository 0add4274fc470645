/// <reference types="vite/client" />
// Background training in module Web Workers of a cross-origin-isolated Chromium page, through
// the browser bundle (dist/index.js starts dist/trainer.worker.js). The cases are shared with
// Node (worker_cases.ts); here a worker killed from outside is only noticed by the heartbeat.
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from 'ferrograd';
import { workerCases, type WorkerHost } from './worker_cases.js';

const fmUrl = (name: string): string => new URL(`/@fs/usr/share/datasets/fashion-mnist/${name}.gz`, location.href).href;

const host: WorkerHost = {
  spawn: (opts) => lib.spawnTrainer(opts),
  fashionMnist: {
    kind: 'fashion-mnist',
    mirrors: [],
    urls: { trainImages: fmUrl('train-images-idx3-ubyte'), trainLabels: fmUrl('train-labels-idx1-ubyte'), valImages: fmUrl('t10k-images-idx3-ubyte'), valLabels: fmUrl('t10k-labels-idx1-ubyte') },
  },
  killFromOutside: {
    spawnOptions: { heartbeat: { intervalMs: 100, timeoutMs: 1500 } },
    // a crashed or killed worker fires nothing in the page; only the heartbeat notices
    kill: (t) => (t.worker as Worker).terminate(),
    expected: /stopped answering \(no heartbeat for 1500 ms\) and was terminated/,
  },
};

describe('training in a module Web Worker (Chromium, Comlink)', () => {
  beforeAll(() => lib.init({ wasmUrl: new URL('../../dist/ferrograd_wasm_bg.wasm', import.meta.url) }));

  it('the worker loads the .wasm from an explicit URL too', async () => {
    const t = await lib.spawnTrainer({ wasmUrl: new URL('../../dist/ferrograd_wasm_bg.wasm', import.meta.url) });
    try {
      expect((await t.createModel({ kind: 'lenet' })).parameters).toBe(61706);
    } finally {
      await t.dispose();
    }
  });

  it('a worker script that fails to load rejects spawnTrainer instead of hanging', async () => {
    const broken = new Worker(URL.createObjectURL(new Blob(['throw new Error("boom at load")'], { type: 'text/javascript' })), { type: 'module' });
    await expect(lib.spawnTrainer({ worker: broken })).rejects.toMatchObject({ name: 'TrainerGoneError', message: expect.stringMatching(/^init: the training worker crashed: .*boom at load/) });
  });

  for (const c of workerCases) it(c.name, () => c.run(host));
});
