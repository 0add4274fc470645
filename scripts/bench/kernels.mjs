// sgemm and conv2d forward+backward through the public TS API: what a user's call costs,
// handles and output allocation included.
import { timeMs } from './timing.mjs';

export function benchSgemm(fg, n, opts) {
  const { randn, scope, noGrad } = fg;
  const a = randn([n, n]).keep();
  const b = randn([n, n]).keep();
  const t = timeMs(() => noGrad(() => scope(() => void a.matmul(b))), opts);
  const flop = 2 * n * n * n;
  return { name: `sgemm ${n}³`, ms: t.ms, gflops: flop / (t.ms * 1e6), bestGflops: flop / (t.best * 1e6) };
}

/** conv2d shapes: [label, N, Cin, H, W, Cout, k, stride, pad, count in the network]. */
export const CONV_SHAPES = [
  ['LeNet conv1 1→6 28² k5 p2', 128, 1, 28, 28, 6, 5, 1, 2, 1],
  ['LeNet conv2 6→16 14² k5', 128, 6, 14, 14, 16, 5, 1, 0, 1],
  ['R18 64→64 24² 3×3', 32, 64, 24, 24, 64, 3, 1, 1, 4],
  ['R18 64→128 24²→12² s2', 32, 64, 24, 24, 128, 3, 2, 1, 1],
  ['R18 128→128 12² 3×3', 32, 128, 12, 12, 128, 3, 1, 1, 3],
  ['R18 128→256 12²→6² s2', 32, 128, 12, 12, 256, 3, 2, 1, 1],
  ['R18 256→256 6² 3×3', 32, 256, 6, 6, 256, 3, 1, 1, 3],
  ['R18 256→512 6²→3² s2', 32, 256, 6, 6, 512, 3, 2, 1, 1],
  ['R18 512→512 3² 3×3', 32, 512, 3, 3, 512, 3, 1, 1, 3],
  // d2l's small VGG at 224² (VGG-11 with a quarter of the channels), batch 32
  ['VGG 16→32 112² 3×3', 32, 16, 112, 112, 32, 3, 1, 1, 1],
  ['VGG 32→64 56² 3×3', 32, 32, 56, 56, 64, 3, 1, 1, 1],
  ['VGG 64→64 56² 3×3', 32, 64, 56, 56, 64, 3, 1, 1, 1],
  ['VGG 64→128 28² 3×3', 32, 64, 28, 28, 128, 3, 1, 1, 1],
  ['VGG 128→128 28² 3×3', 32, 128, 28, 28, 128, 3, 1, 1, 1],
  ['VGG 128→128 14² 3×3', 32, 128, 14, 14, 128, 3, 1, 1, 2],
];

/** The CPU convolution algorithms a benchmark can force (see `setConvAlgorithm`). */
export const CONV_ALGOS = ['auto', 'im2col', 'direct', 'winograd', 'winograd4'];

export function benchConv(fg, shape, opts) {
  const { F, randn, scope, noGrad } = fg;
  const [name, n, cin, h, w, cout, k, stride, pad, count] = shape;
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const x = randn([n, cin, h, w], { requiresGrad: true }).keep();
  const wt = randn([cout, cin, k, k], { std: 0.1, requiresGrad: true }).keep();
  const dy = randn([n, cout, oh, ow]).keep();
  const conv = { stride, padding: pad };
  const fwd = timeMs(() => noGrad(() => scope(() => void F.conv2d(x, wt, conv))), opts);
  const both = timeMs(
    () =>
      scope(() => {
        x.grad = null;
        wt.grad = null;
        F.conv2d(x, wt, conv).backward(dy);
      }),
    opts,
  );
  // kept tensors wait for the GC otherwise: free them now (the --conv-algos table makes 150 of
  // these, up to 77 MB each)
  for (const t of [x.grad, wt.grad, x, wt, dy]) t?._free('the benchmark is done with it');
  const flop = 2 * n * cout * oh * ow * cin * k * k;
  return {
    name,
    count,
    fwdMs: fwd.ms,
    fwdGflops: flop / (fwd.ms * 1e6),
    ms: both.ms,
    gflops: (3 * flop) / (both.ms * 1e6),
    bestGflops: (3 * flop) / (both.best * 1e6),
    bestMs: both.best,
    flop: 3 * flop,
  };
}
