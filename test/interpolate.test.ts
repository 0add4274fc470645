// F.interpolate and nn.Upsample: values and gradients are golden cases (interpolate, on every
// device); here the argument checks (a TypeError/RangeError naming the op, the argument and the
// value), output shapes, the kernel path against the composed one, nn.Upsample, and properties
// of every mode (a constant stays constant, the gradient's total is the upstream's).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { F, fromArray, full, nn, rand, tensor, zeros, type Tensor } from 'ferrograd';

const x4 = (): Tensor => rand([1, 2, 4, 5]);

/** A correct computation after the errors: a 2x2 -> 4x4 nearest upsample. */
function stillWorks(): void {
  const y = F.interpolate(tensor([[[[1, 2], [3, 4]]]]), { scaleFactor: 2 });
  expect(y.toArray()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
}

describe('F.interpolate argument checks', () => {
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['no options', () => F.interpolate(x4(), undefined as never), TypeError, /^interpolate: either size or scale_factor should be defined/],
    ['neither size nor scaleFactor', () => F.interpolate(x4(), {}), TypeError, /^interpolate: either size or scale_factor should be defined$/],
    ['both size and scaleFactor', () => F.interpolate(x4(), { size: 3, scaleFactor: 2 }), TypeError, /^interpolate: only one of size or scale_factor should be defined, got size 3 and scaleFactor 2$/],
    ['an unknown option', () => F.interpolate(x4(), { size: 3, align_corners: true } as never), TypeError, /^interpolate: got an unexpected option 'align_corners' \(expected 'size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor', 'antialias'\)$/],
    ['options not an object', () => F.interpolate(x4(), 3 as never), TypeError, /^interpolate: options must be an object, got 3$/],
    ['not a tensor', () => F.interpolate([1, 2] as never, { size: 3 }), TypeError, /^interpolate: argument 'input' must be a Tensor, got \[1, 2\]$/],
    ['an unknown mode', () => F.interpolate(x4(), { size: 3, mode: 'cubic' as never }), RangeError, /^interpolate: argument 'mode' must be one of 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area', got "cubic"$/],
    ['a mode that is no string', () => F.interpolate(x4(), { size: 3, mode: 1 as never }), TypeError, /^interpolate: argument 'mode' must be one of .*got 1$/],
    ['a 2-D input', () => F.interpolate(zeros([3, 4]), { size: 3 }), RangeError, /^interpolate: input must be 3-D, 4-D or 5-D \(\[N, C, d1, \.\.\.\]\) for the mode 'nearest', got shape \[3, 4\]$/],
    ['a 6-D input', () => F.interpolate(zeros([1, 1, 2, 2, 2, 2]), { size: 3 }), RangeError, /got shape \[1, 1, 2, 2, 2, 2\]$/],
    ['bilinear on 3-D', () => F.interpolate(zeros([1, 2, 5]), { size: 3, mode: 'bilinear' }), RangeError, /^interpolate: got 3D input of shape \[1, 2, 5\], but bilinear mode needs 4D input$/],
    ['linear on 4-D', () => F.interpolate(x4(), { size: 3, mode: 'linear' }), RangeError, /^interpolate: got 4D input of shape \[1, 2, 4, 5\], but linear mode needs 3D input$/],
    ['bicubic on 5-D', () => F.interpolate(zeros([1, 1, 2, 2, 2]), { size: 3, mode: 'bicubic' }), RangeError, /but bicubic mode needs 4D input$/],
    ['trilinear on 4-D', () => F.interpolate(x4(), { size: 3, mode: 'trilinear' }), RangeError, /but trilinear mode needs 5D input$/],
    ['alignCorners with nearest', () => F.interpolate(x4(), { size: 3, alignCorners: false }), RangeError, /^interpolate: align_corners option can only be set with the interpolating modes: linear \| bilinear \| bicubic \| trilinear \(got mode 'nearest', alignCorners false\)$/],
    ['alignCorners with area', () => F.interpolate(x4(), { size: 3, mode: 'area', alignCorners: true }), RangeError, /got mode 'area', alignCorners true/],
    ['alignCorners with nearest-exact', () => F.interpolate(x4(), { size: 3, mode: 'nearest-exact', alignCorners: true }), RangeError, /got mode 'nearest-exact'/],
    ['alignCorners not a boolean', () => F.interpolate(x4(), { size: 3, mode: 'bilinear', alignCorners: 1 as never }), TypeError, /^interpolate: argument 'alignCorners' must be a boolean, got 1$/],
    ['antialias with nearest', () => F.interpolate(x4(), { size: 3, antialias: true }), RangeError, /^interpolate: anti-alias option is only supported for bilinear and bicubic modes \(got mode 'nearest'\)$/],
    ['antialias with trilinear', () => F.interpolate(zeros([1, 1, 2, 2, 2]), { size: 3, mode: 'trilinear', antialias: true }), RangeError, /only supported for bilinear and bicubic modes \(got mode 'trilinear'\)/],
    ['antialias not a boolean', () => F.interpolate(x4(), { size: 3, mode: 'bilinear', antialias: 'yes' as never }), TypeError, /^interpolate: argument 'antialias' must be a boolean, got "yes"$/],
    ['recomputeScaleFactor with a size', () => F.interpolate(x4(), { size: 3, recomputeScaleFactor: true }), RangeError, /^interpolate: recompute_scale_factor is not meaningful with an explicit size$/],
    ['recomputeScaleFactor not a boolean', () => F.interpolate(x4(), { scaleFactor: 2, recomputeScaleFactor: 0 as never }), TypeError, /^interpolate: argument 'recomputeScaleFactor' must be a boolean, got 0$/],
    ['a zero size', () => F.interpolate(x4(), { size: 0 }), RangeError, /^interpolate: argument 'size' must be an integer in \[1, 2147483647\], got 0$/],
    ['a negative size in a list', () => F.interpolate(x4(), { size: [3, -1] }), RangeError, /^interpolate: argument 'size\[1\]' must be an integer in \[1, 2147483647\], got -1$/],
    ['a fractional size', () => F.interpolate(x4(), { size: 2.5 }), TypeError, /^interpolate: argument 'size' must be an integer, got a non-integer number \(2\.5\)$/],
    ['a NaN size', () => F.interpolate(x4(), { size: NaN }), TypeError, /^interpolate: argument 'size' must be an integer, got NaN \(NaN\)$/],
    ['a string size', () => F.interpolate(x4(), { size: '3' as never }), TypeError, /^interpolate: argument 'size' must be an integer, got string \("3"\)$/],
    ['a size list of the wrong length', () => F.interpolate(x4(), { size: [3, 4, 5] }), RangeError, /^interpolate: input and output must have the same number of spatial dimensions, but got input with spatial dimensions of \[4, 5\] and size \[3, 4, 5\]/],
    ['a scale list of the wrong length', () => F.interpolate(x4(), { scaleFactor: [2] }), RangeError, /spatial dimensions of \[4, 5\] and scaleFactor \[2\]/],
    ['a negative scale', () => F.interpolate(x4(), { scaleFactor: -2 }), RangeError, /^interpolate: argument 'scaleFactor' must be a finite number in \(0, Infinity\], got -2$/],
    ['a zero scale', () => F.interpolate(x4(), { scaleFactor: 0 }), RangeError, /argument 'scaleFactor' must be a finite number in \(0, Infinity\], got 0$/],
    ['a NaN scale in a list', () => F.interpolate(x4(), { scaleFactor: [2, NaN] }), RangeError, /^interpolate: argument 'scaleFactor\[1\]' must be a finite number .*got NaN$/],
    ['an infinite scale', () => F.interpolate(x4(), { scaleFactor: Infinity }), RangeError, /argument 'scaleFactor' must be a finite number.*got Infinity$/],
    ['a scale given as a string', () => F.interpolate(x4(), { scaleFactor: '2' as never }), TypeError, /^interpolate: argument 'scaleFactor' must be a number, got "2"$/],
    ['a scale that empties an axis', () => F.interpolate(x4(), { scaleFactor: [0.2, 1] }), RangeError, /^interpolate: input and output sizes should be greater than 0.*spatial dim 0 of size 4 times scaleFactor\[0\] 0\.2 gives floor\(0\.8\) = 0$/],
    ['an empty input axis', () => F.interpolate(zeros([1, 2, 0, 3]), { size: 2 }), RangeError, /^interpolate: input and output sizes should be greater than 0, but got input of shape \[1, 2, 0, 3\]/],
  ];
  for (const [what, fn, kind, message] of cases) {
    it(`${what}: ${kind.name}`, () => {
      expect(fn).toThrow(kind);
      expect(fn).toThrow(message);
      stillWorks();
    });
  }

  it('null stands for an omitted option (Python None)', () => {
    expect(F.interpolate(x4(), { size: null, scaleFactor: 2, alignCorners: null, recomputeScaleFactor: null }).shape).toEqual([1, 2, 8, 10]);
    expect(F.interpolate(x4(), { size: 3, scaleFactor: null, mode: 'bicubic', alignCorners: null }).shape).toEqual([1, 2, 3, 3]);
  });
});

describe('F.interpolate output sizes', () => {
  it('floor(in * scaleFactor) per axis, one factor or one per axis, on every rank', () => {
    expect(F.interpolate(x4(), { scaleFactor: 1.7 }).shape).toEqual([1, 2, 6, 8]);
    expect(F.interpolate(x4(), { scaleFactor: 0.6, mode: 'bilinear' }).shape).toEqual([1, 2, 2, 3]);
    expect(F.interpolate(x4(), { scaleFactor: [2.5, 0.5], mode: 'bicubic', recomputeScaleFactor: true }).shape).toEqual([1, 2, 10, 2]);
    expect(F.interpolate(x4(), { scaleFactor: 1 / 3, mode: 'area' }).shape).toEqual([1, 2, 1, 1]);
    expect(F.interpolate(zeros([2, 3, 7]), { scaleFactor: 1.5, mode: 'linear' }).shape).toEqual([2, 3, 10]);
    expect(F.interpolate(zeros([1, 1, 2, 3, 4]), { scaleFactor: [1.5, 2, 0.5], mode: 'trilinear' }).shape).toEqual([1, 1, 3, 6, 2]);
    expect(F.interpolate(zeros([1, 1, 2, 3, 4]), { size: 5, mode: 'nearest-exact' }).shape).toEqual([1, 1, 5, 5, 5]);
    // 0.1 * 30 is 3.0000000000000004 in floating point: the size is 3, as PyTorch's
    expect(F.interpolate(zeros([1, 1, 30]), { scaleFactor: 0.1 }).shape).toEqual([1, 1, 3]);
  });

  it('the same size is a new tensor with the same values and gradient flow', () => {
    const a = rand([1, 2, 3, 3], { requiresGrad: true });
    const y = F.interpolate(a, { size: [3, 3], mode: 'bilinear', alignCorners: true });
    expect(y).not.toBe(a);
    expect(Array.from(y.dataSync())).toEqual(Array.from(a.dataSync()));
    y.sum().backward();
    expect(Array.from(a.grad!.dataSync())).toEqual(Array(18).fill(1));
  });

  it("plain bilinear (the core's kernel) agrees with the composed path", () => {
    const a = rand([2, 3, 5, 7]);
    // scale 2 (1/2 is in/out) takes the kernel; antialiased upsampling is plain bilinear too,
    // computed through the interpolation matrices
    const kernel = F.interpolate(a, { scaleFactor: 2, mode: 'bilinear' });
    const composed = F.interpolate(a, { scaleFactor: 2, mode: 'bilinear', antialias: true });
    const k = kernel.dataSync();
    composed.dataSync().forEach((v, i) => expect(v).toBeCloseTo(k[i]!, 5));
  });
});

describe('F.interpolate properties', () => {
  const modes: [F.InterpolateMode, number][] = [['nearest', 2], ['nearest-exact', 1], ['linear', 1], ['bilinear', 2], ['bicubic', 2], ['trilinear', 3], ['area', 2], ['area', 1], ['nearest', 3]];
  it('a constant image stays constant; the input gradient of a sum totals the output size', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...modes),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        ([mode, dims], ins, outs, corners, aa) => {
          const interp = mode === 'linear' || mode === 'bilinear' || mode === 'bicubic' || mode === 'trilinear';
          const a = full([1, 2, ...ins.slice(0, dims)], 1.5, { requiresGrad: true });
          const y = F.interpolate(a, { size: outs.slice(0, dims), mode, ...(interp ? { alignCorners: corners } : {}), ...(aa && (mode === 'bilinear' || mode === 'bicubic') ? { antialias: true } : {}) });
          expect(y.shape).toEqual([1, 2, ...outs.slice(0, dims)]);
          for (const v of y.dataSync()) expect(v).toBeCloseTo(1.5, 5);
          y.sum().backward();
          const total = a.grad!.dataSync().reduce((s, v) => s + v, 0);
          expect(total).toBeCloseTo(y.numel(), 3);
        },
      ),
      { numRuns: 120, seed: 20261204 },
    );
    stillWorks();
  });

  it('nearest upsampling by 2 repeats each pixel; its gradient sums the 2x2 blocks', () => {
    const a = fromArray([1, 2, 3, 4, 5, 6], [1, 1, 2, 3], { requiresGrad: true });
    const y = F.interpolate(a, { scaleFactor: 2 });
    expect(y.toArray()).toEqual([[[[1, 1, 2, 2, 3, 3], [1, 1, 2, 2, 3, 3], [4, 4, 5, 5, 6, 6], [4, 4, 5, 5, 6, 6]]]]);
    y.mul(fromArray(Array.from({ length: 24 }, (_, i) => i), [1, 1, 4, 6])).sum().backward();
    // block (r, c) holds 6*2r + 2c + {0, 1, 6, 7}
    expect(a.grad!.toArray()).toEqual([[[[14, 22, 30], [62, 70, 78]]]]);
  });
});

