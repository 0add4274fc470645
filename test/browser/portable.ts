/**
 * The portable suite: what must hold on every host (Chromium, Deno, Bun; Node runs the full
 * vitest suites). It depends on no test runner, so each host wraps the same cases in its own:
 * vitest browser mode (`suite.browser.test.ts`) and plain scripts under Deno and Bun
 * (`test/deno/smoke.ts`, `test/bun/smoke.ts`) that exit non-zero on the first failed case.
 * The library is passed in so each host tests the bundle it would ship with: `dist/index.js`
 * in the browser, `dist/node.js` under Deno and Bun.
 * @module
 */
import type * as Ferrograd from 'ferrograd';

export type Lib = typeof Ferrograd;
type Tensor = Ferrograd.Tensor;

export interface Case {
  name: string;
  run: (lib: Lib) => void | Promise<void>;
}

export class CheckError extends Error {
  override name = 'CheckError';
}

function fail(msg: string): never {
  throw new CheckError(msg);
}

export function eq(actual: unknown, expected: unknown, what = 'value'): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) fail(`${what}: got ${a}, expected ${e}`);
}

export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what = 'values', tol = 1e-5): void {
  if (actual.length !== expected.length) fail(`${what}: ${actual.length} elements, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) fail(`${what}[${i}]: got ${a}, expected ${e}`);
  }
}

export function ok(cond: boolean, what: string): void {
  if (!cond) fail(what);
}

/** `fn` throws an Error whose message contains every needle. */
export function throwsWith(fn: () => unknown, ...needles: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof Error)) fail(`expected an Error, got ${String(err)}`);
  for (const n of needles) if (!err.message.includes(n)) fail(`error message ${JSON.stringify(err.message)} lacks ${JSON.stringify(n)}`);
}

/** d2l §7.2's `corr2d`, written with the tensor API as the book writes it. */
export function corr2d(lib: Lib, X: Tensor, K: Tensor): Tensor {
  const [h, w] = K.shape as [number, number];
  const [H, W] = X.shape as [number, number];
  const rows: Tensor[] = [];
  for (let i = 0; i < H - h + 1; i++) {
    const row: Tensor[] = [];
    for (let j = 0; j < W - w + 1; j++) row.push(X.slice(0, i, i + h).slice(1, j, j + w).mul(K).sum());
    rows.push(lib.stack(row));
  }
  return lib.stack(rows);
}

/**
 * `n` 28×28 images whose class decides where a bright 8×8 patch sits, plus deterministic noise:
 * learnable in a few steps, no files needed. Classes cycle 0..classes-1.
 */
export function syntheticImages(n: number, classes = 10, seed = 1): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  let s = seed >>> 0;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    labels[i] = c;
    const r0 = 2 + 8 * Math.floor(c / 3);
    const c0 = 2 + 8 * (c % 3);
    for (let k = 0; k < 784; k++) images[i * 784 + k] = rnd() >> 2;
    for (let r = r0; r < r0 + 8; r++) for (let q = c0; q < c0 + 8; q++) images[i * 784 + r * 28 + q] = 200 + (rnd() >> 3);
  }
  return { images, labels };
}

export const cases: Case[] = [
  {
    name: 'tensor ops and PyTorch-style printing',
    run(lib) {
      const x = lib.tensor([[0, 1, 2], [3, 4, 5]]);
      eq(x.shape, [2, 3], 'shape');
      eq(x.matmul(x.t()).toArray(), [[5, 14], [14, 50]], 'x @ x.T');
      eq(x.add(lib.tensor([10, 20, 30])).toArray(), [[10, 21, 32], [13, 24, 35]], 'broadcast add');
      eq(x.sum(0).toArray(), [3, 5, 7], 'sum(0)');
      close(x.mean().dataSync(), [2.5], 'mean');
      eq(x.reshape(3, 2).toArray(), [[0, 1], [2, 3], [4, 5]], 'reshape');
      eq(lib.cat([x, x], 0).shape, [4, 3], 'cat');
      eq(lib.tensor([[19, 25], [37, 43]]).toString(), 'tensor([[19., 25.],\n        [37., 43.]])', 'print');
      eq(lib.tensor([1.0153, -0.9675]).toString(), 'tensor([ 1.0153, -0.9675])', 'print signs');
      eq(lib.tensor([1e-5, 1]).toString(), 'tensor([1.0000e-05, 1.0000e+00])', 'print sci');
      eq(lib.arange(4).toString(), 'tensor([0, 1, 2, 3])', 'print ints');
      lib.manualSeed(1);
      const a = Array.from(lib.rand([64]).dataSync());
      lib.manualSeed(1);
      eq(Array.from(lib.rand([64]).dataSync()), a, 'manualSeed reproduces rand');
    },
  },
  {
    name: 'autograd: gradients of matmul, broadcasting and softmax cross-entropy',
    run(lib) {
      const x = lib.tensor([[0, 1, 2], [3, 4, 5]], { requiresGrad: true });
      const y = x.matmul(x.t()).sum();
      y.backward();
      eq(x.grad!.toArray(), [[6, 10, 14], [6, 10, 14]], 'd sum(x x^T)/dx');
      eq(x.grad!.toString(), 'tensor([[ 6., 10., 14.],\n        [ 6., 10., 14.]])', 'grad printed');
      const w = lib.tensor([1, 2, 3], { requiresGrad: true });
      const b = lib.tensor(0.5, { requiresGrad: true });
      w.mul(lib.tensor([[1, 1, 1], [2, 2, 2]])).add(b).pow(2).sum().backward();
      // d/dw_j sum_i (s_i w_j + b)^2 = sum_i 2 s_i (s_i w_j + b), s = [1, 2]
      close(w.grad!.dataSync(), [1, 2, 3].map((wj) => 2 * (wj + 0.5) + 4 * (2 * wj + 0.5)), 'dw');
      close(b.grad!.dataSync(), [[1, 2, 3].reduce((s, wj) => s + 2 * (wj + 0.5) + 2 * (2 * wj + 0.5), 0)], 'db');
      const logits = lib.tensor([[2, 0, -1]], { requiresGrad: true });
      lib.F.crossEntropy(logits, lib.tensor([0], { dtype: 'int64' })).backward();
      const e = [2, 0, -1].map(Math.exp);
      const z = e.reduce((s, v) => s + v, 0);
      close(logits.grad!.dataSync(), e.map((v, i) => v / z - (i === 0 ? 1 : 0)), 'dCE/dlogits');
    },
  },
  {
    name: 'a bad call throws a clear Error, then the same instance keeps computing',
    run(lib) {
      throwsWith(() => lib.F.conv2d(lib.zeros([1, 3, 5, 5]), lib.zeros([2, 4, 3, 3])), 'conv2d', '[1, 3, 5, 5]', '[2, 4, 3, 3]');
      throwsWith(() => lib.tensor([[1, 2]]).matmul(lib.tensor([[1, 2]])), 'matmul');
      throwsWith(() => lib.zeros([2, 3]).reshape(4, 2), 'reshape');
      const y = lib.F.conv2d(lib.ones([1, 1, 3, 3]), lib.ones([1, 1, 2, 2]), { bias: lib.tensor([0.5]) });
      eq(y.toArray(), [[[[4.5, 4.5], [4.5, 4.5]]]], 'conv2d after the errors');
      eq(lib.F.maxPool2d(lib.tensor([[[[1, 2], [3, 4]]]]), 2).item(), 4, 'maxPool2d after the errors');
    },
  },
  {
    name: 'nn layers: Linear, Conv2d, pooling, Sequential, state dict round trip',
    run(lib) {
      const lin = new lib.nn.Linear(3, 2);
      lin.loadStateDict({ weight: lib.tensor([[1, 0, -1], [0.5, 0.5, 0.5]]), bias: lib.tensor([0, 1]) });
      eq(lin.forward(lib.tensor([[1, 2, 3]])).toArray(), [[-2, 4]], 'Linear');
      const conv = new lib.nn.Conv2d(1, 1, 2, { bias: false });
      conv.loadStateDict({ weight: lib.tensor([[[[0, 1], [2, 3]]]]) });
      eq(conv.forward(lib.arange(9).reshape(1, 1, 3, 3)).toArray(), [[[[19, 25], [37, 43]]]], 'Conv2d = corr2d');
      const net = new lib.nn.Sequential(new lib.nn.LazyConv2d(4, 3, { padding: 1 }), new lib.nn.ReLU(), new lib.nn.MaxPool2d(2, { stride: 2 }), new lib.nn.Flatten(), new lib.nn.LazyLinear(10));
      lib.manualSeed(0);
      const out = net.forward(lib.rand([2, 1, 8, 8]));
      eq(out.shape, [2, 10], 'Sequential output shape');
      eq(net.parameters().map((p) => p.shape), [[4, 1, 3, 3], [4], [10, 64], [10]], 'parameter shapes');
      const copy = new lib.nn.Sequential(new lib.nn.LazyConv2d(4, 3, { padding: 1 }), new lib.nn.ReLU(), new lib.nn.MaxPool2d(2, { stride: 2 }), new lib.nn.Flatten(), new lib.nn.LazyLinear(10));
      lib.manualSeed(0);
      const probe = lib.rand([2, 1, 8, 8]);
      copy.forward(probe);
      const bytes = lib.encodeStateDict(net.stateDict());
      copy.loadStateDict(lib.decodeStateDict(bytes).tensors);
      close(copy.forward(probe).dataSync(), out.dataSync(), 'outputs after a safetensors round trip', 0);
      const bn = new lib.nn.BatchNorm2d(1);
      const z = bn.forward(lib.tensor([[[[1, 3]]], [[[5, 7]]]]));
      close(z.dataSync(), [-1.341635, -0.447212, 0.447212, 1.341635], 'BatchNorm2d', 1e-4);
    },
  },
  {
    name: 'd2l §7.2: corr2d values, edge detection, and learning the kernel',
    run(lib) {
      const X = lib.tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
      const K = lib.tensor([[0, 1], [2, 3]]);
      eq(corr2d(lib, X, K).toArray(), [[19, 25], [37, 43]], 'corr2d(X, K)');
      const E = lib.ones([6, 8]);
      E.slice(1, 2, 6).assign_(0);
      const Y = corr2d(lib, E, lib.tensor([[1, -1]]));
      eq(Y.toArray(), Array.from({ length: 6 }, () => [0, 1, 0, 0, 0, -1, 0]), 'vertical edges');
      eq(corr2d(lib, E.t(), lib.tensor([[1, -1]])).abs().sum().item(), 0, 'no edges in the transpose');
      lib.manualSeed(0);
      const bound = 1 / Math.sqrt(2);
      const weight = lib.rand([1, 1, 1, 2], { low: -bound, high: bound, requiresGrad: true });
      const losses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const l = lib.F.conv2d(E.reshape(1, 1, 6, 8), weight).sub(Y.reshape(1, 1, 6, 7)).pow(2).sum();
        weight.grad = null;
        l.backward();
        weight.sub_(weight.grad!.mul(3e-2));
        losses.push(l.item());
      }
      for (let i = 1; i < losses.length; i++) ok(losses[i]! < losses[i - 1]!, `loss falls every epoch: ${losses.join(', ')}`);
      const [k0, k1] = weight.detach().dataSync();
      ok(Math.abs(k0! - 1) < 0.1 && Math.abs(k1! + 1) < 0.1, `learned kernel ≈ [1, -1], got [${k0}, ${k1}]`);
    },
  },
  {
    name: 'LeNet: training steps on in-memory data lower the loss, and leave memory flat',
    async run(lib) {
      lib.manualSeed(0);
      // Two of the ten classes: the loss first falls from ln(10) towards ln(2) as the unused
      // classes are ruled out, which sigmoid LeNet does within a few dozen steps.
      const data = lib.FashionMNIST.fromArrays({ train: syntheticImages(512, 2), val: syntheticImages(64, 2, 7) }, { batchSize: 32, seed: 3 });
      const model = new lib.d2l.LeNet({ lr: 0.5 });
      model.board.display = false;
      model.applyInit([lib.zeros([1, 1, 28, 28])], lib.d2l.initCnn);
      const losses: number[] = [];
      const trainer = new lib.d2l.Trainer({ maxEpochs: 2, onBatch: (p) => losses.push(p.loss) });
      const history = await trainer.fit(model, data);
      eq(losses.length, 32, 'batches trained');
      const mean = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
      const head = mean(losses.slice(0, 4));
      const tail = mean(losses.slice(-8));
      ok(head > 1.5 && tail < 1.0, `loss falls: first 4 batches ${head.toFixed(4)}, last 8 ${tail.toFixed(4)} (${losses.map((l) => l.toFixed(3)).join(' ')})`);
      eq(history.length, 2, 'epochs');
      ok(history[1]!.valLoss !== undefined && Number.isFinite(history[1]!.valLoss), 'validation loss');
      // A second fit on the same model: parameters and optimizer buffers exist now, so the
      // live tensor count must come back to where it started.
      // Epochs free what they make (step scopes); only garbage from before, which finalizers
      // collect on the host's schedule, may still go, so the counts cannot grow.
      const settled = lib.memory();
      await new lib.d2l.Trainer({ maxEpochs: 2 }).fit(model, data);
      const after = lib.memory();
      ok(after.liveTensors <= settled.liveTensors && after.bytes <= settled.bytes, `live tensors and bytes do not grow over two more epochs: ${settled.liveTensors} tensors / ${settled.bytes} B, then ${after.liveTensors} / ${after.bytes}`);
      ok(after.liveTensors > 0 && after.wasmBytes >= after.bytes, `memory stats are consistent: ${JSON.stringify(after)}`);
    },
  },
  {
    name: 'spawnTrainer: LeNet trains in a worker; a checkpoint resumes in another worker to the same weights',
    async run(lib) {
      const data = () => ({ kind: 'bytes' as const, train: syntheticImages(256, 2), batchSize: 32, seed: 1 });
      const model = { kind: 'lenet' as const, seed: 0, optimizer: { type: 'sgd' as const, lr: 0.5, momentum: 0.5 } };
      const a = await lib.spawnTrainer();
      let events = 0;
      let ck: Uint8Array;
      let reference: Uint8Array;
      try {
        ok((await a.createModel(model)).parameters === 61706, 'LeNet parameter count');
        await a.loadData(data());
        const first = await a.fit({ maxEpochs: 1 }, { onProgress: () => events++ });
        ck = await a.checkpoint();
        const second = await a.fit({ maxEpochs: 2 });
        eq(second.position.step, 16, 'steps after two epochs');
        ok(events >= 2, `progress events arrived (${events})`);
        ok(second.epochs[0]!.trainLoss < first.epochs[0]!.trainLoss, `loss falls: ${first.epochs[0]!.trainLoss} then ${second.epochs[0]!.trainLoss}`);
        reference = await a.getStateDict();
      } finally {
        await a.dispose();
      }
      const b = await lib.spawnTrainer();
      try {
        eq(await b.restore(ck), { epoch: 1, batch: 0, step: 0, batches: 0, state: 'idle' }, 'restored position (no data yet)');
        await b.loadData(data());
        await b.fit({ maxEpochs: 2 });
        const resumed = await b.getStateDict();
        ok(resumed.length === reference.length && resumed.every((v, i) => v === reference[i]), 'resumed weights equal the uninterrupted run, byte for byte');
      } finally {
        await b.dispose();
      }
      await lib.spawnTrainer().then((c) => {
        c.terminate();
        return c.status().then(
          () => fail('a call on a terminated worker resolved'),
          (e: Error) => eq([e.name, e.message], ['TrainerGoneError', 'status: the training worker was terminated (terminate() was called)'], 'call after terminate()'),
        );
      });
    },
  },
];

/** Runs every case in order, printing one line each; throws after the first failure. */
export async function runCases(lib: Lib, host: string, log: (line: string) => void = console.log): Promise<void> {
  const started = Date.now();
  for (const c of cases) {
    const t = Date.now();
    try {
      await c.run(lib);
    } catch (e) {
      log(`FAIL [${host}] ${c.name}: ${(e as Error).stack ?? String(e)}`);
      throw new Error(`[${host}] ${c.name}: ${(e as Error).message}`);
    }
    log(`ok   [${host}] ${c.name} (${Date.now() - t} ms)`);
  }
  log(`[${host}] ${cases.length} cases passed in ${Date.now() - started} ms`);
}
