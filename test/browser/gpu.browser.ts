/**
 * The GPU cases every host runs (Node with Dawn, Deno's built-in WebGPU, headless Chromium):
 * each body runs once on the CPU and once on the GPU from the same inputs, and the GPU's
 * forward values and gradients must match the CPU's to rtol 1e-4 (atol 1e-5 of the largest
 * reference magnitude, for values that cancel to near zero). Without a test runner, so each
 * host wraps it: `test/gpu.test.ts` (vitest, Node), `test/browser/gpu.browser.test.ts`
 * (vitest browser mode), `test/deno/gpu.ts` (plain script).
 *
 * `run(lib)` initialises the GPU, runs every case and returns one result per case; hosts
 * without an adapter get a failed first case saying why.
 * @module
 */
import type * as Ferrograd from 'ferrograd';

export type Lib = typeof Ferrograd;
type Tensor = Ferrograd.Tensor;
type Device = 'cpu' | 'gpu';

export interface GpuCase {
  name: string;
  run: (lib: Lib) => Promise<void>;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  detail?: string;
}

class CheckError extends Error {
  override name = 'CheckError';
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new CheckError(what);
}

/** |gpu - cpu| <= 1e-4 |cpu| + 1e-5 max|cpu|, NaN matching NaN. */
export function closeTo(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-4): void {
  check(got.length === want.length, `${what}: ${got.length} elements, expected ${want.length}`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i]!)) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= rtol * Math.abs(w) + 1e-5 * Math.max(scale, 1e-3);
    check(ok, `${what}[${i}]: gpu ${g}, cpu ${w}`);
  }
}

/** Deterministic data in [lo, hi). */
export function data(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * (s >>> 8)) / 16777216;
  }
  return out;
}

type Outputs = Record<string, Tensor>;

/** Runs `body` on both devices and compares every output; GPU outputs must stay on the GPU. */
export async function parity(lib: Lib, name: string, body: (d: Device) => Outputs | Promise<Outputs>): Promise<void> {
  const cpu = await body('cpu');
  const gpu = await body('gpu');
  for (const [k, c] of Object.entries(cpu)) {
    const g = gpu[k];
    check(g !== undefined, `${name}/${k}: missing on the GPU`);
    check(c.device === 'cpu' && g!.device === 'gpu', `${name}/${k}: devices ${c.device}/${g!.device}`);
    check(JSON.stringify(c.shape) === JSON.stringify(g!.shape), `${name}/${k}: shape ${JSON.stringify(g!.shape)} vs ${JSON.stringify(c.shape)}`);
    closeTo(await g!.data(), await c.data(), `${name}/${k}`);
  }
  void lib;
}

