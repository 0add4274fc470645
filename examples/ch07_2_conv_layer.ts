/**
 * d2l.ai §7.2 Convolutions for Images: cross-correlation, edge detection, learning a kernel.
 * Run: npx tsx examples/ch07_2_conv_layer.ts
 */
import { F, manualSeed, ones, rand, stack, tensor, type Tensor } from 'ferrograd';
import { isMain } from './util.js';

/** Compute 2D cross-correlation. */
export function corr2d(X: Tensor, K: Tensor): Tensor {
  const [h, w] = K.shape as [number, number];
  const [H, W] = X.shape as [number, number];
  const rows: Tensor[] = [];
  for (let i = 0; i < H - h + 1; i++) {
    const row: Tensor[] = [];
    for (let j = 0; j < W - w + 1; j++) row.push(X.slice(0, i, i + h).slice(1, j, j + w).mul(K).sum());
    rows.push(stack(row));
  }
  return stack(rows);
}

/** Learns the 1×2 kernel mapping X to Y by gradient descent on the summed squared error. */
export function learnKernel(X: Tensor, Y: Tensor, opts: { seed?: number; lr?: number; epochs?: number; log?: (s: string) => void } = {}): { losses: number[]; kernel: Tensor } {
  const { seed = 0, lr = 3e-2, epochs = 10, log } = opts;
  manualSeed(seed);
  // nn.LazyConv2d(1, kernel_size=(1, 2), bias=False) initialises its weight as PyTorch does:
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = 1 * 1 * 2.
  const bound = 1 / Math.sqrt(2);
  const weight = rand([1, 1, 1, 2], { low: -bound, high: bound, requiresGrad: true });
  const Xb = X.reshape(1, 1, 6, 8);
  const Yb = Y.reshape(1, 1, 6, 7);
  const losses: number[] = [];
  for (let i = 0; i < epochs; i++) {
    const Y_hat = F.conv2d(Xb, weight);
    const l = Y_hat.sub(Yb).pow(2);
    weight.grad = null;
    l.sum().backward();
    // Update the kernel
    weight.sub_(weight.grad!.mul(lr));
    losses.push(l.sum().item());
    if ((i + 1) % 2 === 0) log?.(`epoch ${i + 1}, loss ${l.sum().item().toFixed(3)}`);
  }
  return { losses, kernel: weight.detach().reshape(1, 2) };
}

export function main(log: (s: string) => void = console.log): void {
  const X = tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]);
  const K = tensor([[0.0, 1.0], [2.0, 3.0]]);
  log(corr2d(X, K).toString());

  const E = ones([6, 8]);
  E.slice(1, 2, 6).assign_(0);
  log(E.toString());
  const Kedge = tensor([[1.0, -1.0]]);
  const Y = corr2d(E, Kedge);
  log(Y.toString());
  log(corr2d(E.t(), Kedge).toString());

  const { kernel } = learnKernel(E, Y, { log });
  log(kernel.toString());
}

if (isMain(import.meta.url)) main();
