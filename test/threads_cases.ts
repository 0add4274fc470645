/**
 * Portable thread checks, shared by Node (`threads.test.ts`), Chromium (a module Worker of a
 * cross-origin-isolated page, `browser/threads.browser.test.ts`), Deno and Bun
 * (`deno/threads.ts`, `bun/threads.ts`): a fixed workload whose every output and gradient must
 * be bit-identical on any thread count and between the threaded and single-threaded builds.
 * No test runner here; hosts compare what {@link threadWorkload} returns.
 * @module
 */
import type * as Ferrograd from 'ferrograd';

export type Lib = typeof Ferrograd;
type Tensor = Ferrograd.Tensor;

/** Named results as raw float bits (JSON-friendly: they cross workers and processes). */
export type Results = Record<string, number[]>;

/**
 * The bits of every value, NaNs canonicalised: IEEE leaves a NaN's sign and payload to the
 * instruction order (which operand propagates), so two builds may differ there alone.
 */
const bitsOf = (a: Float32Array): number[] =>
  Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (b, i) => (Number.isNaN(a[i]!) ? 0x7fc00000 : b));

/**
 * Convolution (direct and im2col, both backward passes), GEMM, pooling, batch-norm, reductions
 * and elementwise ops forward and backward, then five SGD steps of d2l's LeNet: every value the
 * threaded kernels produce. Seeded, so any build computes the same inputs.
 */
export function threadWorkload(lib: Lib): Results {
  const { F } = lib;
  const out: Results = {};
  const put = (name: string, t: Tensor | null | undefined): void => {
    if (!t) throw new Error(`threads workload: ${name} is missing`);
    out[name] = bitsOf(t.dataSync());
  };
  lib.scope(() => {
    lib.manualSeed(1234);
    const leaf = (shape: number[]): Tensor => lib.randn(shape, { requiresGrad: true });
    const g = (t: Tensor): Tensor => lib.randn(t.shape);

    const a = leaf([150, 300]);
    const b = leaf([300, 170]);
    const m = a.matmul(b);
    m.backward(g(m));
    put('matmul', m);
    put('matmul.da', a.grad);
    put('matmul.db', b.grad);

    for (const [name, shape, wshape, opts] of [
      ['conv.direct', [20, 6, 14, 14], [16, 6, 5, 5], { padding: 2 }],
      ['conv.im2col', [6, 8, 12, 12], [16, 8, 3, 3], { stride: 2, padding: 1 }],
      ['conv.pointwise', [6, 8, 6, 6], [12, 8, 1, 1], {}],
    ] as const) {
      const x = leaf([...shape]);
      const w = leaf([...wshape]);
      const bias = leaf([wshape[0]]);
      const y = F.conv2d(x, w, { bias, ...opts });
      y.backward(g(y));
      put(name, y);
      put(`${name}.dx`, x.grad);
      put(`${name}.dw`, w.grad);
      put(`${name}.db`, bias.grad);
    }

    const x = leaf([8, 6, 12, 12]);
    const pooled = F.maxPool2d(x, 3, { stride: 2, padding: 1 }).add(F.avgPool2d(x, 2).sum()).sum([2, 3]);
    const mean = lib.zeros([6]);
    const variance = lib.ones([6]);
    const bn = F.batchNorm(x, mean, variance, { weight: leaf([6]), bias: leaf([6]), training: true });
    const act = bn.relu().sigmoid().add(bn.tanh()).mul(x.exp().mean([0], true));
    const total = pooled.sum().add(act.mul(g(act)).sum()).add(x.softmax(1).max(1).sum());
    total.backward();
    put('mixed', total);
    put('mixed.dx', x.grad);
    put('bn.running', lib.cat([mean, variance]));
  });
  Object.assign(out, lenetSteps(lib, 5));
  return out;
}

/**
 * Elementwise ops, reductions and pooling over NaN, ±0, ±Infinity and large values, contiguous
 * and strided. Relaxed SIMD only changes the GEMM and convolution multiply-adds, so these must
 * be bit-identical between the relaxed and the SIMD128 builds (LLVM may emit relaxed min/max
 * for min/max-like code once relaxed SIMD is on; the kernels must not let that change a value).
 */
