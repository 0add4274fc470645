/**
 * d2l.ai §7.4 Multiple Input and Multiple Output Channels.
 * Run: npx tsx examples/ch07_4_channels.ts
 */
import { randn, stack, tensor, type Tensor } from 'ferrograd';
import { corr2d } from './ch07_2_conv_layer.js';
import { isMain, size } from './util.js';

/** Cross-correlation over each input channel, summed. */
export function corr2dMultiIn(X: Tensor, K: Tensor): Tensor {
  let sum: Tensor | null = null;
  for (let c = 0; c < X.shape[0]!; c++) {
    const y = corr2d(X.at(c), K.at(c));
    sum = sum ? sum.add(y) : y;
  }
  return sum!;
}

/** One multi-input cross-correlation per output channel, stacked. */
export function corr2dMultiInOut(X: Tensor, K: Tensor): Tensor {
  const outs: Tensor[] = [];
  for (let o = 0; o < K.shape[0]!; o++) outs.push(corr2dMultiIn(X, K.at(o)));
  return stack(outs, 0);
}

/** A 1×1 convolution is a matrix product over the channel dimension. */
export function corr2dMultiInOut1x1(X: Tensor, K: Tensor): Tensor {
  const [ci, h, w] = X.shape as [number, number, number];
  const co = K.shape[0]!;
  const Xm = X.reshape(ci, h * w);
  const Km = K.reshape(co, ci);
  return Km.matmul(Xm).reshape(co, h, w);
}

export function main(log: (s: string) => void = console.log): { multiIn: Tensor; multiOut: Tensor; diff1x1: number } {
  const X = tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]);
  let K = tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]]);
  const multiIn = corr2dMultiIn(X, K);
  log(multiIn.toString());

  K = stack([K, K.add(1), K.add(2)], 0);
  log(size(K.shape));
  const multiOut = corr2dMultiInOut(X, K);
  log(multiOut.toString());

  const X2 = randn([3, 3, 3]);
  const K2 = randn([2, 3, 1, 1]);
  const Y1 = corr2dMultiInOut1x1(X2, K2);
  const Y2 = corr2dMultiInOut(X2, K2);
  const diff1x1 = Y1.sub(Y2).abs().sum().item();
  if (!(diff1x1 < 1e-6)) throw new Error(`1x1 convolution differs from the matmul by ${diff1x1}`);
  log(`float(torch.abs(Y1 - Y2).sum()) < 1e-6: true (${diff1x1.toExponential(2)})`);
  return { multiIn, multiOut, diff1x1 };
}

if (isMain(import.meta.url)) main();
