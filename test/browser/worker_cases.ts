/**
 * The background-training cases, shared by Node (`test/workers.test.ts`, worker_threads) and
 * headless Chromium (`workers.browser.test.ts`, module Web Workers). Each host passes its
 * `spawnTrainer`, how it reaches Fashion-MNIST, and how a worker dies there without the client
 * noticing (Node: an exit event; browsers: silence, caught by the heartbeat).
 * @module
 */
import { expect } from 'vitest';
import type { DataSpec, FitResult, LayerSpec, ModelSpec, ProgressEvent, SpawnTrainerOptions, TrainerClient } from 'ferrograd';
import { syntheticImages } from './portable.js';

export interface WorkerHost {
  spawn: (opts?: SpawnTrainerOptions) => Promise<TrainerClient>;
  /** Fashion-MNIST as this host reaches it (files in Node, URLs in the page). */
  fashionMnist: DataSpec;
  /** Kills the worker behind the client's back; `expected` matches the reason pending calls get. */
  killFromOutside: { spawnOptions: SpawnTrainerOptions; kill: (t: TrainerClient) => void; expected: RegExp };
}

export interface WorkerCase {
  name: string;
  run: (host: WorkerHost) => Promise<void>;
}

/** A small convnet with dropout and momentum, so a resume must restore RNG and optimizer state. */
const SMALL: ModelSpec = {
  kind: 'sequential',
  seed: 5,
  layers: [
    { type: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
    { type: 'relu' },
    { type: 'maxpool2d', kernelSize: 2, stride: 2 },
    { type: 'flatten' },
    { type: 'dropout', p: 0.3 },
    { type: 'linear', outFeatures: 10 },
  ],
  optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
};

/** Fresh arrays each time: loadData transfers (detaches) them. 640 / 32 = 20 batches per epoch. */
function smallData(batchSize = 32): DataSpec {
  return { kind: 'bytes', train: syntheticImages(640, 10, 11), val: syntheticImages(96, 10, 12), batchSize, seed: 9 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  expect(a.length, `${what}: byte length`).toBe(b.length);
  let first = -1;
  for (let i = 0; i < a.length && first < 0; i++) if (a[i] !== b[i]) first = i;
  expect(first, `${what}: first differing byte`).toBe(-1);
}

async function trained(host: WorkerHost, model: ModelSpec, maxEpochs: number): Promise<Uint8Array> {
  const t = await host.spawn();
  try {
    await t.createModel(model);
    await t.loadData(smallData());
    const r = await t.fit({ maxEpochs });
    expect(r.cancelled).toBe(false);
    return await t.getStateDict();
  } finally {
    await t.dispose();
  }
}

async function resumed(host: WorkerHost, checkpoint: Uint8Array, maxEpochs: number): Promise<{ weights: Uint8Array; result: FitResult }> {
  const t = await host.spawn();
  try {
    const pos = await t.restore(checkpoint);
    expect(pos.state).toBe('idle');
    await t.loadData(smallData());
    const result = await t.fit({ maxEpochs });
    return { weights: await t.getStateDict(), result };
  } finally {
    await t.dispose();
  }
}

export const workerCases: WorkerCase[] = [
  {
    name: 'trains LeNet on Fashion-MNIST in the background; progress arrives while it trains',
    async run(host) {
      const t = await host.spawn();
      try {
        const info = await t.createModel({ kind: 'lenet', seed: 0, optimizer: { type: 'adam', lr: 0.01 } });
        expect(info.parameters).toBe(61706);
        const data = await t.loadData({ ...host.fashionMnist, batchSize: 64, seed: 1, trainLimit: 4096, valLimit: 1000 });
        expect([data.train, data.val, data.batches]).toEqual([4096, 1000, 64]);
        const events: { e: ProgressEvent; at: number }[] = [];
        let settledAt = 0;
        const r = await t.fit({ maxEpochs: 2, progressHz: 20 }, { onProgress: (e) => events.push({ e, at: performance.now() }) }).finally(() => (settledAt = performance.now()));
        const batchEvents = events.filter((x) => x.e.type === 'batch');
        expect(batchEvents.length).toBeGreaterThan(4);
        // events come during training: the first one reports an early step, long before the end
        expect(batchEvents[0]!.e.step).toBeLessThan(64);
        expect(batchEvents[0]!.at).toBeLessThan(settledAt);
        expect(events.at(-1)!.e).toMatchObject({ type: 'epoch', epoch: 2, step: 128, partial: false });
        const [e1, e2] = r.epochs;
        expect(e2!.trainLoss).toBeLessThan(e1!.trainLoss);
        expect(e2!.valAcc).toBeGreaterThan(0.4);
        expect(r.images).toBe(8192);
        const ev = await t.evaluate();
        expect(ev.count).toBe(1000);
        // the Trainer averages per-batch means (d2l does), evaluate() counts every example once
        expect(Math.abs(ev.acc - e2!.valAcc!)).toBeLessThan(0.01);
        const p = await t.predict(new Float32Array(3 * 784), [3, 1, 28, 28]);
        expect(p.shape).toEqual([3, 10]);
        expect(p.classes.length).toBe(3);
        const weights = await t.getStateDict();
        const copy = weights.slice();
        await t.setStateDict(weights);
        expect(weights.byteLength).toBe(0);
        expect(await t.getStateDict()).toEqual(copy);
        expect(await t.evaluate()).toEqual(ev);
      } finally {
        await t.dispose();
      }
    },
  },
  {
    name: 'batch events are coalesced to progressHz; none is lost',
    async run(host) {
      const t = await host.spawn();
      try {
        await t.createModel(SMALL);
        await t.loadData(smallData(8)); // 80 fast batches per epoch
        const events: ProgressEvent[] = [];
        const started = performance.now();
        const r = await t.fit({ maxEpochs: 3, progressHz: 4 }, { onProgress: (e) => events.push(e) });
        const seconds = (performance.now() - started) / 1000;
        const batches = events.filter((e) => e.type === 'batch');
        expect(events.filter((e) => e.type === 'epoch').length).toBe(3);
        // at most one per 250 ms, plus the flush before each epoch event
        expect(batches.length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 4);
        expect(batches.reduce((n, e) => n + e.count, 0)).toBe(240);
        expect(batches.at(-1)).toMatchObject({ step: 240, epoch: 2, batch: 80 });
        expect(r.position).toMatchObject({ epoch: 3, batch: 0, step: 240, state: 'idle' });
      } finally {
        await t.dispose();
      }
    },
  },
  {
    name: 'pause stops at a batch boundary, checkpoint works while paused, resume finishes',
    async run(host) {
      const t = await host.spawn();
      try {
        await t.createModel(SMALL);
        const data = smallData(16); // 40 batches per epoch
        await t.loadData(data);
        // transferred, not copied: the caller's arrays are detached
        expect((data as { train: { images: Uint8Array } }).train.images.byteLength).toBe(0);
        const events: ProgressEvent[] = [];
        const fit = t.fit({ maxEpochs: 2, progressHz: Number.POSITIVE_INFINITY }, { onProgress: (e) => events.push(e) });
        await until(() => events.some((e) => e.step >= 5), 'five batches');
        const paused = await t.pause();
        expect(paused.state).toBe('paused');
        await sleep(300);
        expect(Math.max(...events.map((e) => e.step))).toBeLessThanOrEqual(paused.step);
        expect(await t.status()).toMatchObject({ state: 'paused', step: paused.step });
        const ck = await t.checkpoint();
        expect(ck.length).toBeGreaterThan(1000);
        await t.resume();
        const r = await fit;
        expect(r.cancelled).toBe(false);
        expect(r.position.step).toBe(80);
        // every batch is reported once, alone or coalesced with others
        expect(events.reduce((n, e) => n + (e.type === 'batch' ? e.count : 0), 0)).toBe(80);
      } finally {
        await t.dispose();
      }
    },
  },
  {
    name: 'cancel stops within one batch, and fit continues from there',
    async run(host) {
      const t = await host.spawn();
      try {
        // LeNet at batch 128: a batch takes tens of ms, far longer than a message's trip, so
        // "within one batch" is measured, not the main thread's reaction time
        await t.createModel({ kind: 'lenet', seed: 0 });
        await t.loadData({ kind: 'bytes', train: syntheticImages(128 * 30), batchSize: 128, seed: 2 });
        let seen = -1;
        let cancelled: Promise<unknown> | undefined;
        const r = await t.fit(
          { maxEpochs: 50, progressHz: Number.POSITIVE_INFINITY },
          {
            onProgress: (e) => {
              if (e.type === 'batch' && e.step >= 3 && !cancelled) {
                seen = e.step;
                cancelled = t.cancel();
              }
            },
          },
        );
        const at = (await cancelled) as { step: number };
        expect(r.cancelled).toBe(true);
        // the batch running when the request arrived finishes; no other starts
        expect(r.position.step - seen).toBeLessThanOrEqual(2);
        expect(at.step).toBe(r.position.step);
        expect(r.epochs.at(-1)).toMatchObject({ partial: true });
        const rest = await t.fit({ maxEpochs: 1 });
        expect(rest.position).toMatchObject({ epoch: 1, batch: 0, step: 30 });
        expect(rest.epochs).toHaveLength(1);
        expect(rest.epochs[0]!.partial).toBe(false);
        expect(rest.images).toBe(128 * (30 - r.position.step));
      } finally {
        await t.dispose();
      }
    },
  },
  {
    name: 'checkpoint + restore in a new worker ends with the same weights as an uninterrupted run',
    async run(host) {
      const reference = await trained(host, SMALL, 3);
      const b = await host.spawn();
      let ck: Uint8Array;
      let atCheckpoint: Uint8Array;
      try {
        await b.createModel(SMALL);
        await b.loadData(smallData());
        let cancelled = false;
        const r = await b.fit(
          { maxEpochs: 3, progressHz: Number.POSITIVE_INFINITY },
          {
            onProgress: (e) => {
              if (e.type === 'batch' && e.step >= 29 && !cancelled) {
                cancelled = true;
                void b.cancel();
              }
            },
          },
        );
        expect(r.cancelled).toBe(true);
        expect(r.position.step).toBeGreaterThanOrEqual(29);
        expect(r.position.step).toBeLessThan(60);
        ck = await b.checkpoint();
        atCheckpoint = await b.getStateDict();
      } finally {
        b.terminate();
      }
      const c = await resumed(host, ck, 3);
      expect(c.result.position.step).toBe(60);
      sameBytes(c.weights, reference, 'weights after restore vs uninterrupted');
      expect(c.weights).not.toEqual(atCheckpoint);
    },
  },
  {
    name: 'a terminated worker rejects pending calls; its last pushed checkpoint resumes to the same weights',
    async run(host) {
      const reference = await trained(host, SMALL, 2);
      const d = await host.spawn();
      await d.createModel(SMALL);
      await d.loadData(smallData());
      const fit = d.fit(
        { maxEpochs: 2, progressHz: Number.POSITIVE_INFINITY, checkpointEvery: 8 },
        {
          onProgress: (e) => {
            if (e.step >= 27) d.terminate();
          },
        },
      );
      await expect(fit).rejects.toMatchObject({ name: 'TrainerGoneError', message: expect.stringMatching(/^fit: the training worker was terminated/) });
      await expect(d.status()).rejects.toMatchObject({ name: 'TrainerGoneError' });
      expect(d.goneReason).toMatch(/terminated/);
      const info = d.lastCheckpointInfo!;
      expect(info.position.step % 8).toBe(0);
      expect(info.position.step).toBeGreaterThanOrEqual(16);
      const e = await resumed(host, d.lastCheckpoint!, 2);
      sameBytes(e.weights, reference, 'weights resumed from the last pushed checkpoint');
    },
  },
  {
    name: 'a worker killed behind the client’s back rejects the pending call instead of hanging',
    async run(host) {
      const t = await host.spawn(host.killFromOutside.spawnOptions);
      await t.createModel(SMALL);
      await t.loadData(smallData(8));
      let killed = false;
      const fit = t.fit(
        { maxEpochs: 100, progressHz: Number.POSITIVE_INFINITY },
        {
          onProgress: () => {
            if (!killed) {
              killed = true;
              host.killFromOutside.kill(t);
            }
          },
        },
      );
      const { expected } = host.killFromOutside;
      await expect(fit).rejects.toMatchObject({ name: 'TrainerGoneError', message: expect.stringMatching(new RegExp(`^fit: the training worker ${expected.source}`)) });
      await expect(t.gone).resolves.toMatch(expected);
    },
  },
  {
    name: "builds d2l's VGG (with its arch) and ResNet-18 from specs; ResNet-18 trains on resized bytes",
    async run(host) {
      const t = await host.spawn();
      try {
        // two 3x3 blocks (8, 16 channels) at 28x28: 80 + 1168 conv, then 784->4096->4096->10
        const vgg = await t.createModel({ kind: 'vgg', arch: [[1, 8], [1, 16]], seed: 0 });
        expect(vgg.parameters).toBe(20_038_890);
        expect(vgg.layers.at(-1)).toBe('Linear(in_features=4096, out_features=10, bias=True)');
        const resnet = await t.createModel({ kind: 'resnet18', seed: 0, inputShape: [1, 96, 96] });
        expect(resnet.parameters).toBe(11_178_378);
        await t.loadData({ kind: 'bytes', train: syntheticImages(8), resize: 96, batchSize: 4, seed: 0 });
        const r = await t.fit({ maxEpochs: 1 });
        expect(r.position.step).toBe(2);
        expect(Number.isFinite(r.epochs[0]!.trainLoss)).toBe(true);
      } finally {
        await t.dispose();
      }
    },
  },
  {
    name: 'errors in the worker reject with their own message, and the worker keeps working',
    async run(host) {
      const t = await host.spawn();
      try {
        await expect(t.fit({ maxEpochs: 1 })).rejects.toThrow('fit: no model yet; call createModel(spec) or restore(checkpoint) first');
        await expect(t.createModel({ kind: 'lenett' } as unknown as ModelSpec)).rejects.toThrow('createModel: unknown model kind "lenett" (expected lenet, vgg, resnet18, sequential)');
        await expect(t.createModel({ kind: 'vgg', arch: [[1, 0]] })).rejects.toThrow('createModel: vgg arch[0][1] must be a positive integer, got 0');
        // a shape error from the core, raised while the lazy layers see their first input
        await expect(t.createModel({ kind: 'sequential', layers: [{ type: 'conv2d', outChannels: 2, kernelSize: 40 }] })).rejects.toThrow(/conv2d: kernel height 40 is larger than the padded input height 28/);
        const bad = syntheticImages(10);
        await expect(t.loadData({ kind: 'bytes', train: { images: bad.images.subarray(0, 700), labels: bad.labels } })).rejects.toThrow('loadData: train has 10 labels, so its images need 7840 bytes (28x28 each), got 700');
        await expect(t.restore(new Uint8Array([1, 2, 3]))).rejects.toThrow(/safetensors: the file is 3 bytes/);
        const threeClasses = { ...SMALL, layers: [...(SMALL as { layers: LayerSpec[] }).layers.slice(0, -1), { type: 'linear', outFeatures: 3 }] } as ModelSpec;
        await t.createModel(threeClasses);
        await t.loadData(smallData());
        // labels 0..9 for a 3-class head: the loss rejects them in the first training step
        await expect(t.fit({ maxEpochs: 1 })).rejects.toThrow(/^cross_entropy: label index \d is out of range for 3 classes/);
        expect((await t.status()).state).toBe('idle');
        await t.createModel(SMALL);
        await t.loadData(smallData());
        const r = await t.fit({ maxEpochs: 1 });
        expect(r.epochs[0]!.trainLoss).toBeLessThan(2.3);
      } finally {
        await t.dispose();
      }
    },
  },
];