describe('nn.Upsample', () => {
  it('is F.interpolate with its options', () => {
    const a = rand([1, 2, 3, 4]);
    const up = new nn.Upsample({ scaleFactor: 1.7, mode: 'bicubic', alignCorners: true });
    const want = F.interpolate(a, { scaleFactor: 1.7, mode: 'bicubic', alignCorners: true }).dataSync();
    expect(Array.from(up.call(a).dataSync())).toEqual(Array.from(want));
    expect(new nn.Upsample({ size: [2, 3] }).forward(a).shape).toEqual([1, 2, 2, 3]);
    expect(new nn.Upsample({ scaleFactor: 2, mode: 'area' }).forward(a).shape).toEqual([1, 2, 6, 8]);
  });

  it("prints as PyTorch's repr", () => {
    expect(new nn.Upsample({ scaleFactor: 2 }).toString()).toBe('Upsample(scale_factor=2.0, mode=nearest)');
    expect(new nn.Upsample({ size: [3, 4], mode: 'bilinear', alignCorners: true }).toString()).toBe('Upsample(size=(3, 4), mode=bilinear)');
    expect(new nn.Upsample({ scaleFactor: [2, 1.5] }).toString()).toBe('Upsample(scale_factor=(2.0, 1.5), mode=nearest)');
    expect(new nn.Upsample({ size: 5 }).toString()).toBe('Upsample(size=5, mode=nearest)');
  });

  it('has no parameters and works in a Sequential with gradients', () => {
    const net = new nn.Sequential(new nn.Conv2d(1, 2, 3, { padding: 1 }), new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }), new nn.ReLU());
    expect([...new nn.Upsample({ size: 2 }).parameters()]).toEqual([]);
    const y = net.call(rand([2, 1, 4, 4]));
    expect(y.shape).toEqual([2, 2, 8, 8]);
    y.sum().backward();
    for (const p of net.parameters()) expect(p.grad).not.toBeNull();
  });

  it('checks its options when built, and the call like F.interpolate', () => {
    expect(() => new nn.Upsample({ scale_factor: 2 } as never)).toThrow(/^Upsample: got an unexpected option 'scale_factor'/);
    expect(() => new nn.Upsample({ scaleFactor: -1 })).toThrow(RangeError);
    expect(() => new nn.Upsample({ size: [2, 0] })).toThrow(/^Upsample: argument 'size\[1\]' must be an integer in \[1, 2147483647\], got 0$/);
    expect(() => new nn.Upsample({ size: 2, mode: 'bilinear', alignCorners: 'no' as never })).toThrow(TypeError);
    expect(() => new nn.Upsample({ size: 2, mode: 'box' as never })).toThrow(/^Upsample: argument 'mode' must be one of/);
    expect(() => new nn.Upsample({ antialias: true } as never)).toThrow(/^Upsample: got an unexpected option 'antialias'/);
    expect(() => new nn.Upsample().forward(x4())).toThrow(/^interpolate: either size or scale_factor should be defined$/);
    expect(() => new nn.Upsample({ size: 2, alignCorners: true }).forward(x4())).toThrow(/^interpolate: align_corners option can only be set/);
    stillWorks();
  });
});