export function specialValues(lib: Lib): Results {
  const out: Results = {};
  lib.scope(() => {
    const specials = [NaN, -NaN, 0, -0, Infinity, -Infinity, 1e30, -1e30, 88.9, -104.5, 0.03, -0.03, 3, -3, 1e-40, -1e-40];
    const vals = Array.from({ length: 6 * 37 }, (_, i) => specials[(i * 7) % specials.length]! * (i % 3 === 0 ? 1 : 0.5));
    const x = lib.fromArray(vals, [6, 37]);
    for (const [name, t] of [['contiguous', x], ['strided', x.t()]] as const) {
      const ops: [string, (v: Ferrograd.Tensor) => Ferrograd.Tensor][] = [
        ['exp', (v) => v.exp()],
        ['sigmoid', (v) => v.sigmoid()],
        ['tanh', (v) => v.tanh()],
        ['relu', (v) => v.relu()],
        ['clamp', (v) => v.clamp(-1, 2)],
        ['maximum', (v) => v.maximum(v.mul(-1))],
        ['minimum', (v) => v.minimum(v.mul(0.5))],
        ['sqrt', (v) => v.abs().sqrt()],
        ['amax', (v) => v.max(0)],
        ['amin', (v) => v.min(1)],
        ['softmax', (v) => v.softmax(-1)],
      ];
      for (const [op, f] of ops) out[`${name}.${op}`] = bitsOf(f(t).dataSync());
    }
    const img = lib.fromArray(Array.from({ length: 2 * 3 * 8 * 8 }, (_, i) => specials[i % specials.length]!), [2, 3, 8, 8]);
    out['maxpool'] = bitsOf(lib.F.maxPool2d(img, 3, { stride: 2, padding: 1 }).dataSync());
    out['avgpool'] = bitsOf(lib.F.avgPool2d(img, 2).dataSync());
  });
  return out;
}

/** d2l's LeNet, batch 64 of random images: the loss after each of `steps` SGD steps, and the final weights. */
export function lenetSteps(lib: Lib, steps: number): Results {
  return lib.scope(() => {
    lib.manualSeed(99);
    const net = new lib.d2l.LeNet({ lr: 0.1 });
    const X = lib.randn([64, 1, 28, 28]);
    const y = lib.fromArray(Array.from({ length: 64 }, (_, i) => (i * 7) % 10), [64], { dtype: 'int64' });
    net.applyInit([X], lib.d2l.initCnn);
    const opt = new lib.SGD(net.parameters(), 0.1);
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      lib.scope(() => {
        const loss = net.loss(net.forward(X), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        losses.push(...bitsOf(loss.dataSync()));
      });
    }
    const res: Results = { 'lenet.losses': losses };
    for (const [name, p] of net.namedParameters()) res[`lenet.${name}`] = bitsOf(p.dataSync());
    return res;
  });
}

/** The largest `|a - b| / (1 + |b|)` over every result (for builds that may round differently). */
export function maxRelativeDifference(want: Results, got: Results): number {
  const f = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer);
  let worst = 0;
  for (const k of Object.keys(want)) {
    const [w, g] = [f(want[k]!), f(got[k] ?? [])];
    if (w.length !== g.length) return Infinity;
    for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(w[i]! - g[i]!) / (1 + Math.abs(w[i]!)));
  }
  return worst;
}

/** The first difference between two result sets, or undefined when they are bit-identical. */
export function firstDifference(want: Results, got: Results): string | undefined {
  const keys = Object.keys(want);
  if (keys.length === 0) return 'no results';
  if (keys.join() !== Object.keys(got).join()) return `result names differ: ${keys.join()} vs ${Object.keys(got).join()}`;
  for (const k of keys) {
    const [w, gt] = [want[k]!, got[k]!];
    if (w.length !== gt.length) return `${k}: ${w.length} vs ${gt.length} values`;
    const i = w.findIndex((v, j) => v !== gt[j]);
    if (i >= 0) {
      const f = (b: number) => new Float32Array(new Uint32Array([b]).buffer)[0];
      return `${k}[${i}]: ${f(w[i]!)} vs ${f(gt[i]!)} (${w.filter((v, j) => v !== gt[j]).length} of ${w.length} differ)`;
    }
  }
  return undefined;
}

/** The workload on each thread count in turn (the pool must have that many threads). */
export async function workloadByThreads(lib: Lib, counts: readonly number[] = [1, 2, 4]): Promise<Results[]> {
  const runs: Results[] = [];
  for (const n of counts) {
    const got = await lib.setNumThreads(n);
    if (got !== n) throw new Error(`setNumThreads(${n}) gave ${got}`);
    runs.push(threadWorkload(lib));
  }
  return runs;
}

/**
 * For the Deno and Bun scripts: throws unless the runs on 1, 2 and 4 threads and the
 * single-threaded child's (its last stdout line: `{ variant, results }`) are bit-identical;
 * returns a one-line summary.
 */
export function checkThreadRuns(runtime: string, threads: number, runs: Results[], childStdout: string): string {
  for (const [i, r] of runs.entries()) {
    const d = firstDifference(runs[0]!, r);
    if (d) throw new Error(`thread count ${[1, 2, 4][i]} differs from 1 thread: ${d}`);
  }
  const single = JSON.parse(childStdout.trim().split('\n').pop()!) as { variant: string; results: Results };
  if (single.variant !== 'simd') throw new Error(`the child loaded ${single.variant}, expected simd`);
  const d = firstDifference(single.results, runs.at(-1)!);
  if (d) throw new Error(`threaded and single-threaded builds differ: ${d}`);
  return `${runtime} threads: ${threads} threads by default; 1/2/4 threads and the single-threaded build bit-identical (${Object.keys(single.results).length} results)`;
}
