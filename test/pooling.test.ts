// Pooling options: values and gradients are golden cases (pool_options, on every device); here
// the argument checks (each a TypeError/RangeError naming the op, the argument and the value),
// the layers' reprs against PyTorch's, unbatched inputs, unpooling round trips, and bad indices
// on the CPU and the GPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, fromArray, nn, releaseGpu, tensor } from 'ferrograd';
import { startNodeGpu } from './helpers/gpu.js';

// distinct positive values in a scrambled order (211 is prime)
const img = () => fromArray(Array.from({ length: 210 }, (_, i) => ((i * 37) % 211) / 10 + 1), [2, 3, 5, 7]);

beforeAll(async () => {
  await startNodeGpu();
});
afterAll(() => releaseGpu());

describe('pooling options', () => {
  it('bad options are clear errors, and the library still works', () => {
    const x = img();
    const cases: [() => unknown, ErrorConstructor, RegExp][] = [
      [() => F.maxPool2d(x, 2, { ceilMode: 'yes' as never }), TypeError, /^max_pool2d: argument 'ceil_mode' must be a boolean, got "yes"$/],
      [() => F.maxPool2d(x, 2, { dilation: 0 }), RangeError, /^max_pool2d: argument 'dilation' must be an integer in \[1, /],
      [() => F.maxPool2d(x, 2, { dilation: [1, 1.5] }), TypeError, /^max_pool2d: argument 'dilation\[1\]' must be an integer, got a non-integer number \(1\.5\)$/],
      [() => F.maxPool2d(x, 3, { padding: 2 }), RangeError, /^max_pool2d: pad should be at most half of kernel size, but got pad=2 and kernel_size=3$/],
      [() => F.maxPool2d(x, 7), RangeError, /^max_pool2d: Given input size: \(3x5x7\)\. Calculated output size: \(3x0x1\)\. Output size is too small$/],
      [() => F.maxPool1d(x.reshape([6, 5, 7]), 9), RangeError, /^max_pool1d: Given input size: \(5x1x7\)\. Calculated output size: \(5x1x0\)\. Output size is too small$/],
      [() => F.maxPool2d(x, 2, { returnIndices: 1 as never }), TypeError, /^max_pool2d: argument 'return_indices' must be a boolean, got 1$/],
      [() => F.avgPool2d(x, 2, { dilation: 2 } as never), TypeError, /^avg_pool2d: got an unexpected option 'dilation'/],
      [() => F.avgPool2d(x, 2, { divisorOverride: 0 }), RangeError, /^avg_pool2d: divisor must be not zero$/],
      [() => F.avgPool2d(x, 2, { divisorOverride: -2 }), RangeError, /^avg_pool2d: argument 'divisor_override' must be a positive integer, got -2$/],
      [() => F.avgPool2d(x, 2, { divisorOverride: 2.5 }), TypeError, /^avg_pool2d: argument 'divisor_override' must be an integer, got a non-integer number \(2\.5\)$/],
      [() => F.avgPool2d(x, 2, { countIncludePad: null as never }), TypeError, /^avg_pool2d: argument 'count_include_pad' must be a boolean, got null$/],
      [() => F.avgPool1d(x.reshape([6, 5, 7]), 2, { divisorOverride: 2 } as never), TypeError, /^avg_pool1d: got an unexpected option 'divisorOverride'/],
      [() => F.maxPool1d(x.reshape([6, 5, 7]), [2, 2] as never), TypeError, /^max_pool1d: argument 'kernel_size' must be an integer/],
      [() => F.maxPool1d(x, 2), RangeError, /^max_pool1d: expected a 2-D or 3-D input \(C, L\) or \(N, C, L\), got shape \[2, 3, 5, 7\]$/],
      [() => F.maxPool2d(x.reshape([210]), 2), RangeError, /^max_pool2d: expected a 3-D or 4-D input/],
      [() => new nn.MaxPool2d(2, { dilation: -1 }), RangeError, /^MaxPool2d: argument 'dilation' must be an integer in \[1, /],
      [() => new nn.AvgPool2d(2, { divisorOverride: 0 }), RangeError, /^AvgPool2d: divisor must be not zero$/],
      [() => new nn.MaxPool1d(2, { ceilMode: 0 as never }), TypeError, /^MaxPool1d: argument 'ceil_mode' must be a boolean, got 0$/],
      [() => new nn.MaxPool2d(2, { returnIndices: true }).forward(x), TypeError, /^MaxPool2d: a layer built with returnIndices: true returns \[values, indices\] from forwardWithIndices\(x\)/],
    ];
    for (const [f, type, msg] of cases) {
      expect(f, String(msg)).toThrow(type);
      expect(f, String(msg)).toThrow(msg);
    }
    expect(F.maxPool2d(x, 2, { ceilMode: true }).shape).toEqual([2, 3, 3, 4]);
  });

  it("a ceil-mode window over a span shorter than the dilated kernel, as PyTorch counts it", async () => {
    // torch 1.13: F.max_pool1d([[1, 2, 3], [4, 5, 6]], 4, None, 1, 2, ceil_mode=True) = [[2], [5]]
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const y = F.maxPool1d(x, 4, { padding: 1, dilation: 2, ceilMode: true });
    expect(y.shape).toEqual([2, 1]);
    expect(Array.from(await y.data())).toEqual([2, 5]);
    expect(() => F.maxPool1d(x, 4, { padding: 1, dilation: 2 })).toThrow(/^max_pool1d: Given input size: \(2x1x3\)\. Calculated output size: \(2x1x0\)\. Output size is too small$/);
  });

  it('layers print as PyTorch prints them', () => {
    // printed by torch 1.13: nn.MaxPool2d((2,3),ceil_mode=True), nn.AvgPool2d(3,2,1,...), ...
    expect(new nn.MaxPool2d([2, 3], { ceilMode: true }).toString()).toBe('MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0, dilation=1, ceil_mode=True)');
    expect(new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false, divisorOverride: 2 }).toString()).toBe('AvgPool2d(kernel_size=3, stride=2, padding=1)');
    expect(new nn.MaxPool1d(3).toString()).toBe('MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)');
    expect(new nn.AvgPool1d(3).toString()).toBe('AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))');
    expect(new nn.MaxUnpool2d(2).toString()).toBe('MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))');
    expect(new nn.MaxPool2d(2).toString()).toBe('MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)');
  });

  it('unbatched inputs pool as a batch of one', async () => {
    const x = img();
    const one = x.slice(0, 0, 1).reshape([3, 5, 7]);
    expect(await F.maxPool2d(one, 2, { ceilMode: true }).data()).toEqual(await F.maxPool2d(x, 2, { ceilMode: true }).slice(0, 0, 1).data());
    const [v, i] = F.maxPool1d(one.reshape([3, 35]), 3, { returnIndices: true, stride: 2 });
    expect(v.shape).toEqual([3, 17]);
    expect(i.shape).toEqual([3, 17]);
    expect(i.dtype).toBe('int64');
    expect(F.avgPool1d(one.reshape([3, 35]), 4, { ceilMode: true }).shape).toEqual([3, 9]);
  });

  describe.each(['cpu', 'gpu'] as const)('max_unpool2d on %s', (device) => {
    it('undoes max_pool2d where the maxima were, zeros elsewhere', async () => {
      const x = img().to(device);
      const pool = new nn.MaxPool2d(2, { stride: 2 });
      const [v, idx] = pool.forwardWithIndices(x);
      const up = new nn.MaxUnpool2d(2).unpool(v, idx, [5, 7]);
      expect(up.shape).toEqual([2, 3, 5, 7]);
      const xs = await x.data();
      const us = await up.data();
      const kept = us.filter((u, j) => u !== 0 && u === xs[j]).length;
      expect(kept).toBe(2 * 3 * 2 * 3);
      expect(us.filter((u) => u !== 0).length).toBe(kept);
      // without output_size the output is 4x6 (PyTorch's default), where a 5x7 plane's index
      // may not fit: PyTorch's error
      await expect((async () => new nn.MaxUnpool2d(2).forward(v, idx).data())()).rejects.toThrow(/^max_unpool2d: Found an invalid max index/);
    });

    it('a bad index is an error, not a wrong answer', async () => {
      const v = tensor([[[[1, 2], [3, 4]]]], { device });
      const bad = tensor([[[[0, 1], [2, 99]]]], { device });
      const run = async () => (await F.maxUnpool2d(v, bad, 2).data()).length;
      await expect(run()).rejects.toThrow(/^max_unpool2d: Found an invalid max index/);
      const frac = tensor([[[[0, 1.5], [2, 3]]]], { device });
      await expect((async () => F.maxUnpool2d(v, frac, 2).data())()).rejects.toThrow(/invalid max index/);
      // and the library still works
      expect(await F.maxUnpool2d(v, tensor([[[[0, 3], [8, 15]]]], { device }), 2).data()).toEqual(Float32Array.from([1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 4]));
    });
  });

  it('max_unpool2d checks its arguments', () => {
    const v = tensor([[[[1, 2], [3, 4]]]]);
    const i = tensor([[[[0, 1], [2, 3]]]]);
    expect(() => F.maxUnpool2d(v, i, 2, { outputSize: [7, 4] })).toThrow(new RangeError('max_unpool2d: invalid output_size "[7, 4]" (dim 0 must be between 2 and 6)'));
    expect(() => F.maxUnpool2d(v, i, 2, { outputSize: [4] })).toThrow(/^max_unpool2d: output_size should have 2 or 4 elements, got 1$/);
    expect(() => F.maxUnpool2d(v, i, 2, { outputSize: [4, 4.5] })).toThrow(TypeError);
    expect(() => F.maxUnpool2d(v, tensor([[0, 1, 2, 3]]), 2)).toThrow(/^max_unpool2d: Expected shape of indices to be same as that of the input tensor/);
    expect(() => F.maxUnpool2d(v, 'i' as never, 2)).toThrow(/^max_unpool2d: argument 'indices' must be a Tensor, got "i"$/);
    expect(F.maxUnpool2d(v, i, 2, { outputSize: [1, 1, 5, 3] }).shape).toEqual([1, 1, 5, 3]);
  });
});
