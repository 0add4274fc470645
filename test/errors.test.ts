// Bad input through the TypeScript API: a JS Error whose message names the op and the shapes,
// and the same wasm instance keeps computing correctly afterwards.
import { describe, expect, it } from 'vitest';
import { F, ones, tensor, zeros, type Tensor } from 'ferrograd';

/** `fn` must throw an Error whose message contains every needle. */
function expectError(fn: () => unknown, ...needles: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(Error);
  const msg = (err as Error).message;
  for (const n of needles) expect(msg, `message ${JSON.stringify(msg)}`).toContain(n);
}

/** A correct computation on the same instance: a 2x2 box filter over ones. */
function stillWorks(): void {
  const y = F.conv2d(ones([1, 1, 3, 3]), ones([1, 1, 2, 2]), { bias: tensor([0.5]) });
  expect(y.toArray()).toEqual([[[[4.5, 4.5], [4.5, 4.5]]]]);
  const p = F.maxPool2d(tensor([[[[1, 2], [3, 4]]]]), 2);
  expect(p.item()).toBe(4);
}

const x4 = (): Tensor => zeros([1, 3, 5, 5]);
const w = (): Tensor => zeros([2, 3, 3, 3]);

describe('conv2d rejects bad input with the op and shapes in the message', () => {
  const cases: [string, () => unknown, string[]][] = [
    // a 3-D input is one unbatched image, as in PyTorch
    ['a 2-D input', () => F.conv2d(zeros([5, 5]), w()), ['conv2d', '[5, 5]']],
    ['a 5-D input', () => F.conv2d(zeros([1, 1, 3, 5, 5]), w()), ['conv2d', '[1, 1, 3, 5, 5]']],
    ['a 2-D weight', () => F.conv2d(x4(), zeros([2, 27])), ['conv2d', '[2, 27]']],
    ['a channel mismatch', () => F.conv2d(x4(), zeros([2, 4, 3, 3])), ['conv2d', '[1, 3, 5, 5]', '[2, 4, 3, 3]']],
    ['a kernel larger than the padded input', () => F.conv2d(x4(), zeros([2, 3, 8, 3]), { padding: 1 }), ['conv2d', '[1, 3, 5, 5]', '8']],
    ['a dilated kernel larger than the input', () => F.conv2d(x4(), w(), { dilation: 3 }), ['conv2d', '[1, 3, 5, 5]', 'dilat']],
    ['a zero stride', () => F.conv2d(x4(), w(), { stride: 0 }), ["conv2d: argument 'stride' must be an integer in [1, ", 'got 0']],
    ['a negative stride', () => F.conv2d(x4(), w(), { stride: -1 }), ["conv2d: argument 'stride' must be an integer in [1, ", 'got -1']],
    ['a negative stride in a pair', () => F.conv2d(x4(), w(), { stride: [1, -2] }), ["conv2d: argument 'stride[1]' must be an integer in [1, ", 'got -2']],
    ['a fractional stride', () => F.conv2d(x4(), w(), { stride: 1.5 }), ["conv2d: argument 'stride' must be an integer", '1.5']],
    ['a negative padding', () => F.conv2d(x4(), w(), { padding: -1 }), ["conv2d: argument 'padding' must be an integer in [0, ", 'got -1']],
    ['a NaN padding', () => F.conv2d(x4(), w(), { padding: NaN }), ["conv2d: argument 'padding' must be an integer", 'NaN']],
    ['a zero dilation', () => F.conv2d(x4(), w(), { dilation: [1, 0] }), ["conv2d: argument 'dilation[1]' must be an integer in [1, ", 'got 0']],
    ['a three-value stride', () => F.conv2d(x4(), w(), { stride: [1, 1, 1] as unknown as [number, number] }), ["conv2d: argument 'stride' must be an integer or a pair of them, got [1, 1, 1]"]],
    ['groups not dividing the channels', () => F.conv2d(x4(), zeros([2, 1, 3, 3]), { groups: 2 }), ['conv2d', 'groups', '[1, 3, 5, 5]', '[2, 1, 3, 3]']],
    ['negative groups', () => F.conv2d(x4(), w(), { groups: -1 }), ["conv2d: argument 'groups' must be an integer in [1, ", 'got -1']],
    ['a bias of the wrong length', () => F.conv2d(x4(), w(), { bias: zeros([3]) }), ['conv2d', 'bias', '[3]']],
    ['a padding too large to allocate', () => F.conv2d(x4(), zeros([2, 3, 1, 1]), { padding: 1 << 20 }), ['conv2d', '[1, 3, 5, 5]']],
    ['convolveSame of a 2-D tensor', () => F.convolveSame(zeros([2, 3]), zeros([3])), ['convolve', '[2, 3]']],
  ];
  for (const [what, fn, needles] of cases) {
    it(what, () => {
      expectError(fn, ...needles);
      stillWorks();
    });
  }
});

