// F.convTranspose2d, F.conv1d, padding 'valid'/'same', nn.ConvTranspose2d, nn.Conv1d and their
// lazy forms. Values and gradients are golden cases (conv_transpose, on every device); here the
// argument checks (a TypeError/RangeError naming the op, the argument and the value, and the
// library still works afterwards), PyTorch's reprs and init bounds, output shapes
// (output_padding, outputSize, unbatched inputs), and the adjoint property
// <conv2d(x), y> == <x, conv_transpose2d(y)>.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { F, manualSeed, nn, rand, randn, tensor, zeros, type Tensor } from 'ferrograd';
import { expectClose } from './helpers/assert.js';

const x4 = (): Tensor => rand([1, 4, 5, 5]);
const w4 = (): Tensor => rand([4, 2, 3, 3]);

/** A correct computation after the errors: a stride-2 transposed conv of ones spreads pixels. */
function stillWorks(): void {
  const y = F.convTranspose2d(tensor([[[[1, 2], [3, 4]]]]), tensor([[[[1, 1], [1, 1]]]]), { stride: 2 });
  expect(y.toArray()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
}

describe('F.convTranspose2d argument checks', () => {
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['input not a tensor', () => F.convTranspose2d([1] as never, w4()), TypeError, /^conv_transpose2d: argument 'input' must be a Tensor, got \[1\]$/],
    ['weight not a tensor', () => F.convTranspose2d(x4(), null as never), TypeError, /^conv_transpose2d: argument 'weight' must be a Tensor, got null$/],
    ['bias not a tensor', () => F.convTranspose2d(x4(), w4(), { bias: 3 as never }), TypeError, /^conv_transpose2d: argument 'bias' must be a Tensor, got 3$/],
    ['an unknown option', () => F.convTranspose2d(x4(), w4(), { output_padding: 1 } as never), TypeError, /^conv_transpose2d: got an unexpected option 'output_padding' \(expected 'bias', 'stride', 'padding', 'outputPadding', 'groups', 'dilation'\)$/],
    ['options not an object', () => F.convTranspose2d(x4(), w4(), 2 as never), TypeError, /^conv_transpose2d: options must be an object, got 2$/],
    ['a zero stride', () => F.convTranspose2d(x4(), w4(), { stride: 0 }), RangeError, /^conv_transpose2d: argument 'stride' must be an integer in \[1, 2147483647\], got 0$/],
    ['a fractional stride', () => F.convTranspose2d(x4(), w4(), { stride: [2, 1.5] }), TypeError, /^conv_transpose2d: argument 'stride\[1\]' must be an integer, got a non-integer number \(1\.5\)$/],
    ['a negative padding', () => F.convTranspose2d(x4(), w4(), { padding: -1 }), RangeError, /^conv_transpose2d: argument 'padding' must be an integer in \[0, 2147483647\], got -1$/],
    ['a string padding', () => F.convTranspose2d(x4(), w4(), { padding: 'same' as never }), TypeError, /^conv_transpose2d: argument 'padding' must be an integer, got string \("same"\)$/],
    ['a negative outputPadding', () => F.convTranspose2d(x4(), w4(), { outputPadding: [0, -2] }), RangeError, /^conv_transpose2d: argument 'outputPadding\[1\]' must be an integer in \[0, 2147483647\], got -2$/],
    ['an outputPadding of three values', () => F.convTranspose2d(x4(), w4(), { outputPadding: [1, 1, 1] as never }), TypeError, /^conv_transpose2d: argument 'outputPadding' must be an integer or a pair of them, got \[1, 1, 1\]$/],
    ['a zero dilation', () => F.convTranspose2d(x4(), w4(), { dilation: 0 }), RangeError, /^conv_transpose2d: argument 'dilation' must be an integer in \[1, 2147483647\], got 0$/],
    ['zero groups', () => F.convTranspose2d(x4(), w4(), { groups: 0 }), RangeError, /^conv_transpose2d: argument 'groups' must be an integer in \[1, 2147483647\], got 0$/],
    [
      'outputPadding not below stride or dilation',
      () => F.convTranspose2d(x4(), w4(), { stride: 2, outputPadding: 2 }),
      Error,
      /^conv_transpose2d: output padding must be smaller than either stride or dilation, but got output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1$/,
    ],
    ['outputPadding 1 at stride 1', () => F.convTranspose2d(x4(), w4(), { outputPadding: [0, 1] }), Error, /output_padding_height: 0 output_padding_width: 1 stride_height: 1 stride_width: 1/],
    ['groups that do not divide the weight', () => F.convTranspose2d(x4(), w4(), { groups: 3 }), Error, /^conv_transpose2d: given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size \[4, 2, 3, 3\]$/],
    ['input channels that are not the weight\'s', () => F.convTranspose2d(x4(), rand([3, 2, 3, 3])), Error, /^conv_transpose2d: given weight of size \[3, 2, 3, 3\], expected input \[1, 4, 5, 5\] to have 3 channels, but got 4 channels$/],
    ['a 3-D weight', () => F.convTranspose2d(x4(), rand([4, 2, 3])), Error, /^conv_transpose2d: expected a 4-D weight \(C_in, C_out\/groups, kH, kW\), got shape \[4, 2, 3\]$/],
    ['a 2-D input', () => F.convTranspose2d(rand([4, 5]), w4()), Error, /^conv_transpose2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input \(N, C_in, H, W\), got shape \[4, 5\]$/],
    ['a 5-D input', () => F.convTranspose2d(rand([1, 1, 4, 5, 5]), w4()), Error, /got shape \[1, 1, 4, 5, 5\]$/],
    ['a bias of the wrong size', () => F.convTranspose2d(x4(), w4(), { bias: rand([3]) }), Error, /^conv_transpose2d: given weight of size \[4, 2, 3, 3\] and groups 1, expected bias to be 1-dimensional with 2 elements, but got bias of size \[3\]$/],
    ['padding that leaves no output', () => F.convTranspose2d(x4(), w4(), { padding: 5 }), Error, /^conv_transpose2d: given input size per channel: \(5 x 5\), calculated output size per channel: \(-3 x -3\); output size is too small/],
    ['an empty input plane', () => F.convTranspose2d(zeros([1, 4, 0, 5]), w4()), Error, /output size is too small/],
  ];
  for (const [what, fn, kind, message] of cases) {
    it(`${what}: ${kind.name}`, () => {
      expect(fn).toThrow(kind);
      expect(fn).toThrow(message);
      stillWorks();
    });
  }
});

