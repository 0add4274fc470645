// What issue 14 saw, case by case: non-tensor operands, integers that wrapped at 2^32, a model
// that could not load its own state dict, PyTorch semantics, errors from inside the library.
// (The seeded property suite, property.test.ts, covers the same ground at random.)
import { describe, expect, it } from 'vitest';
import { F, cat, full, manualSeed, memory, nn, ones, rand, randn, stack, tensor, zeros, type Tensor } from 'ferrograd';

/** The error `f` throws (undefined when it returns). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

const x = (): Tensor => tensor([[1, 2, 3], [4, 5, 6]]);

describe('a non-tensor operand is refused, never read as another tensor', () => {
  // the first tensor of the program had handle 0: a value that is no tensor used to read it
  const cases: [string, () => unknown, RegExp][] = [
    ["x.add('x')", () => x().add('x' as never), /^add: argument 'other' must be a Tensor or a number, got "x"$/],
    ['x.mul([1, 2])', () => x().mul([1, 2] as never), /^mul: argument 'other' must be a Tensor or a number, got \[1, 2\]$/],
    ['x.div({})', () => x().div({} as never), /^div: argument 'other' must be a Tensor or a number, got an object$/],
    ['x.maximum(0)', () => x().maximum(0 as never), /^maximum: argument 'other' must be a Tensor, got 0$/],
    ['x.gt([1, 2])', () => x().gt([1, 2] as never), /^gt: argument 'other' must be a Tensor or a number/],
    ['x.matmul(Float32Array)', () => x().matmul(new Float32Array(4) as never), /^matmul: argument 'other' must be a Tensor, got a Float32Array of length 4$/],
    ['stack([3], 0)', () => stack([3] as never, 0), /^stack: argument 'tensors\[0\]' must be a Tensor, got 3$/],
    ['cat([[1, 2]], 0)', () => cat([[1, 2]] as never, 0), /^cat: argument 'tensors\[0\]' must be a Tensor, got \[1, 2\]$/],
    ['x.mul(null)', () => x().mul(null as never), /^mul: argument 'other' must be a Tensor or a number, got null$/],
    ['tensor(null)', () => tensor(null as never), /^tensor: /],
    ['a tensor-shaped object', () => x().add({ _h: 0, h: 0 } as never), /^add: argument 'other' must be a Tensor or a number/],
  ];
  for (const [what, f, msg] of cases) {
    it(what, () => {
      const err = thrown(f);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toMatch(msg);
    });
  }
});

describe('integers are safe integers in range: nothing wraps at 2^32', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['zeros([2**32])', () => zeros([2 ** 32]), /^zeros: size\[0\] = 4294967296 is larger than the largest dim 4294967295/],
    ['zeros([2**32 + 1])', () => zeros([2 ** 32 + 1]), /^zeros: size\[0\] = 4294967297 is larger/],
    ['rand([2**32 + 3, 2, 3, 3])', () => rand([2 ** 32 + 3, 2, 3, 3]), /^rand: size\[0\] = 4294967299 is larger/],
    ['x.sum(2**32)', () => x().sum(2 ** 32), /^sum: dimension out of range \(expected to be in range of \[-2, 1\], but got 4294967296\)$/],
    ['x.unsqueeze(1.5)', () => x().unsqueeze(1.5), /^unsqueeze: argument 'dim' must be an integer dim, got a non-integer number \(1\.5\)$/],
    ['x.softmax(-Infinity)', () => x().softmax(-Infinity), /^softmax: argument 'dim' must be an integer dim/],
    ['x.select(0, 2**32)', () => x().select(0, 2 ** 32), /^select: index 4294967296 is out of range for dimension 0 with size 2$/],
    ['x.at(NaN)', () => x().at(NaN), /^at: argument 'index' must be an integer, got NaN/],
    ['stack(ts, 1.5)', () => stack([x(), x()], 1.5), /^stack: argument 'dim' must be an integer dim/],
    ['cat(ts, Infinity)', () => cat([x(), x()], Infinity), /^cat: argument 'dim' must be an integer dim/],
    ['x.narrow(-1, 0, -1)', () => x().narrow(-1, 0, -1), /^narrow: argument 'length' must be an integer in \[0, /],
    ["zeros(['1'])", () => zeros(['1'] as never), /^zeros: size\[0\] must be an integer, got string \("1"\) in \["1"\]$/],
    ['zeros([null])', () => zeros([null] as never), /^zeros: size\[0\] must be an integer, got null/],
    ['zeros([true])', () => zeros([true] as never), /^zeros: size\[0\] must be an integer, got boolean \(true\) in \[true\]$/],
    ['randn std -1', () => randn([3], { std: -1 }), /^randn: normal expects std >= 0\.0, but found std -1$/],
    ['rand low 5 high 1', () => rand([3], { low: 5, high: 1 }), /^rand: /],
    ['full([3], undefined)', () => full([3], undefined as never), /^full: argument 'fill_value' must be a number, got undefined$/],
    ["tensor('abc')", () => tensor('abc' as never), /^tensor: /],
    ['tensor({length: 3})', () => tensor({ length: 3 } as never), /^tensor: /],
    ["nn.Dropout('0.5')", () => new nn.Dropout('0.5' as never), /^Dropout: dropout probability has to be between 0 and 1, but got "0\.5"$/],
    ['nn.Linear(null, 2)', () => new nn.Linear(null as never, 2), /^Linear: argument 'in_features' must be an integer, got null/],
  ];
  for (const [what, f, msg] of cases) {
    it(what, () => {
      const err = thrown(f);
      expect(err instanceof TypeError || err instanceof RangeError, String(err)).toBe(true);
      expect((err as Error).message).toMatch(msg);
    });
  }
});

describe('a model survives its own state dict; a failed load changes nothing', () => {
  const net = (): nn.Sequential => new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8, 3));
  it('m.loadStateDict(m.stateDict()) keeps every value', () => {
    manualSeed(1);
    const m = net();
    const before = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.toArray()]));
    expect(m.loadStateDict(m.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.toArray()]))).toEqual(before);
    // and it still trains
    const y = m.forward(ones([2, 1, 4, 4])).sum();
    y.backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
  });

  it('an error on any key leaves every weight as it was', () => {
    manualSeed(2);
    const m = net();
    const before = m.stateDict()['0.weight']!.toArray();
    const sd = { ...m.stateDict(), '0.weight': zeros([2, 1, 3, 3]), '4.weight': zeros([3, 7]) };
    expect(() => m.loadStateDict(sd)).toThrow(/^loadStateDict: size mismatch for '4\.weight': copying a param with shape \[3, 7\], the shape in the current model is \[3, 8\]$/);
    expect(m.stateDict()['0.weight']!.toArray()).toEqual(before);
    const numbers = { ...m.stateDict(), '0.weight': 3 as never };
    expect(() => m.loadStateDict(numbers)).toThrow(TypeError);
    expect(() => m.loadStateDict(numbers)).toThrow(/^loadStateDict: '0\.weight' must be a Tensor, got 3/);
    expect(m.stateDict()['0.weight']!.toArray()).toEqual(before);
  });
});

describe('shapes the core refuses are a RangeError naming the op', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['x.add(y) that cannot broadcast', () => x().add(ones([3, 2])), /^add: /],
    ['x.matmul(y) with inner sizes 3 and 2', () => x().matmul(ones([2, 2])), /^matmul: /],
    ['cat of different trailing sizes', () => cat([x(), ones([2, 2])], 0), /^cat: /],
    ['x.reshape(4)', () => x().reshape([4]), /^reshape: /],
  ];
  for (const [what, f, msg] of cases) {
    it(what, () => {
      const err = thrown(f);
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toMatch(msg);
      // and the instance still works
      expect(x().add(1).toArray()).toEqual([[2, 3, 4], [5, 6, 7]]);
    });
  }
});

describe("PyTorch's semantics", () => {
  it('narrow with a negative start counts from the end', () => {
    expect(x().narrow(1, -1, 1).toArray()).toEqual([[3], [6]]);
    expect(x().narrow(1, -3, 2).toArray()).toEqual([[1, 2], [4, 5]]);
    expect(() => x().narrow(1, -4, 1)).toThrow(RangeError);
  });

  it('1-D · 1-D matmul is a 0-d dot product', () => {
    const d = tensor([1, 2, 3]).matmul(tensor([4, 5, 6]));
    expect(d.shape).toEqual([]);
    expect(d.item()).toBe(32);
  });

  it('slices clamp their bounds like Python, and a step must be positive', () => {
    expect(x().slice(1, 1, 100).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(x().slice(1, -100, 2).toArray()).toEqual([[1, 2], [4, 5]]);
    expect(x().slice(1, 5, 9).shape).toEqual([2, 0]);
    // a step past the size keeps the first element (found by the property suite: 2**32 wrapped to 0)
    expect(x().slice(1, -1, -5, 2 ** 32).shape).toEqual([2, 0]);
    expect(x().slice(1, 1, undefined, 2 ** 32).toArray()).toEqual([[2], [5]]);
    expect(() => x().slice(0, undefined, undefined, -1)).toThrow(/^slice: step must be greater than zero, got -1$/);
  });

  it('BatchNorm1d takes (N, C) and (N, C, L); conv2d of an empty batch is an empty batch', () => {
    const bn = new nn.BatchNorm1d(2);
    expect(bn.forward(tensor([[[0, 2], [1, 1]], [[4, 6], [1, 1]]])).shape).toEqual([2, 2, 2]);
    expect((bn.forward(tensor([[0, 1], [2, 1]])).toArray() as number[][]).flat().map((v) => Math.round(v * 1000) / 1000)).toEqual([-1, 0, 1, 0]);
    expect(F.conv2d(zeros([0, 1, 5, 5]), ones([4, 1, 3, 3])).shape).toEqual([0, 4, 3, 3]);
  });

  it('a second backward through a graph that saved nothing accumulates; through one that did, it is a clear error', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const s = a.sum();
    s.backward();
    s.backward();
    expect(a.grad!.toArray()).toEqual([2, 2, 2]);
    const m = a.mul(2).mean();
    m.backward();
    m.backward();
    expect((a.grad!.toArray() as number[]).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([3.333333, 3.333333, 3.333333]);
    const q = a.sigmoid().sum();
    q.backward();
    expect(() => q.backward()).toThrow(/^backward: trying to backward through the graph a second time/);
  });

  it('large reductions are exact', () => {
    expect(ones([2 ** 25]).sum().item()).toBe(2 ** 25);
    expect(ones([2 ** 24 + 4, 2]).sum(0).toArray()).toEqual([2 ** 24 + 4, 2 ** 24 + 4]);
    expect(Math.abs(full([2 ** 24], 0.1).mean().item() - 0.1)).toBeLessThan(1e-7);
    expect(memory().liveTensors).toBeGreaterThan(0);
  });
});