function leaf(lib: Lib, shape: number[], seed: number, d: Device, lo = -1, hi = 1): Tensor {
  return lib.fromArray(data(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape, { device: d, requiresGrad: true });
}

/** Backpropagates a weighted sum, so every gradient element is distinct. */
function backwardWeighted(lib: Lib, y: Tensor): void {
  y.mul(lib.fromArray(data(y.numel(), 99), y.shape, { device: y.device as Device })).sum().backward();
}

function grad(t: Tensor): Tensor {
  check(t.grad !== null, 'missing gradient');
  return t.grad!;
}

async function throwsWith(fn: () => unknown, ...needles: string[]): Promise<string> {
  try {
    await fn();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    for (const n of needles) check(msg.includes(n), `error ${JSON.stringify(msg)} lacks ${JSON.stringify(n)}`);
    return msg;
  }
  throw new CheckError(`expected an error containing ${needles.join(', ')}`);
}

/** LeNet (d2l §7.6) trained `steps` SGD steps on `d` from the seeded initial weights; the losses. */
export async function lenetLosses(lib: Lib, d: Device, steps: number, batch = 16): Promise<number[]> {
  lib.manualSeed(0);
  const net = new lib.d2l.LeNet({ lr: 0.9 });
  net.applyInit([lib.zeros([1, 1, 28, 28])], (m) => {
    const w = (m as { weight?: Tensor | null }).weight;
    if (w && w.ndim > 1) lib.nn.init.xavierUniform_(w);
  });
  net.to(d);
  const opt = new lib.SGD(net.parameters(), 0.9);
  const losses: Tensor[] = [];
  for (let s = 0; s < steps; s++) {
    const x = lib.fromArray(data(batch * 784, 1000 + s, 0, 1), [batch, 1, 28, 28], { device: d });
    const y = lib.fromArray(Array.from({ length: batch }, (_, i) => (i * 7 + s) % 10), [batch], { device: d, dtype: 'int64' });
    const l = lib.scope(() => {
      const loss = net.loss(net.forward(x), y);
      opt.zeroGrad();
      lib.noGrad(() => {
        loss.backward();
        opt.step();
      });
      return loss.detach();
    });
    losses.push(l);
  }
  // one read for all steps: a GPU run never waits inside the loop
  return Array.from(await lib.stack(losses).data());
}

export const gpuCases: GpuCase[] = [
  {
    name: 'initGpu finds an adapter and reports it',
    async run(lib) {
      const info = await lib.initGpu();
      check(info.adapter.length > 0 && info.maxBufferBytes > 0, `adapter info ${JSON.stringify(info)}`);
      check(lib.gpuInfo()?.adapter === info.adapter, 'gpuInfo() after initGpu');
      check(lib.zeros([2], { device: 'auto' }).device === 'gpu', "'auto' is the GPU once initialised");
    },
  },
  {
    name: 'elementwise and broadcasting, forward and backward',
    async run(lib) {
      await parity(lib, 'elementwise', (d) => {
        const a = leaf(lib, [2, 3, 4], 1, d, 0.5, 2);
        const b = leaf(lib, [3, 1], 2, d, 0.5, 2);
        const y = a.add(b).mul(a.sub(b)).div(b).pow(b).maximum(a.minimum(b)).exp().log().sqrt().relu().sigmoid().tanh().abs().neg().clamp(-0.9, -0.1).add(a.transpose(0, 2).transpose(0, 2).mul(2));
        backwardWeighted(lib, y);
        return { y, da: grad(a), db: grad(b), cmp: a.gt(1).add(a.le(b)).add(a.eq(a)) };
      });
    },
  },
  {
    name: 'reductions, softmax and cross-entropy',
    async run(lib) {
      await parity(lib, 'reductions', (d) => {
        const x = leaf(lib, [6, 10], 3, d, -3, 3);
        const labels = lib.tensor([0, 9, 3, 3, 7, 1], { device: d, dtype: 'int64' });
        const s = x.sum(0).add(x.max(1).sum()).add(x.min(0)).add(x.mean()).add(x.var(1).sum());
        const ce = lib.F.crossEntropy(x, labels);
        const sm = x.softmax(-1);
        s.sum().add(ce).add(sm.mul(lib.fromArray(data(60, 4), [6, 10], { device: d })).sum()).backward();
        return { s, ce, sm, argmax: x.argmax(1), dx: grad(x) };
      });
    },
  },
  {
    name: 'matmul (strided, batched), forward and backward',
    async run(lib) {
      await parity(lib, 'matmul', (d) => {
        const a = leaf(lib, [3, 20, 33], 5, d);
        const b = leaf(lib, [70, 33], 6, d);
        const y = a.matmul(b.t());
        backwardWeighted(lib, y);
        return { y, da: grad(a), db: grad(b) };
      });
    },
  },
  {
    // gemm_big.wgsl (128x128 tiles) through each host's WGSL compiler: a matmul whose operands
    // are read as vec4s (aligned rows; its backward reads transposed views), one with ragged
    // rows (scalar loads), and a conv whose forward stores through the fused ReLU epilogue
    name: 'large GEMM tiles: matmul and conv + fused ReLU, forward and backward',
    async run(lib) {
      await parity(lib, 'large tiles', (d) => {
        const a = leaf(lib, [520, 100], 21, d);
        const b = leaf(lib, [100, 520], 22, d);
        const y = a.matmul(b);
        const e = leaf(lib, [520, 102], 25, d);
        const f = leaf(lib, [102, 530], 26, d);
        const z = e.matmul(f);
        const x = leaf(lib, [2, 32, 24, 24], 23, d);
        const w = leaf(lib, [144, 32, 3, 3], 24, d, -0.2, 0.2);
        const c = lib.F.conv2dAct(x, w, { padding: 1 }, 'relu');
        backwardWeighted(lib, y.sum().add(z.mean()).add(c.mean()).reshape([1]));
        return { y, z, c, da: grad(a), db: grad(b), de: grad(e), df: grad(f), dx: grad(x), dw: grad(w) };
      });
    },
  },
  {
    name: 'conv2d (padding, stride, groups, bias), forward and backward',
    async run(lib) {
      await parity(lib, 'conv2d', (d) => {
        const x = leaf(lib, [2, 4, 11, 9], 7, d);
        const w = leaf(lib, [6, 2, 3, 3], 8, d, -0.5, 0.5);
        const b = leaf(lib, [6], 9, d);
        const y = lib.F.conv2d(x, w, { bias: b, stride: [2, 1], padding: [1, 2], groups: 2 });
        backwardWeighted(lib, y);
        return { y, dx: grad(x), dw: grad(w), db: grad(b) };
      });
    },
  },
  {
    name: 'pooling, adaptive pooling, resize and batch-norm, forward and backward',
    async run(lib) {
      await parity(lib, 'pool', (d) => {
        const x = leaf(lib, [2, 3, 9, 8], 10, d);
        const m = lib.F.maxPool2d(x, 3, { stride: 2, padding: 1 });
        const a = lib.F.avgPool2d(x, 2);
        const ad = lib.F.adaptiveAvgPool2d(x, [3, 5]);
        const r = lib.F.interpolateBilinear(x, [13, 5]);
        const rm = lib.zeros([3], { device: d });
        const rv = lib.ones([3], { device: d });
        const bn = lib.F.batchNorm(x, rm, rv, { training: true, weight: leaf(lib, [3], 11, d), bias: leaf(lib, [3], 12, d) });
        backwardWeighted(lib, m.sum().add(a.sum()).add(ad.sum()).add(r.sum()).add(bn.pow(2).sum()));
        return { m, a, ad, r, bn, rm, rv, dx: grad(x) };
      });
    },
  },
  {
    name: 'optimizers: SGD with momentum and Adam update parameters in place',
    async run(lib) {
      await parity(lib, 'optim', (d) => {
        const p = new lib.nn.Parameter(lib.fromArray(data(12, 13), [3, 4], { device: d }));
        const q = new lib.nn.Parameter(lib.fromArray(data(12, 14), [3, 4], { device: d }));
        const sgd = new lib.SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
        const adam = new lib.Adam([q], { lr: 0.05 });
        for (let s = 0; s < 3; s++) {
          p.mul(p).sum().backward();
          q.mul(q).mul(p.detach()).sum().backward();
          sgd.step();
          adam.step();
          sgd.zeroGrad();
          adam.zeroGrad();
        }
        return { p, q };
      });
    },
  },
  {
    name: 'module.to(gpu) moves parameters in place; toAsync(cpu) brings them back',
    async run(lib) {
      lib.manualSeed(3);
      const net = new lib.nn.Sequential(new lib.nn.Linear(4, 3), new lib.nn.ReLU(), new lib.nn.Linear(3, 2));
      const params = net.parameters();
      const before = await Promise.all(params.map((p) => p.data()));
      net.to('gpu');
      check(net.parameters().every((p, i) => p === params[i] && p.device === 'gpu'), 'same Parameter objects, now on the GPU');
      const x = lib.fromArray(data(8, 15), [2, 4]);
      const yCpu = await (await net.toAsync('cpu')).forward(x).data();
      net.to('gpu');
      const yGpu = await net.forward(x.to('gpu')).data();
      closeTo(yGpu, yCpu, 'forward after moves');
      await net.toAsync('cpu');
      const after = await Promise.all(params.map((p) => p.data()));
      after.forEach((a, i) => closeTo(a, before[i]!, `parameter ${i} round trip`, 0));
    },
  },
  {
    name: 'reads: async everywhere, synchronous reads of GPU tensors fail clearly',
    async run(lib) {
      const t = lib.tensor([[1, 2], [3, 4]], { device: 'gpu' });
      check(JSON.stringify(await t.array()) === '[[1,2],[3,4]]', 'array()');
      check((await t.sum().itemAsync()) === 10, 'itemAsync()');
      await throwsWith(() => t.dataSync(), 'dataSync', 'await t.data()');
      await throwsWith(() => t.item(), 'item', 'itemAsync');
      await throwsWith(() => t.toString(), 'toString', 'GPU');
      await throwsWith(() => t.add(lib.tensor([1, 2])), 'different devices');
      const back = await t.toAsync('cpu');
      check(back.device === 'cpu' && back.sum().item() === 10, 'toAsync(cpu)');
    },
  },
  {
    name: 'LeNet: 5 steps on the GPU track the CPU losses',
    async run(lib) {
      const cpu = await lenetLosses(lib, 'cpu', 5);
      const gpu = await lenetLosses(lib, 'gpu', 5);
      closeTo(gpu, cpu, 'LeNet losses', 1e-3);
    },
  },
  {
    name: 'failures: a too-large buffer and bad labels are clear errors; the device keeps working',
    async run(lib) {
      const max = lib.gpuInfo()!.maxBufferBytes;
      const n = Math.min(Math.floor(max / 4) + 1024, 2 ** 29 + 1);
      await throwsWith(() => lib.zeros([n], { device: 'gpu' }), 'limit');
      const logits = lib.zeros([2, 3], { device: 'gpu' });
      const loss = lib.F.crossEntropy(logits, lib.tensor([1, 5], { device: 'gpu' }));
      await throwsWith(() => loss.data(), 'class index was out of range');
      check(Number.isNaN((await loss.data())[0]!), 'the bad loss is NaN, not a plausible number');
      check((await lib.tensor([1, 2, 3], { device: 'gpu' }).sum().itemAsync()) === 6, 'the device still works');
    },
  },
  {
    name: 'releaseGpu: tensors on the released device fail clearly; initGpu starts a new one',
    async run(lib) {
      const t = lib.tensor([1, 2], { device: 'gpu' });
      await lib.releaseGpu();
      check(lib.gpuInfo() === null, 'gpuInfo() is null after release');
      await throwsWith(() => t.add(t), 'GPU device was lost');
      await throwsWith(() => lib.zeros([1], { device: 'gpu' }), 'initGpu');
      await lib.initGpu();
      check((await lib.tensor([2, 3], { device: 'gpu' }).mul(2).array()) !== null, 'a new device works');
      const v = (await lib.tensor([2, 3], { device: 'gpu' }).mul(2).array()) as number[];
      check(v[0] === 4 && v[1] === 6, 'values on the new device');
    },
  },
];

/** Runs every case; resolves to one result per case (the GPU is released at the end). */
export async function run(lib: Lib, log: (line: string) => void = () => {}): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of gpuCases) {
    const t = Date.now();
    try {
      await c.run(lib);
      results.push({ name: c.name, ok: true });
      log(`ok   ${c.name} (${Date.now() - t} ms)`);
    } catch (e) {
      const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
      results.push({ name: c.name, ok: false, detail });
      log(`FAIL ${c.name}: ${detail}`);
      if (c === gpuCases[0]) break;
    }
  }
  await lib.releaseGpu();
  return results;
}