describe('F.conv1d and string paddings: argument checks', () => {
  const x = (): Tensor => rand([2, 4, 6]);
  const w = (): Tensor => rand([4, 4, 3]);
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['input not a tensor', () => F.conv1d('x' as never, w()), TypeError, /^conv1d: argument 'input' must be a Tensor, got "x"$/],
    ['a 4-D weight', () => F.conv1d(x(), rand([4, 4, 3, 1])), RangeError, /^conv1d: expected a 3-D weight \(C_out, C_in\/groups, k\), got shape \[4, 4, 3, 1\]$/],
    ['a 4-D input', () => F.conv1d(rand([2, 4, 5, 1]), w()), RangeError, /^conv1d: expected 2D \(unbatched\) or 3D \(batched\) input, but got input of size \[2, 4, 5, 1\]$/],
    ['channels that are not the weight\'s', () => F.conv1d(rand([2, 3, 5]), w()), RangeError, /^conv1d: given groups=1, weight of size \[4, 4, 3\], expected input \[2, 3, 5\] to have 4 channels, but got 3 channels$/],
    ['groups that do not divide C_out', () => F.conv1d(x(), rand([3, 2, 3]), { groups: 2 }), RangeError, /^conv1d: given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size \[3, 2, 3\]$/],
    ['a kernel longer than the padded input', () => F.conv1d(rand([2, 4, 2]), w()), RangeError, /^conv1d: calculated padded input size per channel: \(2\); kernel size: \(3\); kernel size can't be greater than actual input size/],
    ['a stride of two values', () => F.conv1d(x(), w(), { stride: [1, 2] as never }), TypeError, /^conv1d: argument 'stride' must be an integer or a list of 1 integer, got \[1, 2\]$/],
    ['a negative padding in a list', () => F.conv1d(x(), w(), { padding: [-1] }), RangeError, /^conv1d: argument 'padding\[0\]' must be an integer in \[0, 2147483647\], got -1$/],
    ['an unknown padding string', () => F.conv1d(x(), w(), { padding: 'foo' as never }), RangeError, /^conv1d: invalid padding string "foo", should be one of 'valid', 'same'$/],
    ['same with stride 2', () => F.conv1d(x(), w(), { padding: 'same', stride: 2 }), RangeError, /^conv1d: padding='same' is not supported for strided convolutions \(stride 2\)$/],
    ['conv2d same with stride (1, 2)', () => F.conv2d(x4(), rand([2, 4, 3, 3]), { padding: 'same', stride: [1, 2] }), RangeError, /^conv2d: padding='same' is not supported for strided convolutions \(stride \[1, 2\]\)$/],
    ['conv2d with a 2-D input', () => F.conv2d(rand([4, 5]), rand([2, 4, 3, 3])), RangeError, /^conv2d: expected 3D \(unbatched\) or 4D \(batched\) input, but got input of size \[4, 5\]$/],
    ['conv2d with a 3-D weight', () => F.conv2d(x4(), rand([2, 4, 3])), RangeError, /^conv2d: expected a 4-D weight/],
    // torch 1.13: padding='valid' is padding 0, so the same "Kernel size can't be greater" refusal
    ['valid with a kernel longer than the input', () => F.conv1d(rand([2, 4, 2]), w(), { padding: 'valid' }), RangeError, /^conv1d: calculated padded input size per channel: \(2\); kernel size: \(3\)/],
    ['valid with a dilated kernel longer than the input', () => F.conv1d(rand([1, 4, 3]), rand([1, 4, 2]), { padding: 'valid', dilation: 3 }), RangeError, /^conv1d: calculated padded input size per channel: \(3\); kernel size: \(4\)/],
    // torch 1.13: stride/padding/dilation/groups=None are TypeErrors ("received an invalid
    // combination of arguments"), not the defaults; only the bias may be None
    ['a null stride', () => F.conv1d(x(), w(), { stride: null as never }), TypeError, /^conv1d: argument 'stride' must be an integer, got null/],
    ['a null padding', () => F.conv1d(x(), w(), { padding: null as never }), TypeError, /^conv1d: argument 'padding' must be an integer, got null/],
    ['a null dilation', () => F.conv1d(x(), w(), { dilation: null as never }), TypeError, /^conv1d: argument 'dilation' must be an integer, got null/],
    ['a null groups', () => F.conv1d(x(), w(), { groups: null as never }), TypeError, /^conv1d: argument 'groups' must be an integer, got null/],
    ['conv2d with a null stride', () => F.conv2d(x4(), rand([2, 4, 3, 3]), { stride: null as never }), TypeError, /^conv2d: argument 'stride' must be an integer, got null/],
    ['conv2d with a null groups', () => F.conv2d(x4(), rand([2, 4, 3, 3]), { groups: null as never }), TypeError, /^conv2d: argument 'groups' must be an integer, got null/],
    ['conv_transpose2d with a null outputPadding', () => F.convTranspose2d(x4(), w4(), { outputPadding: null as never }), TypeError, /^conv_transpose2d: argument 'outputPadding' must be an integer, got null/],
    ['conv_transpose2d with a null dilation', () => F.convTranspose2d(x4(), w4(), { dilation: null as never }), TypeError, /^conv_transpose2d: argument 'dilation' must be an integer, got null/],
  ];
  for (const [what, fn, kind, message] of cases) {
    it(`${what}: ${kind.name}`, () => {
      expect(fn).toThrow(kind);
      expect(fn).toThrow(message);
      stillWorks();
    });
  }
});

