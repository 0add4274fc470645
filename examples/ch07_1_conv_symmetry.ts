/**
 * d2l.ai §7.1 From Fully Connected Layers to Convolutions: convolution is symmetric
 * ((f * g) = (g * f)) and translation-equivariant. Plots a box signal, a Gaussian kernel and both
 * convolutions (numpy.convolve(..., mode='same') semantics) to an SVG.
 * Run: npx tsx examples/ch07_1_conv_symmetry.ts [--out out/ch07_1_conv_symmetry.svg]
 */
import { d2l, F, fromArray, type Tensor } from 'ferrograd';
import { isMain } from './util.js';

export interface SymmetryResult {
  fg: Tensor;
  gf: Tensor;
  symmetryError: number;
  shiftError: number;
  board: d2l.ProgressBoard;
}

export function main(opts: { out?: string | null; log?: (s: string) => void } = {}): SymmetryResult {
  const log = opts.log ?? console.log;
  const n = 101;
  const xs = Array.from({ length: n }, (_, i) => -5 + (10 * i) / (n - 1));
  // f: a box of width 2; g: a Gaussian bump of the same length (so neither is "the kernel")
  const f = fromArray(xs.map((x) => (Math.abs(x) <= 1 ? 1 : 0)), [n]);
  const g = fromArray(xs.map((x) => Math.exp(-x * x) / Math.sqrt(Math.PI) / 10), [n]);
  const fg = F.convolveSame(f, g);
  const gf = F.convolveSame(g, f);
  const symmetryError = fg.sub(gf).abs().max().item();
  log(`max |conv(f, g) - conv(g, f)| = ${symmetryError.toExponential(2)}`);

  // shifting the input by k samples shifts the output by k samples (away from the borders)
  const k = 7;
  const fShift = fromArray(xs.map((_, i) => (i >= k && Math.abs(xs[i - k]!) <= 1 ? 1 : 0)), [n]);
  const shifted = F.convolveSame(fShift, g);
  const inner = (t: Tensor, from: number) => t.slice(0, from, from + n - 2 * k);
  const shiftError = inner(shifted, k).sub(inner(fg, 0)).abs().max().item();
  log(`max |conv(shift(f), g) - shift(conv(f, g))| = ${shiftError.toExponential(2)}`);

  const board = new d2l.ProgressBoard({ xlabel: 'x', ylabel: 'value', xlim: [-5, 5], display: false });
  const [fv, gv, fgv, gfv] = [f, g.mul(10), fg, gf].map((t) => t.dataSync());
  xs.forEach((x, i) => {
    board.draw(x, fv![i]!, 'f (box)');
    board.draw(x, gv![i]!, 'g (gaussian, x10)');
    board.draw(x, fgv![i]!, 'f * g');
    board.draw(x, gfv![i]!, 'g * f');
  });
  if (opts.out !== null) {
    const out = opts.out ?? 'out/ch07_1_conv_symmetry.svg';
    void board.save(out).then(() => log(`plot: ${out}`));
  }
  return { fg, gf, symmetryError, shiftError, board };
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  main({ out: i > 0 ? process.argv[i + 1] : undefined });
}
