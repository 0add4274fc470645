// Integer and bool dtypes with PyTorch's rules (ts/dtype.ts). The rule table is replayed case by
// case against test/fixtures/dtype_rules.json, which scripts/golden/dtype_rules.py wrote from
// torch 1.13: result dtypes, values, and the errors PyTorch raises.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arange, F, fromArray, releaseGpu, tensor, zeros, type DType, type Tensor } from 'ferrograd';
import { startNodeGpu } from './helpers/gpu.js';

type Vals = number | boolean | string | Vals[];
interface Case {
  op: string;
  a: { dtype: DType; values: Vals };
  b?: { dtype?: DType; kind: 'dim' | 'zero' | 'scalar'; values?: Vals; value?: number | boolean };
  dtype?: DType;
  values?: Vals;
  error?: string;
}
// the GPU starts before any tensor is made (it needs the single-threaded build)
beforeAll(async () => {
  await startNodeGpu();
});
afterAll(() => releaseGpu());

const golden = JSON.parse(readFileSync(new URL('./fixtures/dtype_rules.json', import.meta.url), 'utf8')) as { cases: Case[] };

type Operand = Tensor | number | boolean;
const BINARY: Record<string, (a: Tensor, b: Operand) => Tensor> = {
  add: (a, b) => a.add(b as never),
  sub: (a, b) => a.sub(b as never),
  mul: (a, b) => a.mul(b as never),
  div: (a, b) => a.div(b as never),
  floor_divide: (a, b) => a.floorDivide(b as never),
  div_trunc: (a, b) => a.div(b as never, { roundingMode: 'trunc' }),
  remainder: (a, b) => a.remainder(b as never),
  fmod: (a, b) => a.fmod(b as never),
  pow: (a, b) => a.pow(b as never),
  maximum: (a, b) => a.maximum(b as Tensor),
  minimum: (a, b) => a.minimum(b as Tensor),
  gt: (a, b) => a.gt(b as never),
  lt: (a, b) => a.lt(b as never),
  ge: (a, b) => a.ge(b as never),
  le: (a, b) => a.le(b as never),
  eq: (a, b) => a.eq(b as never),
  ne: (a, b) => a.ne(b as never),
  matmul: (a, b) => a.matmul(b as Tensor),
};
const UNARY: Record<string, (a: Tensor) => Tensor> = {
  neg: (x) => x.neg(),
  abs: (x) => x.abs(),
  exp: (x) => x.exp(),
  log: (x) => x.log(),
  sqrt: (x) => x.sqrt(),
  sigmoid: (x) => x.sigmoid(),
  tanh: (x) => x.tanh(),
  reciprocal: (x) => x.reciprocal(),
  relu: (x) => x.relu(),
  leaky_relu: (x) => x.leakyRelu(),
  floor: (x) => x.floor(),
  ceil: (x) => x.ceil(),
  round: (x) => x.round(),
  trunc: (x) => x.trunc(),
  sign: (x) => x.sign(),
  softmax: (x) => x.softmax(0),
  log_softmax: (x) => x.logSoftmax(0),
  sum: (x) => x.sum(),
  mean: (x) => x.mean(),
  var: (x) => x.var(),
  max: (x) => x.max(),
  min: (x) => x.min(),
  argmax: (x) => x.argmax(),
  clamp: (x) => x.clamp(0, 1),
  clamp_float: (x) => x.clamp(0.5),
  'pow_2': (x) => x.pow(2),
  'pow_2.5': (x) => x.pow(2.5),
  'pow_-1': (x) => x.pow(-1),
  float: (x) => x.float(),
  long: (x) => x.long(),
  int: (x) => x.int(),
  bool: (x) => x.bool(),
};