describe('output shapes', () => {
  it('(H - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1 per axis', () => {
    expect(F.convTranspose2d(x4(), w4()).shape).toEqual([1, 2, 7, 7]);
    expect(F.convTranspose2d(x4(), w4(), { stride: 2, padding: 1, outputPadding: 1 }).shape).toEqual([1, 2, 10, 10]);
    expect(F.convTranspose2d(x4(), w4(), { stride: [3, 2], padding: [0, 2], outputPadding: [2, 0] }).shape).toEqual([1, 2, 17, 7]);
    // output_padding below the dilation (not the stride) is allowed, as in PyTorch
    expect(F.convTranspose2d(x4(), w4(), { dilation: 2, outputPadding: 1 }).shape).toEqual([1, 2, 10, 10]);
    expect(F.convTranspose2d(x4(), rand([4, 3, 3, 3]), { groups: 2 }).shape).toEqual([1, 6, 7, 7]);
    expect(F.convTranspose2d(x4(), w4(), { padding: 3 }).shape).toEqual([1, 2, 1, 1]);
  });
  it('an empty batch gives an empty batch', () => {
    expect(F.convTranspose2d(zeros([0, 4, 5, 5]), w4()).shape).toEqual([0, 2, 7, 7]);
  });
  it('unbatched inputs: [C, H, W] and [C, L]', () => {
    const x = rand([4, 5, 5]);
    const w = w4();
    const y = F.convTranspose2d(x, w, { stride: 2 });
    expect(y.shape).toEqual([2, 11, 11]);
    expectClose(y, F.convTranspose2d(x.unsqueeze(0), w, { stride: 2 }).squeeze(0));
    expect(F.conv1d(rand([3, 5]), rand([2, 3, 2])).shape).toEqual([2, 4]);
    expect(F.conv2d(rand([3, 5, 6]), rand([2, 3, 2, 2])).shape).toEqual([2, 4, 5]);
  });
  it("grad_fn is PyTorch's ConvolutionBackward0, with or without a bias", () => {
    const x = rand([1, 1, 2, 2], { requiresGrad: true });
    const w = rand([1, 1, 2, 2]);
    expect(F.convTranspose2d(x, w).gradFn).toBe('ConvolutionBackward0');
    expect(F.convTranspose2d(x, w, { bias: tensor([1]) }).gradFn).toBe('ConvolutionBackward0');
  });
  it('known values (PyTorch): stride 1 and 2 on a 2x2 image', () => {
    const x = tensor([[[[1, 2], [3, 4]]]]);
    expect(F.convTranspose2d(x, tensor([[[[1, 1], [1, 1]]]])).toArray()).toEqual([[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]]);
    stillWorks();
  });
});