describe('pooling, resize, batch norm and losses reject bad input', () => {
  const x = (): Tensor => zeros([1, 2, 4, 4]);
  const cases: [string, () => unknown, string[]][] = [
    // a 3-D input is an unbatched image, as in PyTorch (test/pooling.test.ts)
    ['max_pool2d of a 2-D input', () => F.maxPool2d(zeros([4, 4]), 2), ['max_pool2d', '[4, 4]']],
    ['max_pool2d kernel larger than the input', () => F.maxPool2d(x(), [5, 2]), ['max_pool2d: Given input size: (2x4x4). Calculated output size: (2x0x2). Output size is too small']],
    ['max_pool2d zero stride', () => F.maxPool2d(x(), 2, { stride: 0 }), ["max_pool2d: argument 'stride' must be an integer in [1, ", 'got 0']],
    ['max_pool2d negative stride', () => F.maxPool2d(x(), 2, { stride: -1 }), ["max_pool2d: argument 'stride' must be an integer in [1, ", 'got -1']],
    ['max_pool2d negative kernel', () => F.maxPool2d(x(), -2), ["max_pool2d: argument 'kernel_size' must be an integer in [1, ", 'got -2']],
    ['max_pool2d padding over half the kernel', () => F.maxPool2d(x(), 2, { padding: 2 }), ['max_pool2d: pad should be at most half of kernel size, but got pad=2 and kernel_size=2']],
    ['avg_pool2d of a 2-D input', () => F.avgPool2d(zeros([4, 4]), 2), ['avg_pool2d', '[4, 4]']],
    ['avg_pool2d negative padding', () => F.avgPool2d(x(), 2, { padding: -1 }), ["avg_pool2d: argument 'padding' must be an integer in [0, ", 'got -1']],
    ['adaptiveAvgPool2d to size 0', () => F.adaptiveAvgPool2d(x(), [0, 2]), ["adaptive_avg_pool2d: argument 'output_size[0]' must be an integer in [1, ", 'got 0']],
    ['interpolateBilinear to a negative size', () => F.interpolateBilinear(x(), [-8, 8]), ["interpolate: argument 'size[0]' must be an integer in [1, ", 'got -8']],
    ['batchNorm weight for other channels', () => F.batchNorm(x(), zeros([2]), ones([2]), { weight: ones([3]) }), ['batch_norm', 'weight', '[3]', '[1, 2, 4, 4]']],
    ['batchNorm eval without statistics', () => F.batchNorm(x(), null, null), ['batch_norm', 'running', '[1, 2, 4, 4]']],
    ['crossEntropy label out of range', () => F.crossEntropy(zeros([2, 4]), tensor([0, 7])), ['cross_entropy', '7', '[2, 4]']],
    ['crossEntropy negative label', () => F.crossEntropy(zeros([2, 4]), tensor([-1, 0])), ['cross_entropy', '-1', '[2, 4]']],
    ['crossEntropy label count', () => F.crossEntropy(zeros([2, 4]), tensor([0, 1, 2])), ['cross_entropy', '[2, 4]', '[3]']],
    ['crossEntropy of 1-D logits', () => F.crossEntropy(zeros([4]), tensor([1])), ['cross_entropy', '[4]']],
    ['mseLoss shape mismatch', () => F.mseLoss(zeros([2, 3]), zeros([3, 2])), ['mse_loss', '[2, 3]', '[3, 2]']],
    ['pad with a negative amount', () => F.pad(zeros([2, 2]), [[1, -1]]), ["pad: argument 'pad[0][1]' must be an integer in [0, ", 'got -1']],
    ['cat of mismatched shapes', () => F.cat([zeros([2, 3]), zeros([2, 4])], 0), ['cat', '[2, 3]', '[2, 4]']],
    ['stack of mismatched shapes', () => F.stack([zeros([2, 3]), zeros([3, 2])]), ['stack', '[2, 3]', '[3, 2]']],
    ['dropout with p > 1', () => F.dropout(zeros([3]), 1.5), ['dropout', '1.5']],
    ['softmax over a missing dim', () => F.softmax(zeros([2, 3]), 2), ['softmax', '2']],
  ];
  for (const [what, fn, needles] of cases) {
    it(what, () => {
      expectError(fn, ...needles);
      stillWorks();
    });
  }

  it('what PyTorch accepts works: an empty batch, batch norm over (N, C, L)', () => {
    const wt = ones([2, 3, 3, 3], { requiresGrad: true });
    const y = F.conv2d(zeros([0, 3, 5, 5]), wt);
    expect(y.shape).toEqual([0, 2, 3, 3]);
    y.sum().backward();
    expect(wt.grad!.toArray()).toEqual(zeros([2, 3, 3, 3]).toArray());
    // (x - mean) / sqrt(var + eps) per channel over N and L: channel 0 holds 0..3, channel 1 is constant
    const bn = F.batchNorm(tensor([[[0, 1], [5, 5]], [[2, 3], [5, 5]]]), zeros([2]), ones([2]), { training: true });
    const s = 1 / Math.sqrt(1.25 + 1e-5);
    const got = bn.toArray() as number[][][];
    expect(got.flat(2).map((v) => +v.toFixed(5))).toEqual([-1.5 * s, -0.5 * s, 0, 0, 0.5 * s, 1.5 * s, 0, 0].map((v) => +v.toFixed(5)));
  });

  it('an autograd graph built before an error still backpropagates', () => {
    const wt = ones([1, 1, 2, 2], { requiresGrad: true });
    const y = F.conv2d(ones([1, 1, 3, 3]), wt).sum();
    expectError(() => F.conv2d(ones([1, 1, 3, 3]), wt, { stride: -1 }), "conv2d: argument 'stride' must be an integer in [1, ");
    y.backward();
    expect(wt.grad!.toArray()).toEqual([[[[4, 4], [4, 4]]]]);
  });
});
