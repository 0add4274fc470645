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

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

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