describe("padding 'valid' and 'same'", () => {
  it("matches PyTorch, with the extra zero on the right for an even kernel", () => {
    const x = tensor([[[0, 1, 2, 3, 4, 5]]]);
    expect(F.conv1d(x, tensor([[[1, 2, 3, 4]]]), { padding: 'same' }).toArray()).toEqual([[[11, 20, 30, 40, 26, 14]]]);
    const x2 = tensor([[[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]]]);
    expect(F.conv2d(x2, tensor([[[[1, 2], [3, 4]]]]), { padding: 'same' }).toArray()).toEqual([[[[34, 44, 54, 24], [74, 84, 94, 40], [26, 29, 32, 11]]]]);
    expect(F.conv2d(x2, tensor([[[[1, 2], [3, 4]]]]), { padding: 'valid' }).shape).toEqual([1, 1, 2, 3]);
  });
  it("'same' keeps every length for odd and even kernels, dilations and groups", () => {
    for (const [k, d, g] of [[3, 1, 1], [4, 1, 2], [3, 2, 1], [2, 3, 2], [5, 2, 4]] as const) {
      expect(F.conv1d(rand([2, 4, 7]), rand([4, 4 / g, k]), { padding: 'same', dilation: d, groups: g }).shape).toEqual([2, 4, 7]);
    }
  });
});

