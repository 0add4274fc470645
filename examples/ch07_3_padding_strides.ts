/**
 * d2l.ai §7.3 Padding and Stride: output shapes for four padding/stride settings.
 * Run: npx tsx examples/ch07_3_padding_strides.ts
 */
import { nn, rand, type Tensor } from 'ferrograd';
import { isMain, size } from './util.js';

/** Adds the batch and channel dimensions, applies the layer, and drops them again. */
export function compConv2d(conv2d: nn.Module, X: Tensor): Tensor {
  X = X.reshape([1, 1, ...X.shape]);
  const Y = conv2d.forward(X);
  return Y.reshape(Y.shape.slice(2));
}

export function main(log: (s: string) => void = console.log): string[] {
  const shapes: string[] = [];
  const X = rand([8, 8]);
  const show = (conv2d: nn.Module) => {
    const s = size(compConv2d(conv2d, X).shape);
    shapes.push(s);
    log(s);
  };
  // 1 row and column padded on every side
  show(new nn.LazyConv2d(1, 3, { padding: 1 }));
  // kernel height 5 and width 3, padding 2 and 1
  show(new nn.LazyConv2d(1, [5, 3], { padding: [2, 1] }));
  // stride 2 halves height and width
  show(new nn.LazyConv2d(1, 3, { padding: 1, stride: 2 }));
  show(new nn.LazyConv2d(1, [3, 5], { padding: [0, 1], stride: [3, 4] }));
  return shapes;
}

if (isMain(import.meta.url)) main();