const decode = (v: Vals): Vals => (Array.isArray(v) ? v.map(decode) : v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
const make = (dtype: DType, values: Vals): Tensor => tensor(decode(values) as never, { dtype });

function expectValues(got: Vals, want: Vals, where: string): void {
  if (Array.isArray(want)) {
    expect(Array.isArray(got), where).toBe(true);
    expect((got as Vals[]).length, where).toBe(want.length);
    want.forEach((w, i) => expectValues((got as Vals[])[i]!, w, `${where}[${i}]`));
  } else if (typeof want === 'number' && typeof got === 'number') {
    if (Number.isNaN(want)) expect(got, where).toBeNaN();
    else if (!Number.isFinite(want)) expect(got, where).toBe(want);
    else expect(Math.abs(got - want), `${where}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
  } else {
    expect(got, where).toBe(want);
  }
}

function replay(c: Case): void {
  const where = `${c.op}(${c.a.dtype}, ${c.b ? (c.b.kind === 'scalar' ? String(c.b.value) : `${c.b.kind} ${c.b.dtype}`) : ''})`;
  const run = (): Tensor => {
    const a = make(c.a.dtype, c.a.values);
    if (!c.b) return UNARY[c.op]!(a);
    const b = c.b.kind === 'scalar' ? c.b.value! : c.b.kind === 'zero' ? make(c.b.dtype!, (c.b.values as Vals[])[0]!) : make(c.b.dtype!, c.b.values!);
    return BINARY[c.op]!(a, b);
  };
  if (c.error !== undefined) {
    let msg = '(no error)';
    try {
      run();
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg, where).toContain(c.error);
    return;
  }
  const r = run();
  expect(r.dtype, where).toBe(c.dtype);
  expectValues(r.toArray() as Vals, decode(c.values!), where);
}

describe('the dtype rule table, case by case against torch 1.13', () => {
  const ops = [...new Set(golden.cases.map((c) => c.op))];
  it('covers every op of the replay tables', () => {
    expect(ops.sort()).toEqual([...Object.keys(BINARY), ...Object.keys(UNARY)].sort());
  });
  for (const op of ops) {
    it(op, () => {
      for (const c of golden.cases.filter((k) => k.op === op)) replay(c);
    });
  }
});

// ---- integer division ----

/** Python's floor division and modulus, and C's truncation, on BigInts (the reference). */
function ref(a: number, b: number): { floor: number; rem: number; trunc: number; fmod: number } {
  const A = BigInt(a);
  const B = BigInt(b);
  const trunc = A / B;
  const fmod = A % B;
  const adjust = fmod !== 0n && (fmod < 0n) !== (B < 0n);
  return { floor: Number(adjust ? trunc - 1n : trunc), rem: Number(adjust ? fmod + B : fmod), trunc: Number(trunc), fmod: Number(fmod) };
}
function intOps(a: Tensor, b: Tensor | number) {
  return { floor: a.floorDivide(b), rem: a.remainder(b), trunc: a.div(b, { roundingMode: 'trunc' }), fmod: a.fmod(b) };
}
function checkAgainstRef(as: number[], bs: number[], got: Record<'floor' | 'rem' | 'trunc' | 'fmod', number[]>): void {
  as.forEach((a, i) => {
    const want = ref(a, bs[i]!);
    for (const k of ['floor', 'rem', 'trunc', 'fmod'] as const) expect(got[k][i], `${k}(${a}, ${bs[i]})`).toBe(want[k]);
  });
}
const read = (r: Record<string, Tensor>) => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, (t.toArray() as number[])])) as Record<'floor' | 'rem' | 'trunc' | 'fmod', number[]>;

describe('integer division (floorDivide, div roundingMode, remainder, fmod)', () => {
  it('signs as Python and C: -7 // 2 = -4, -7 % 2 = 1, trunc -3, fmod -1', () => {
    const a = tensor([-7, 7, -7, 7, 0, -6], { dtype: 'int64' });
    const b = tensor([2, -2, -2, 2, -3, 3], { dtype: 'int64' });
    const r = intOps(a, b);
    for (const t of Object.values(r)) expect(t.dtype).toBe('int64');
    expect(r.floor.toArray()).toEqual([-4, -4, 3, 3, 0, -2]);
    expect(r.rem.toArray()).toEqual([1, -1, -1, 1, 0, 0]);
    expect(r.trunc.toArray()).toEqual([-3, -3, 3, 3, 0, -2]);
    expect(r.fmod.toArray()).toEqual([-1, 1, -1, 1, 0, 0]);
    expect(a.floorDivide(2).toString()).toBe('tensor([-4,  3, -4,  3,  0, -3])');
    expect(a.int().floorDivide(b.int()).dtype).toBe('int32');
    expect(a.int().floorDivide(b).dtype).toBe('int64');
  });
  it('is exact up to 2^24 - 1', () => {
    const as = [15999999, -15999999, 16777215, -16777215, 16777215, -16777215, 16777213, 9999999, -1, 1];
    const bs = [1000, 1000, 5592407, 5592407, -16777214, 3, 16777215, -3333333, 16777215, -16777215];
    const a = tensor(as, { dtype: 'int64' });
    const b = tensor(bs, { dtype: 'int64' });
    checkAgainstRef(as, bs, read(intOps(a, b)));
  });
  it('integer division by zero is ZeroDivisionError (a RangeError naming the op); floats give inf/nan', () => {
    const a = tensor([1, -1], { dtype: 'int64' });
    for (const f of [() => a.floorDivide(0), () => a.remainder(tensor([2, 0], { dtype: 'int64' })), () => a.fmod(tensor(false)), () => a.div(0, { roundingMode: 'floor' })]) {
      expect(f).toThrow(RangeError);
    }
    expect(() => a.floorDivide(0)).toThrow('floor_divide: ZeroDivisionError: integer division by zero');
    expect(() => a.div(0, { roundingMode: 'trunc' })).toThrow(/^div: ZeroDivisionError/);
    expect(a.div(0).toArray()).toEqual([Infinity, -Infinity]); // true division is float
    expect(a.float().floorDivide(0).toArray()).toEqual([Infinity, -Infinity]);
    expect(a.float().remainder(0).toArray()).toEqual([NaN, NaN]);
    // the library still works
    expect(a.floorDivide(2).toArray()).toEqual([0, -1]);
  });
  it('rejects a bad rounding mode, and bool // bool as PyTorch', () => {
    const a = tensor([3], { dtype: 'int64' });
    expect(() => a.div(2, { roundingMode: 'round' as never })).toThrow(/rounding_mode/);
    expect(() => tensor([true]).floorDivide(tensor([true]))).toThrow(`"div_floor_cpu" not implemented for 'Bool'`);
    expect(a.div(2, { roundingMode: null }).toArray()).toEqual([1.5]);
  });
  it('remainder of floats is differentiable as PyTorch (d/da = 1, d/db = -floor(a/b)); floorDivide is not recorded', () => {
    const x = tensor([5.5, -5.5], { requiresGrad: true });
    const y = tensor([2, 2], { requiresGrad: true });
    x.remainder(y).sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 1]);
    expect(y.grad!.toArray()).toEqual([-2, 3]);
    expect(x.floorDivide(2).requiresGrad).toBe(false);
    const f = tensor([1.5, -2.5], { requiresGrad: true });
    f.floor().sum().backward();
    expect(f.grad!.toArray()).toEqual([0, 0]);
    expect(f.round().gradFn).toBe('RoundBackward0');
  });
  it('seeded property: random int tensors against a BigInt reference', () => {
    const int = fc.integer({ min: -(2 ** 24) + 1, max: 2 ** 24 - 1 });
    const pair = fc.tuple(int, int.filter((v) => v !== 0));
    fc.assert(
      fc.property(fc.array(pair, { minLength: 1, maxLength: 40 }), fc.constantFrom<DType>('int64', 'int32'), (pairs, dtype) => {
        const as = pairs.map((p) => p[0]);
        const bs = pairs.map((p) => p[1]);
        const a = tensor(as, { dtype });
        const b = tensor(bs, { dtype });
        checkAgainstRef(as, bs, read(intOps(a, b)));
        const small = as.map((v) => v % 4000);
        const s = tensor(small, { dtype });
        expect(s.mul(s).toArray()).toEqual(small.map((v) => v * v + 0));
        expect(s.add(a).toArray()).toEqual(small.map((v, i) => v + as[i]!));
        expect(a.gt(b).sum().item()).toBe(as.filter((v, i) => v > bs[i]!).length);
      }),
      { seed: 20261204, numRuns: 200 },
    );
  });
});

describe('on the GPU (Dawn; SwiftShader without a GPU)', () => {
  it('the same integer results; a zero divisor is not checked (no readback): ±inf or NaN, as floats', async () => {
    const as = [-7, 7, 15999999, -16777215, 16777215, 0];
    const bs = [2, -2, 1000, 5592407, -16777214, -3];
    const a = tensor(as, { dtype: 'int64', device: 'gpu' });
    const b = tensor(bs, { dtype: 'int64', device: 'gpu' });
    const got = Object.fromEntries(await Promise.all(Object.entries(intOps(a, b)).map(async ([k, t]) => [k, Array.from(await t.data(), (v) => v + 0)]))) as Record<'floor' | 'rem' | 'trunc' | 'fmod', number[]>;
    checkAgainstRef(as, bs, got);
    expect(a.floorDivide(b).dtype).toBe('int64');
    expect(Array.from(await a.floorDivide(tensor([0], { dtype: 'int64', device: 'gpu' })).data())).toEqual([-Infinity, Infinity, Infinity, -Infinity, Infinity, NaN]);
    expect(Array.from(await a.remainder(tensor([0], { dtype: 'int64', device: 'gpu' })).data())).toEqual(as.map(() => NaN));
    expect(await tensor([1.5, -2.5], { device: 'gpu' }).long().array()).toEqual([1, -2]);
    expect(await tensor([0.5, 1.5, 2.5], { device: 'gpu' }).round().array()).toEqual([0, 2, 2]);
  });
});

// ---- casts, creation, grad, printing, the library ----

describe('casts: to(dtype), float(), long(), int(), bool()', () => {
  it('float to int truncates toward zero; to bool is x != 0; back to float keeps values', () => {
    const x = tensor([2.7, -2.7, -0.5, 0, NaN]);
    expect(x.slice(0, 0, 4).long().toArray()).toEqual([2, -2, 0, 0]);
    expect(x.slice(0, 0, 4).to('int32').dtype).toBe('int32');
    expect(x.bool().toArray()).toEqual([true, true, true, false, true]);
    const b = tensor([true, false]);
    expect(b.long().toArray()).toEqual([1, 0]);
    expect(b.float().dtype).toBe('float32');
    expect(tensor([3, -4], { dtype: 'int64' }).float().toString()).toBe('tensor([ 3., -4.])');
    const f = tensor([1.5]);
    expect(f.float()).toBe(f);
    expect(f.to('cpu')).toBe(f);
  });
  it('casts cut the graph: ints never require grad', () => {
    const x = tensor([1.5, 2.5], { requiresGrad: true });
    const i = x.long();
    expect(i.requiresGrad).toBe(false);
    expect(i.gradFn).toBeNull();
    expect(x.mul(i).gradFn).toBe('MulBackward0'); // float * int is float and differentiable
  });
});

describe('creation', () => {
  it('infers bool from nested booleans; numbers stay float32 (JS has no 1 vs 1.0)', () => {
    expect(tensor([[true, false]]).dtype).toBe('bool');
    expect(tensor([true, 1]).dtype).toBe('float32');
    expect(tensor([1, 2]).dtype).toBe('float32');
    expect(arange(3).dtype).toBe('int64');
    expect(arange(0, 1, 0.5).dtype).toBe('float32');
  });
  it('int dtypes truncate toward zero and refuse |v| >= 2^24', () => {
    expect(tensor([1.7, -1.7], { dtype: 'int64' }).toArray()).toEqual([1, -1]);
    expect(tensor([2, 0], { dtype: 'bool' }).toArray()).toEqual([true, false]);
    expect(fromArray([1.5, 2.5], [2], { dtype: 'int32' }).toArray()).toEqual([1, 2]);
    expect(() => tensor([2 ** 24], { dtype: 'int64' })).toThrow(RangeError);
    expect(() => tensor([1, -(2 ** 25)], { dtype: 'int32' })).toThrow(/-33554432 at index 1 cannot be stored exactly as int32: ferrograd keeps integers in float32, exact only for \|v\| < 2\^24/);
    expect(tensor([2 ** 24 - 1], { dtype: 'int64' }).item()).toBe(2 ** 24 - 1);
  });
  it('ints and bools cannot require grad (PyTorch\'s error); the library keeps working', () => {
    expect(() => tensor([1, 2], { dtype: 'int64', requiresGrad: true })).toThrow('tensor: Only Tensors of floating point and complex dtype can require gradients');
    expect(() => zeros([2], { dtype: 'bool', requiresGrad: true })).toThrow(TypeError);
    const t = tensor([1, 2], { dtype: 'int32' });
    expect(() => (t.requiresGrad = true)).toThrow(/floating point/);
    expect(() => t.requiresGrad_()).toThrow(/floating point/);
    t.requiresGrad = false;
    expect(t.add(1).toArray()).toEqual([2, 3]);
  });
  it('prints int32 with its dtype, as PyTorch', () => {
    expect(tensor([1, 2], { dtype: 'int32' }).toString()).toBe('tensor([1, 2], dtype=torch.int32)');
    expect(tensor(3, { dtype: 'int32' }).toString()).toBe('tensor(3, dtype=torch.int32)');
    expect(tensor([], { dtype: 'int32' }).toString()).toBe('tensor([], dtype=torch.int32)');
    expect(tensor([], { dtype: 'int64' }).toString()).toBe('tensor([], dtype=torch.int64)');
  });
});

describe('dtypes in the library', () => {
  it('comparisons are bool and work in arithmetic; their sum is int64 with the same count', () => {
    const preds = tensor([1, 2, 3, 4]);
    const m = preds.eq(tensor([1, 0, 3, 0]));
    expect(m.dtype).toBe('bool');
    expect(m.sum().dtype).toBe('int64');
    expect(m.sum().item()).toBe(2);
    expect(m.mul(preds).toArray()).toEqual([1, 0, 3, 0]);
    expect(m.mul(preds).dtype).toBe('float32');
    expect(() => m.mean()).toThrow("mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Bool");
    expect(m.float().mean().item()).toBe(0.5);
  });
  it('crossEntropy: int64 targets are indices, float targets of the index shape too; an int target of the input shape is an error', () => {
    const x = tensor([[1, 2, 3], [1, 0, -1]]);
    const ref = F.crossEntropy(x, tensor([2, 0])).item();
    expect(F.crossEntropy(x, tensor([2, 0], { dtype: 'int64' })).item()).toBeCloseTo(ref, 6);
    expect(F.crossEntropy(x, tensor([2, 0], { dtype: 'int64' }), { ignoreIndex: 0 }).item()).toBeGreaterThan(0);
    expect(() => F.crossEntropy(x, zeros([2, 3], { dtype: 'int64' }))).toThrow('Expected floating point type for target with class probabilities, got Long');
    expect(() => F.crossEntropy(x, tensor([2, 0], { dtype: 'int32' }))).toThrow('expected scalar type Long but found Int');
    expect(F.crossEntropy(x, tensor([[0, 0, 1], [1, 0, 0]])).item()).toBeCloseTo(ref, 6);
  });
  it('argmax and max-pool indices are int64; maxUnpool2d takes them', () => {
    const x = arange(16).float().reshape(1, 1, 4, 4);
    expect(x.argmax().dtype).toBe('int64');
    const [v, i] = F.maxPool2d(x, 2, { returnIndices: true });
    expect(i.dtype).toBe('int64');
    expect(F.maxUnpool2d(v, i, 2).sum().item()).toBe(5 + 7 + 13 + 15);
    expect(() => F.maxUnpool2d(v, i.int(), 2)).toThrow('elements in indices should be type int64 but got: Int');
  });
});