describe('layers: repr as PyTorch prints it', () => {
  it('ConvTranspose2d', () => {
    expect(String(new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }))).toBe('ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))');
    expect(String(new nn.ConvTranspose2d(4, 2, 3))).toBe('ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(1, 1))');
    expect(String(new nn.ConvTranspose2d(4, 2, [3, 2], { groups: 2, bias: false, dilation: 2 }))).toBe('ConvTranspose2d(4, 2, kernel_size=(3, 2), stride=(1, 1), dilation=(2, 2), groups=2, bias=False)');
  });
  it('Conv1d', () => {
    expect(String(new nn.Conv1d(3, 8, 3))).toBe('Conv1d(3, 8, kernel_size=(3,), stride=(1,))');
    expect(String(new nn.Conv1d(3, 8, 3, { stride: 2, padding: 1, dilation: 2, groups: 1, bias: false }))).toBe('Conv1d(3, 8, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), bias=False)');
    expect(String(new nn.Conv1d(4, 8, 3, { padding: 'same', groups: 2 }))).toBe('Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=same, groups=2)');
    expect(String(new nn.Conv1d(4, 8, [3], { padding: 'valid' }))).toBe('Conv1d(4, 8, kernel_size=(3,), stride=(1,), padding=valid)');
  });
  it('lazy layers print as PyTorch before and after their first call', () => {
    const c = new nn.LazyConv1d(8, 3);
    const t = new nn.LazyConvTranspose2d(8, 3);
    expect(String(c)).toBe('LazyConv1d(0, 8, kernel_size=(3,), stride=(1,))');
    expect(String(t)).toBe('LazyConvTranspose2d(0, 8, kernel_size=(3, 3), stride=(1, 1))');
    expect(c.call(rand([2, 5, 6])).shape).toEqual([2, 8, 4]);
    expect(t.call(rand([3, 4, 4])).shape).toEqual([8, 6, 6]); // unbatched: in_channels from dim 0
    expect(String(c)).toBe('Conv1d(5, 8, kernel_size=(3,), stride=(1,))');
    expect(String(t)).toBe('ConvTranspose2d(3, 8, kernel_size=(3, 3), stride=(1, 1))');
    expect(t.weight!.shape).toEqual([3, 8, 3, 3]);
  });
});

describe('layers: construction errors', () => {
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['ConvTranspose2d out_channels not divisible by groups', () => new nn.ConvTranspose2d(4, 3, 3, { groups: 2 }), RangeError, /^ConvTranspose2d: out_channels must be divisible by groups \(out_channels=3, groups=2\)$/],
    ['ConvTranspose2d in_channels not divisible by groups', () => new nn.ConvTranspose2d(3, 4, 3, { groups: 2 }), RangeError, /^ConvTranspose2d: in_channels must be divisible by groups \(in_channels=3, groups=2\)$/],
    ['ConvTranspose2d with a string padding', () => new nn.ConvTranspose2d(4, 2, 3, { padding: 'same' as never }), TypeError, /^ConvTranspose2d: argument 'padding' must be an integer, got string/],
    ['ConvTranspose2d with an unknown option', () => new nn.ConvTranspose2d(4, 2, 3, { output_padding: 1 } as never), TypeError, /^ConvTranspose2d: got an unexpected option 'output_padding'/],
    ['ConvTranspose2d with a zero kernel', () => new nn.ConvTranspose2d(4, 2, [3, 0]), RangeError, /^ConvTranspose2d: argument 'kernel_size\[1\]' must be an integer in \[1, 2147483647\], got 0$/],
    ['Conv1d in_channels not divisible by groups', () => new nn.Conv1d(3, 4, 3, { groups: 2 }), RangeError, /^Conv1d: in_channels must be divisible by groups \(in_channels=3, groups=2\)$/],
    ['Conv1d same with stride 2', () => new nn.Conv1d(4, 4, 3, { padding: 'same', stride: 2 }), RangeError, /^Conv1d: padding='same' is not supported for strided convolutions \(stride 2\)$/],
    ['Conv1d with an unknown padding string', () => new nn.Conv1d(4, 4, 3, { padding: 'foo' as never }), RangeError, /^Conv1d: invalid padding string "foo", should be one of 'valid', 'same'$/],
    ['Conv1d with a pair kernel', () => new nn.Conv1d(4, 4, [3, 3] as never), TypeError, /^Conv1d: argument 'kernel_size' must be an integer or a list of 1 integer, got \[3, 3\]$/],
    ['Conv1d bias not a boolean', () => new nn.Conv1d(4, 4, 3, { bias: 0 as never }), TypeError, /^Conv1d: argument 'bias' must be a boolean, got 0$/],
    ['LazyConv1d on a 4-D input', () => new nn.LazyConv1d(4, 3).call(rand([1, 2, 3, 4])), RangeError, /^LazyConv1d: expected 2D \(unbatched\) or 3D \(batched\) input, but got input of size \[1, 2, 3, 4\]$/],
  ];
  for (const [what, fn, kind, message] of cases) {
    it(`${what}: ${kind.name}`, () => {
      expect(fn).toThrow(kind);
      expect(fn).toThrow(message);
      stillWorks();
    });
  }
});

