// d2l.ai §7.2: every printed value, via the example module itself.
import { describe, expect, it } from 'vitest';
import { ones, tensor } from 'ferrograd';
import { corr2d, learnKernel, main } from '../examples/ch07_2_conv_layer.js';

describe('d2l §7.2 convolutions for images', () => {
  it('corr2d of the seed X and K', () => {
    const X = tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    const K = tensor([[0, 1], [2, 3]]);
    expect(corr2d(X, K).toArray()).toEqual([[19, 25], [37, 43]]);
    expect(corr2d(X, K).toString()).toBe('tensor([[19., 25.],\n        [37., 43.]])');
  });

  it('detects the vertical edges of the 6x8 image, and none in its transpose', () => {
    const X = ones([6, 8]);
    X.slice(1, 2, 6).assign_(0);
    const Y = corr2d(X, tensor([[1, -1]]));
    expect(Y.toArray()).toEqual(Array.from({ length: 6 }, () => [0, 1, 0, 0, 0, -1, 0]));
    const Yt = corr2d(X.t(), tensor([[1, -1]]));
    expect(Yt.shape).toEqual([8, 5]);
    expect(Yt.abs().sum().item()).toBe(0);
  });

  it('learns the [1, -1] kernel by gradient descent', () => {
    const X = ones([6, 8]);
    X.slice(1, 2, 6).assign_(0);
    const Y = corr2d(X, tensor([[1, -1]]));
    for (const seed of [0, 1, 2]) {
      const { losses, kernel } = learnKernel(X, Y, { seed });
      for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
      expect(losses[9]!).toBeLessThan(0.1);
      const [a, b] = kernel.dataSync();
      expect(Math.abs(a! - 1)).toBeLessThan(0.1);
      expect(Math.abs(b! + 1)).toBeLessThan(0.1);
    }
  });

  it('the example prints the seed outputs', () => {
    const lines: string[] = [];
    main((s) => lines.push(s));
    expect(lines[0]).toBe('tensor([[19., 25.],\n        [37., 43.]])');
    expect(lines.filter((l) => l.startsWith('epoch'))).toHaveLength(5);
    expect(lines.at(-1)).toMatch(/^tensor\(\[\[ 0\.9\d{3}, -0\.9\d{3}\]\]\)$/);
  });
});
