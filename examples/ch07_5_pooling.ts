/**
 * d2l.ai §7.5 Pooling: a hand-written pool2d, then nn.MaxPool2d with padding and stride.
 * Run: npx tsx examples/ch07_5_pooling.ts
 */
import { arange, cat, nn, stack, tensor, type Tensor } from 'ferrograd';
import { isMain } from './util.js';

/** Max or average pooling of a 2-D tensor, written with tensor ops as in the book. */
export function pool2d(X: Tensor, poolSize: [number, number], mode: 'max' | 'avg' = 'max'): Tensor {
  const [ph, pw] = poolSize;
  const [H, W] = X.shape as [number, number];
  const rows: Tensor[] = [];
  for (let i = 0; i < H - ph + 1; i++) {
    const row: Tensor[] = [];
    for (let j = 0; j < W - pw + 1; j++) {
      const win = X.slice(0, i, i + ph).slice(1, j, j + pw);
      row.push(mode === 'max' ? win.max() : win.mean());
    }
    rows.push(stack(row));
  }
  return stack(rows);
}

export function main(log: (s: string) => void = console.log): Tensor[] {
  const out: Tensor[] = [];
  const show = (t: Tensor) => {
    out.push(t);
    log(t.toString());
  };
  let X = tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]);
  show(pool2d(X, [2, 2]));
  show(pool2d(X, [2, 2], 'avg'));

  X = arange(16).mul(1).reshape(1, 1, 4, 4);
  show(X);
  show(new nn.MaxPool2d(3).forward(X));
  show(new nn.MaxPool2d(3, { padding: 1, stride: 2 }).forward(X));
  show(new nn.MaxPool2d([2, 3], { stride: [2, 3], padding: [0, 1] }).forward(X));

  X = cat([X, X.add(1)], 1);
  show(X);
  show(new nn.MaxPool2d(3, { padding: 1, stride: 2 }).forward(X));
  return out;
}

if (isMain(import.meta.url)) main();