describe('layers: init, forward, outputSize', () => {
  it("PyTorch's init bounds: 1/sqrt(fan_in), fan_in = weight.size(1)·kH·kW", () => {
    manualSeed(1);
    // transposed weight [16, 6/2, 3, 3]: fan_in = 3 · 9 = 27 (not 16/2 · 9)
    const t = new nn.ConvTranspose2d(16, 6, 3, { groups: 2 });
    expect(t.weight!.shape).toEqual([16, 3, 3, 3]);
    const c = new nn.Conv1d(8, 4, 5, { groups: 2 });
    expect(c.weight!.shape).toEqual([4, 4, 5]);
    for (const [m, fanIn] of [[t, 27], [c, 20]] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      for (const p of [m.weight!, m.bias!]) {
        const v = Array.from(p.dataSync());
        expect(Math.max(...v)).toBeLessThanOrEqual(bound);
        expect(Math.min(...v)).toBeGreaterThanOrEqual(-bound);
      }
      const w = Array.from(m.weight!.dataSync());
      expect(Math.max(...w)).toBeGreaterThan(0.8 * bound);
      expect(Math.min(...w)).toBeLessThan(-0.8 * bound);
    }
  });
  it('forward is the functional op with the layer weights; parameters get gradients', () => {
    const m = new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
    const x = x4();
    const y = m.call(x);
    expect(y.shape).toEqual([1, 2, 10, 10]);
    expectClose(y, F.convTranspose2d(x, m.weight!, { bias: m.bias, stride: 2, padding: 1, outputPadding: 1 }));
    y.sum().backward();
    expect(m.weight!.grad!.shape).toEqual([4, 2, 3, 3]);
    // d sum / d bias = the output's pixels per channel
    expectClose(m.bias!.grad!, [100, 100]);
    const c = new nn.Conv1d(4, 6, 3, { padding: 'same', groups: 2, bias: false });
    expect(c.bias).toBeNull();
    expect(c.call(rand([2, 4, 9])).shape).toEqual([2, 6, 9]);
    expect(c.call(rand([4, 9])).shape).toEqual([6, 9]);
  });
  it("outputSize picks the output padding, as PyTorch's forward(input, output_size)", () => {
    const m = new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1 });
    const x = x4();
    expect(m.forward(x, [10, 10]).shape).toEqual([1, 2, 10, 10]);
    expect(m.forward(x, [1, 2, 9, 10]).shape).toEqual([1, 2, 9, 10]);
    expect(m.forward(rand([4, 5, 5]), [2, 10, 9]).shape).toEqual([2, 10, 9]);
    expectClose(m.forward(x, [10, 9]), F.convTranspose2d(x, m.weight!, { bias: m.bias, stride: 2, padding: 1, outputPadding: [1, 0] }));
    expect(() => m.forward(x, [12, 12])).toThrow(RangeError);
    expect(() => m.forward(x, [12, 12])).toThrow(/^ConvTranspose2d: requested an output size of \[12, 12\], but valid sizes range from \[9, 9\] to \[10, 10\] \(for an input of size \[5, 5\]\)$/);
    expect(() => m.forward(x, [8])).toThrow(/^ConvTranspose2d: for 4D input, output_size must have 2 or 4 elements \(got 1\)$/);
    expect(() => m.forward(x, [10, 1.5])).toThrow(TypeError);
    expect(() => m.forward(x, 10 as never)).toThrow(/^ConvTranspose2d: argument 'outputSize' must be an array of integers, got 10$/);
    stillWorks();
  });
});

/** Sum of the elementwise product. */
const dot = (a: Tensor, b: Tensor): number => a.mul(b).sum().item();

describe('conv_transpose2d is the adjoint of conv2d', () => {
  it('<conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for random geometries', () => {
    const geometry = fc.record({
      n: fc.integer({ min: 1, max: 2 }),
      g: fc.integer({ min: 1, max: 2 }),
      cin: fc.integer({ min: 1, max: 2 }),
      cout: fc.integer({ min: 1, max: 2 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      p: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
      d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      h: fc.integer({ min: 3, max: 8 }),
      w: fc.integer({ min: 3, max: 8 }),
    });
    fc.assert(
      fc.property(geometry, ({ n, g, cin, cout, kh, kw, s, p, d, h, w }) => {
        const [ci, co] = [cin * g, cout * g];
        // the conv2d must fit: padded input at least the dilated kernel
        fc.pre(h + 2 * p[0] >= d[0] * (kh - 1) + 1 && w + 2 * p[1] >= d[1] * (kw - 1) + 1);
        const x = randn([n, ci, h, w]);
        const wt = randn([co, ci / g, kh, kw]);
        const y0 = F.conv2d(x, wt, { stride: s, padding: p, dilation: d, groups: g });
        const [oh, ow] = y0.shape.slice(2) as [number, number];
        // the rows the conv2d's windows never reach come back as output padding
        const op = [0, 1].map((i) => [h, w][i]! - (([oh, ow][i]! - 1) * s[i]! - 2 * p[i]! + d[i]! * ([kh, kw][i]! - 1) + 1)) as [number, number];
        const y = randn(y0.shape);
        const xt = F.convTranspose2d(y, wt, { stride: s, padding: p, outputPadding: op, dilation: d, groups: g });
        expect(xt.shape).toEqual(x.shape);
        const lhs = dot(y0, y);
        const rhs = dot(x, xt);
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(lhs)));
      }),
      { numRuns: 60 },
    );
  });
});

describe("nn.Conv2d with padding 'same' / 'valid'", () => {
  it('keeps the size (same) or pads nothing (valid), prints as PyTorch, fuses with an activation', () => {
    // torch 1.13: nn.Conv2d(3, 8, 4, padding='same') prints padding=same
    const c = new nn.Conv2d(3, 8, 4, { padding: 'same' });
    expect(c.toString()).toBe('Conv2d(3, 8, kernel_size=(4, 4), stride=(1, 1), padding=same)');
    expect(c.forward(randn([2, 3, 7, 9])).shape).toEqual([2, 8, 7, 9]);
    expect(new nn.Sequential(c, new nn.ReLU()).forward(randn([2, 3, 7, 9])).shape).toEqual([2, 8, 7, 9]);
    expect(new nn.LazyConv2d(8, 3, { padding: 'valid' }).forward(randn([1, 3, 7, 9])).shape).toEqual([1, 8, 5, 7]);
    expect(() => new nn.Conv2d(3, 8, 3, { padding: 'same', stride: 2 })).toThrow(/^Conv2d: padding='same' is not supported for strided convolutions/);
    expect(() => new nn.Conv2d(3, 8, 3, { padding: 'full' as never })).toThrow(RangeError);
  });
});
