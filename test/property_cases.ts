/**
 * The seeded property suite: random calls of the public API with valid and invalid arguments.
 * Every call must either return the value a small reference model computes (when every argument
 * is valid) or throw a `TypeError`/`RangeError` (a shape mismatch the core finds too) whose
 * message starts with the op's name — never a wrong answer, a trap, or an error
 * from inside the library. After each call a matmul + backward must still give the right values.
 * It depends on no test runner, so Node (`property.test.ts`) and Chromium
 * (`browser/suite.browser.test.ts`) run the same cases.
 * @module
 */
import fc from 'fast-check';
import type * as Ferrograd from 'ferrograd';
import { CONV_BIAS, convWeight, elementwise, flat, given, one, pool1d, interpolate1d, crossEntropyRef, divideRef, conv1dRef, type M, type Ref } from './property_refs.js';

type Lib = typeof Ferrograd;
type Tensor = Ferrograd.Tensor;

/** An argument and whether it is valid in its position (a dim in range, a live tensor...). */
interface Arg {
  v: unknown;
  ok: boolean;
  /** A well-typed operand of the wrong shape (the core finds it: a `RangeError` too). */
  mismatch?: boolean;
}
const good = (v: unknown): Arg => ({ v, ok: true });
const bad = (v: unknown): Arg => ({ v, ok: false });

/** Stand-ins for tensors, so no tensor is made while arguments are drawn or shrunk. */
const Y = Symbol('y');
const YT = Symbol('y.t()');
const YS = Symbol('[x, y]');
const resolve = (v: unknown, x: Tensor, y: Tensor): unknown => (v === Y ? y : v === YT ? y.t() : v === YS ? [x, y] : v);

/** Values no integer argument accepts: each must be refused, none read as 0 or wrapped. */
const JUNK: unknown[] = [1.5, -0.5, NaN, Infinity, -Infinity, null, undefined, '1', 'x', {}, [], [1], true, 2 ** 32, -(2 ** 32), 2 ** 53, 1n];
const junk = fc.constantFrom(...JUNK).map(bad);

/** A dim of a tensor of rank `n`: in range (valid), just out of range, or junk. */
const dim = (n: number): fc.Arbitrary<Arg> =>
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -n, max: n - 1 }).map(good) }, { weight: 1, arbitrary: fc.constantFrom(n, -n - 1, 2 ** 32 + 0, 100).map(bad) }, { weight: 2, arbitrary: junk });

/** A dim or nothing (null, undefined: every dim, as PyTorch's `dim=None`). */
const optDim = (n: number): fc.Arbitrary<Arg> =>
  fc.oneof({ weight: 5, arbitrary: dim(n).filter((g) => !Array.isArray(g.v)).map((g) => (g.v == null ? good(g.v) : g)) }, { weight: 1, arbitrary: fc.constantFrom(null, undefined).map(good) });

/** An integer in [lo, hi] (valid), one of `bads` (each invalid there), or junk. */
const int = (lo: number, hi: number, bads: number[]): fc.Arbitrary<Arg> =>
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min: lo, max: hi }).map(good) }, { weight: 1, arbitrary: fc.constantFrom(...bads, 2 ** 32 + lo).map(bad) }, { weight: 2, arbitrary: junk });

/** A Python-style slice bound: any integer is valid (clamped), junk is not. */
const index = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -6, max: 6 }).map(good) }, { weight: 1, arbitrary: junk.map((g) => (g.v == null || Number.isSafeInteger(g.v) ? good(g.v) : g)) });

const bool = fc.oneof({ weight: 4, arbitrary: fc.boolean().map(good) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 'true', null).map(bad) });

/** A shape for creation: small valid dims, or one bad entry. */
const shape: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }).map(good) },
  { weight: 2, arbitrary: fc.tuple(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), fc.constantFrom<unknown>(-1, 1.5, NaN, null, '2', 2 ** 32, 2 ** 32 + 1, Infinity)).map(([s, b]) => bad([...s, b])) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, '3', 3.5, {}, [[2]]).map(bad) },
);

/**
 * A 1-D size (PyTorch's `_single`): an integer or a one-element list of one in [lo, hi];
 * `optional` sizes may also be left out (`undefined`: the default).
 */
const single = (lo: number, hi: number, bads: number[], optional = true): fc.Arbitrary<Arg> => {
  const fits = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  const reclassify = (g: Arg): Arg => (g.v === undefined && optional) || (Array.isArray(g.v) && g.v.length === 1 && fits(g.v[0])) ? good(g.v) : g;
  return fc.oneof({ weight: 5, arbitrary: int(lo, hi, bads).map(reclassify) }, { weight: 1, arbitrary: fc.integer({ min: lo, max: hi }).map((v) => good([v])) });
};
/** A 1-D stride: a size, or left out (`null`/`undefined`: the kernel size). */
const stride1d: fc.Arbitrary<Arg> = fc.oneof({ weight: 4, arbitrary: single(1, 3, [0]).map((g) => (g.v === null ? good(g.v) : g)) }, { weight: 1, arbitrary: fc.constantFrom(null, undefined).map(good) });

/** The base operands: x is 2×3 with these values, y too. */
const values = fc.array(fc.integer({ min: -8, max: 8 }), { minLength: 12, maxLength: 12 }).map((v) => v.map((k) => k / 4));

const norm = (d: number, n: number): number => (d < 0 ? d + n : d);
const sumDim = (a: M, d: number, scale = 1): Ref => (d === 0 ? { shape: [3], values: [0, 1, 2].map((j) => (a[0]![j]! + a[1]![j]!) * scale) } : { shape: [2], values: a.map((r) => (r[0]! + r[1]! + r[2]!) * scale) });

interface OpCase {
  name: string;
  args: fc.Arbitrary<Arg[]>;
  call: (lib: Lib, x: Tensor, args: unknown[]) => unknown;
  /** The expected result when every argument is valid, or 'error' when the combination is not. */
  ref: (a: M, b: M, args: unknown[]) => Ref | 'error';
}

/** An operand: y, a number, or something that is not a tensor. */
const operand: fc.Arbitrary<Arg> =
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(good(Y)) },
    { weight: 3, arbitrary: fc.constantFrom(2, -0.5, 0.25).map(good) },
    { weight: 3, arbitrary: fc.constantFrom<unknown>('x', [1, 2], {}, null, undefined, new Float32Array(6), { h: 0 }, NaN).map((v) => (typeof v === 'number' ? good(v) : bad(v))) },
  );
const other = (b: M, v: unknown): M | number => (typeof v === 'number' ? v : b);

// ---- arguments of interpolate, cross_entropy, floor_divide / remainder and conv1d ----

/** An option left out: `undefined` or `null` (Python's None, the default). */
const absent: fc.Arbitrary<Arg> = fc.constantFrom(undefined, null).map(good);
/** A tensor passed through `resolve` (y), as opposed to a tag or a junk value. */
const isTensorLike = (v: unknown): boolean => v !== null && typeof v === 'object' && 'shape' in v;

/** `interpolate`'s `mode`; the 2-D/3-D modes need 4-D/5-D input (NotImplementedError in torch). */
const interpMode: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('nearest', 'linear', 'nearest-exact', 'area', undefined).map(good) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('bilinear', 'bicubic', 'trilinear', 'cubic', 'Nearest', null, 1).map(bad) },
);
/**
 * `interpolate`'s `size`: an integer or a list of one, left out, or refused (0, -1: torch's
 * "Input and output sizes should be greater than 0"; two sizes for one spatial dim; 2^32: past
 * what one tensor can hold).
 */
const interpSize: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 7 }).map(good) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }).map((n) => good([n])) },
  { weight: 4, arbitrary: absent },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -1, [0], [2, 3], 2 ** 32).map(bad) },
  { weight: 1, arbitrary: junk.map((g) => (g.v == null || (Array.isArray(g.v) && g.v.length === 1 && Number.isInteger(g.v[0]) && (g.v[0] as number) >= 1) ? good(g.v) : g)) },
);
/**
 * `interpolate`'s `scaleFactor`: a number or a list of one (output floor(3·s) ≥ 1), left out, or
 * refused (floor(3·s) < 1; NaN and ±inf give torch no size; two for one spatial dim).
 */
const interpScale: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0.5, 0.7, 1, 1.2, 4 / 3, 1.5, 2, 2.5, 3, 1 / 3, 2 / 3, 0.34).map(good) },
  { weight: 1, arbitrary: fc.constantFrom(0.5, 1.5, 2).map((v) => good([v])) },
  { weight: 4, arbitrary: absent },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -1, 0.3, NaN, Infinity, -Infinity, '2', [1.5, 2], [], true, {}).map(bad) },
);
/** An optional flag: left out (null is None), a boolean, or junk. */
const optBool: fc.Arbitrary<Arg> = fc.oneof({ weight: 4, arbitrary: absent }, { weight: 3, arbitrary: bool.map((g) => (g.v === null ? good(g.v) : g)) });
/** `antialias`: false or left out; true is refused for the 1-D modes (bilinear/bicubic only). */
const antialiasArg: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(undefined, false).map(good) },
  { weight: 1, arbitrary: fc.constant(good(true)) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(1, 'false').map(bad) },
);

/**
 * `cross_entropy`'s target: 'idx' (int64 class indices [l0, l1]), y (probabilities: its
 * softmax), or refused: one or three indices for two rows ("Expected input batch_size (2) to
 * match target batch_size"), int32 ("expected scalar type Long but found Int"), int64 of the
 * input's shape ("Expected floating point type for target with class probabilities"), not a tensor.
 */
const ceTarget: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(good('idx')) },
  { weight: 2, arbitrary: fc.constant(good(Y)) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>('short', 'long', 'int32', 'int64 [2, 3]', [0, 2], null).map(bad) },
);
/** A class index: in [0, 3), the default ignore index, or out of range (valid only if ignored). */
const ceLabel: fc.Arbitrary<Arg> = fc.constantFrom(0, 1, 2, 0, 1, 2, -100, -1, 3).map(good);
/** `weight`: none, 'w3' ([1, 2, 0.5]), or refused: 'w2' ([1, 2]: not one per class), not a tensor. */
const ceWeight: fc.Arbitrary<Arg> = fc.oneof({ weight: 4, arbitrary: absent }, { weight: 2, arbitrary: fc.constant(good('w3')) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('w2', [1, 2, 0.5], 'x').map(bad) });
/** `ignoreIndex`: any integer (torch takes an int64: 2^32 too); None and non-integers are TypeErrors. */
const ceIgnoreIndex: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(good(undefined)) },
  { weight: 3, arbitrary: fc.constantFrom(-100, -1, 0, 1, 2, 3, 2 ** 32).map(good) },
  { weight: 1, arbitrary: junk.map((g) => (g.v === undefined || Number.isSafeInteger(g.v) ? good(g.v) : g)) },
);
/** `reduction`; anything else is torch's "... is not a valid value for reduction" (None too). */
const ceReduction: fc.Arbitrary<Arg> = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('mean', 'sum', 'none', undefined).map(good) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('avg', 'MEAN', '', null, 1).map(bad) });
/**
 * `labelSmoothing` in [0, 1] ("label_smoothing must be between 0.0 and 1.0"; None a TypeError).
 * torch 1.13 checks the bound only when label_smoothing > 0, so it silently runs a negative or a
 * NaN one as 0; ferrograd refuses them, keeping to the documented range [0.0, 1.0].
 */
const ceLabelSmoothing: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(undefined, 0, 0.1, 0.5, 1).map(good) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(1.5, Infinity, '0.1', null, -0.1, NaN).map(bad) },
);

/** The dividend's dtype: x·4 as int32 or int64, or x as float32. */
const divLhs: fc.Arbitrary<Arg> = fc.constantFrom('int32', 'int32', 'int64', 'float32').map(good);
/**
 * The divisor: a number (0 and false: integer division by zero when the result is an integer;
 * true is 1; ±Infinity and divisors float32 cannot hold, 0.1 and 0.7, where PyTorch's exact-fmod
 * kernels differ from rounding a / b: -7 // inf = -1, -7 % inf = inf, 1 // 0.1 = 9), y (cast
 * by `divCast`), or not a number/tensor.
 */
const divisor: fc.Arbitrary<Arg> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(2, -3, 1, 0, 2.5, -0.5, true, false, NaN, Infinity, -Infinity, 0.1, -0.7).map(good) },
  { weight: 4, arbitrary: fc.constant(good(Y)) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('2', null, undefined, [2], {}, 2n).map(bad) },
);
/** The dtype a tensor divisor y is cast to (y·4 for the ints). */
const divCast: fc.Arbitrary<Arg> = fc.constantFrom('int32', 'int64', 'float32').map(good);
const divOperand = (t: Tensor, dtype: string): Tensor => (dtype === 'float32' ? t : dtype === 'int32' ? t.mul(4).int() : t.mul(4).long());

/** conv1d's padding: a size, 'valid' or 'same', or refused ('full': "Invalid padding string"). */
const convPadding: fc.Arbitrary<Arg> = fc.oneof({ weight: 4, arbitrary: single(0, 2, [-1]) }, { weight: 1, arbitrary: fc.constantFrom('valid', 'same').map(good) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('full', 'SAME').map(bad) });
/** conv1d's groups: 1..3 (whether they fit the channels is the reference's), left out, or refused. */
const convGroups: fc.Arbitrary<Arg> = int(1, 3, [0, -1]).map((g) => (g.v === undefined ? good(g.v) : g));
/** conv1d's bias: none, 'b1' / 'b2' (a tensor of 1 or 2: right when it has one per output channel), or not a tensor. */
const convBias: fc.Arbitrary<Arg> = fc.oneof({ weight: 3, arbitrary: absent }, { weight: 3, arbitrary: fc.constantFrom('b1', 'b2').map(good) }, { weight: 1, arbitrary: fc.constantFrom<unknown>([0.5], 'x', 1).map(bad) });
/**
 * conv1d's arguments [outChannels, weight channels, k, stride, padding, dilation, groups, bias,
 * batched]: the weight's channels and output channels mostly fit the groups (c · groups = 2,
 * groups | O), else any, so both the valid calls and PyTorch's two group errors come up.
 */
const convArgs: fc.Arbitrary<Arg[]> = fc.tuple(convGroups, fc.integer({ min: 1, max: 4 }).map(good), single(1, 3, [0]), convPadding, single(1, 2, [0]), convBias, fc.boolean().map(good)).chain(([g, k, stride, padding, dilation, bias, batched]) => {
  const groups = g.ok && typeof g.v === 'number' ? g.v : 1;
  const o = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }).filter((n) => n % groups === 0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) });
  const c = fc.oneof({ weight: 3, arbitrary: fc.constant(Math.max(1, Math.floor(2 / groups))) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }) });
  return fc.tuple(o.map(good), c.map(good), fc.constant(k), fc.constant(stride), fc.constant(padding), fc.constant(dilation), fc.constant(g), fc.constant(bias), fc.constant(batched));
});
/** What a target tag other than 'idx' makes (the refused ones). */
function ceOtherTarget(lib: Lib, t: unknown, l0: unknown, l1: unknown): unknown {
  const [a, b] = [l0 as number, l1 as number];
  if (t === 'short') return lib.tensor([a], { dtype: 'int64' });
  if (t === 'long') return lib.tensor([a, b, 0], { dtype: 'int64' });
  if (t === 'int32') return lib.tensor([a, b], { dtype: 'int32' });
  if (t === 'int64 [2, 3]') return lib.zeros([2, 3], { dtype: 'int64' });
  return t;
}

const CASES: OpCase[] = [
  { name: 'add', args: fc.tuple(operand), call: (_, x, [o]) => x.add(o as Tensor), ref: (a, b, [o]) => elementwise(a, other(b, o), (p, q) => p + q) },
  { name: 'sub', args: fc.tuple(operand), call: (_, x, [o]) => x.sub(o as Tensor), ref: (a, b, [o]) => elementwise(a, other(b, o), (p, q) => p - q) },
  { name: 'mul', args: fc.tuple(operand), call: (_, x, [o]) => x.mul(o as Tensor), ref: (a, b, [o]) => elementwise(a, other(b, o), (p, q) => p * q) },
  { name: 'maximum', args: fc.tuple(fc.oneof(fc.constant(good(Y)), fc.constantFrom<unknown>(0, 'x', null, [1]).map(bad))), call: (_, x, [o]) => x.maximum(o as Tensor), ref: (a, b) => elementwise(a, b, Math.max) },
  {
    name: 'leaky_relu',
    args: fc.tuple(fc.oneof(fc.constantFrom(0.01, 0.2, -1, 0, undefined).map(good), fc.constantFrom<unknown>('0.1', null, {}, [0.1]).map(bad))),
    call: (_, x, [s]) => x.leakyRelu(s as number),
    ref: (a, _b, [s]) => elementwise(a, 0, (p) => (p > 0 ? p : p * ((s as number | undefined) ?? 0.01))),
  },
  { name: 'gt', args: fc.tuple(operand), call: (_, x, [o]) => x.gt(o as Tensor), ref: (a, b, [o]) => elementwise(a, other(b, o), (p, q) => (p > q ? 1 : 0)) },
  {
    name: 'matmul',
    args: fc.tuple(fc.oneof(fc.constant(good(YT)), fc.constant({ v: Y, ok: false, mismatch: true }), fc.constantFrom<unknown>(new Float32Array(4), [[1]], 3, null).map(bad))),
    call: (_, x, [o]) => x.matmul(o as Tensor),
    ref: (a, b) => ({ shape: [2, 2], values: [0, 1].flatMap((i) => [0, 1].map((j) => a[i]!.reduce((s, v, k) => s + v * b[j]![k]!, 0))) }),
  },
  {
    name: 'sum',
    args: fc.tuple(optDim(2), bool),
    call: (_, x, [d, k]) => x.sum(d as number, k as boolean),
    ref: (a, _b, [d, k]) => (d == null ? { shape: k ? [1, 1] : [], values: [flat(a).reduce((p, q) => p + q, 0)] } : withKeep(sumDim(a, norm(d as number, 2)), norm(d as number, 2), k as boolean)),
  },
  {
    name: 'mean',
    args: fc.tuple(optDim(2)),
    call: (_, x, [d]) => x.mean(d as number),
    ref: (a, _b, [d]) => (d == null ? { shape: [], values: [flat(a).reduce((p, q) => p + q, 0) / 6] } : sumDim(a, norm(d as number, 2), 1 / (norm(d as number, 2) === 0 ? 2 : 3))),
  },
  { name: 'softmax', args: fc.tuple(dim(2)), call: (_, x, [d]) => x.softmax(d as number).sum(d as number), ref: (_a, _b, [d]) => ({ shape: [norm(d as number, 2) === 0 ? 3 : 2], values: Array<number>(norm(d as number, 2) === 0 ? 3 : 2).fill(1) }) },
  {
    name: 'unsqueeze',
    args: fc.tuple(dim(3)),
    call: (_, x, [d]) => x.unsqueeze(d as number),
    ref: (a, _b, [d]) => {
      const s = [2, 3];
      s.splice(norm(d as number, 3), 0, 1);
      return { shape: s, values: flat(a) };
    },
  },
  {
    name: 'transpose',
    args: fc.tuple(dim(2), dim(2)),
    call: (_, x, [d0, d1]) => x.transpose(d0 as number, d1 as number),
    ref: (a, _b, [d0, d1]) => (norm(d0 as number, 2) === norm(d1 as number, 2) ? { shape: [2, 3], values: flat(a) } : { shape: [3, 2], values: [0, 1, 2].flatMap((j) => [a[0]![j]!, a[1]![j]!]) }),
  },
  {
    name: 'reshape',
    args: fc.tuple(fc.oneof(fc.constantFrom([6], [3, 2], [-1, 2], [1, -1, 3], [6, 1]).map(good), fc.constant({ v: [4], ok: false, mismatch: true }), fc.constantFrom<unknown>([-1, -1], [2.5, 2], [NaN], null, [2 ** 32 + 6], '6').map(bad))),
    call: (_, x, [s]) => x.reshape(s as number[]),
    ref: (a, _b, [s]) => {
      const known = (s as number[]).filter((d) => d !== -1).reduce((p, d) => p * d, 1);
      return { shape: (s as number[]).map((d) => (d === -1 ? 6 / known : d)), values: flat(a) };
    },
  },
  {
    name: 'narrow',
    args: fc.tuple(dim(2), int(-3, 3, [-4, 4]), int(0, 3, [-1])),
    call: (_, x, [d, s, l]) => x.narrow(d as number, s as number, l as number),
    ref: (a, _b, [d, s, l]) => {
      const dd = norm(d as number, 2);
      const size = dd === 0 ? 2 : 3;
      if ((s as number) < -size || (s as number) > size) return 'error';
      const start = norm(s as number, size);
      if (start + (l as number) > size) return 'error';
      const rows = dd === 0 ? a.slice(start, start + (l as number)) : a.map((r) => r.slice(start, start + (l as number)));
      return { shape: dd === 0 ? [l as number, 3] : [2, l as number], values: rows.flat() };
    },
  },
  {
    name: 'select',
    args: fc.tuple(dim(2), int(-3, 2, [-4, 3])),
    call: (_, x, [d, i]) => x.select(d as number, i as number),
    ref: (a, _b, [d, i]) => {
      const dd = norm(d as number, 2);
      const size = dd === 0 ? 2 : 3;
      if ((i as number) < -size || (i as number) >= size) return 'error';
      const k = norm(i as number, size);
      return dd === 0 ? { shape: [3], values: a[k]! } : { shape: [2], values: a.map((r) => r[k]!) };
    },
  },
  {
    name: 'slice',
    args: fc.tuple(dim(2), index, index, int(1, 4, [0, -1]).map((g) => (g.v === undefined || (Number.isSafeInteger(g.v) && (g.v as number) > 0) ? good(g.v) : g))),
    call: (_, x, [d, s, e, st]) => x.slice(d as number, s as number, e as number, st as number),
    ref: (a, _b, [d, s, e, st]) => {
      const dd = norm(d as number, 2);
      const size = dd === 0 ? 2 : 3;
      const clampIdx = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v));
      const idx: number[] = [];
      const [from, to] = [s == null ? 0 : clampIdx(s as number), e == null ? size : clampIdx(e as number)];
      for (let k = from; k < to; k += (st as number | undefined) ?? 1) idx.push(k);
      return dd === 0 ? { shape: [idx.length, 3], values: idx.flatMap((k) => a[k]!) } : { shape: [2, idx.length], values: a.flatMap((r) => idx.map((k) => r[k]!)) };
    },
  },
  {
    name: 'clamp',
    // a missing bound (null or undefined, PyTorch's None) is no bound; at least one is needed
    args: fc.tuple(fc.oneof(fc.constantFrom(-1, 0, null, NaN).map(good), fc.constantFrom<unknown>('0', {}).map(bad)), fc.oneof(fc.constantFrom(1, 0.5, undefined).map(good), fc.constantFrom<unknown>('1', [], true).map(bad))),
    call: (_, x, [lo, hi]) => x.clamp(lo as number, hi as number),
    ref: (a, _b, [lo, hi]) => (lo == null && hi == null ? 'error' : elementwise(a, 0, (p) => (Number.isNaN(lo) ? NaN : Math.min((hi as number | undefined) ?? Infinity, Math.max((lo as number | null) ?? -Infinity, p))))),
  },
  {
    name: 'cat',
    args: fc.tuple(fc.oneof(fc.constant(good(YS)), fc.constantFrom<unknown>([[1, 2]], [3], 'x', null, []).map(bad)), dim(2).filter((g) => g.v !== undefined)),
    call: (lib, _x, [l, d]) => lib.cat(l as Tensor[], d as number),
    ref: (a, b, [, d]) => (norm(d as number, 2) === 0 ? { shape: [4, 3], values: [...flat(a), ...flat(b)] } : { shape: [2, 6], values: [...a[0]!, ...b[0]!, ...a[1]!, ...b[1]!] }),
  },
  {
    name: 'stack',
    args: fc.tuple(fc.oneof(fc.constant(good(YS)), fc.constantFrom<unknown>([3], [[1]], {}, null).map(bad)), dim(3).filter((g) => g.v !== undefined)),
    call: (lib, _x, [l, d]) => lib.stack(l as Tensor[], d as number).sum(d as number),
    ref: (a, b) => elementwise(a, b, (p, q) => p + q),
  },
  { name: 'zeros', args: fc.tuple(shape), call: (lib, _x, [s]) => lib.zeros(s as number[]), ref: (_a, _b, [s]) => ({ shape: s as number[], values: Array<number>(numel(s as number[])).fill(0) }) },
  {
    name: 'full',
    args: fc.tuple(shape, fc.oneof(fc.constantFrom(1.5, -2, 0).map(good), fc.constantFrom<unknown>(undefined, '1', null, {}).map(bad))),
    call: (lib, _x, [s, v]) => lib.full(s as number[], v as number),
    ref: (_a, _b, [s, v]) => ({ shape: s as number[], values: Array<number>(numel(s as number[])).fill(v as number) }),
  },
  { name: 'rand', args: fc.tuple(shape), call: (lib, _x, [s]) => lib.rand(s as number[]), ref: (_a, _b, [s]) => ({ shape: s as number[] }) },
  {
    name: 'arange',
    args: fc.tuple(fc.oneof(fc.constantFrom(0, 1, 4, 5, 1.5, 2 ** 32).map(good), fc.constantFrom<unknown>(-1, NaN, Infinity, '1', {}, [2]).map(bad)), fc.oneof(fc.constantFrom(1, 2).map(good), fc.constantFrom<unknown>(0, NaN, '1').map(bad))),
    call: (lib, _x, [e, st]) => lib.arange(0, e as number, st as number),
    ref: (_a, _b, [e, st]) => {
      // past what one tensor can hold (2 GiB on wasm32) it is memory that cannot be served
      if ((e as number) / (st as number) > 2 ** 29) return 'error';
      const v: number[] = [];
      for (let k = 0; k < (e as number); k += st as number) v.push(k);
      return { shape: [v.length], values: v };
    },
  },
  {
    name: 'tensor',
    args: fc.tuple(fc.oneof(fc.constantFrom<unknown>([1, 2], [[1], [2]], 3).map(good), fc.constantFrom<unknown>('abc', { length: 3 }, null, [[1, 2], [3]], [1, 'a'], undefined).map(bad))),
    call: (lib, _x, [d]) => lib.tensor(d as number[]),
    ref: (_a, _b, [d]) => (typeof d === 'number' ? { shape: [], values: [d] } : { shape: Array.isArray((d as unknown[])[0]) ? [2, 1] : [2], values: (d as unknown[]).flat() as number[] }),
  },
  {
    // x as an unbatched [C=2, L=3] sequence
    name: 'max_pool1d',
    args: fc.tuple(single(1, 4, [0, -1], false), stride1d, single(0, 2, [-1]), single(1, 2, [0]), bool),
    call: (lib, x, [k, st, p, d, c]) => lib.F.maxPool1d(x, k as number, { stride: st as number | null, padding: p as number, dilation: d as number, ceilMode: c as boolean }),
    ref: (a, _b, [k, st, p, d, c]) => pool1d(a, 'max', one(k), one(st, one(k)), one(p, 0), one(d, 1), c as boolean, true),
  },
  {
    name: 'avg_pool1d',
    args: fc.tuple(single(1, 4, [0, -1], false), stride1d, single(0, 2, [-1]), bool, bool),
    call: (lib, x, [k, st, p, c, inc]) => lib.F.avgPool1d(x, k as number, { stride: st as number | null, padding: p as number, ceilMode: c as boolean, countIncludePad: inc as boolean }),
    ref: (a, _b, [k, st, p, c, inc]) => pool1d(a, 'avg', one(k), one(st, one(k)), one(p, 0), 1, c as boolean, inc as boolean),
  },
  {
    name: 'Dropout',
    args: fc.tuple(fc.oneof(fc.constantFrom(0, 0.5, 1).map(good), fc.constantFrom<unknown>('0.5', -0.1, 1.5, NaN, null).map(bad))),
    call: (lib, x, [p]) => new lib.nn.Dropout(p as number).eval().forward(x),
    ref: (a) => ({ shape: [2, 3], values: flat(a) }),
  },
  {
    name: 'Linear',
    args: fc.tuple(int(0, 4, [-1]), int(0, 4, [-1])),
    call: (lib, _x, [i, o]) => new lib.nn.Linear(i as number, o as number).weight!,
    ref: (_a, _b, [i, o]) => ({ shape: [o as number, i as number] }),
  },
  {
    // x viewed as [N=1, C=2, L=3]; rules checked against torch 1.13's F.interpolate (see interpolate1d)
    name: 'interpolate',
    args: fc.tuple(interpMode, interpSize, interpScale, optBool, optBool, antialiasArg),
    call: (lib, x, [mode, size, scaleFactor, alignCorners, recomputeScaleFactor, antialias]) =>
      lib.F.interpolate(x.reshape(1, 2, 3), { mode, size, scaleFactor, alignCorners, recomputeScaleFactor, antialias } as Ferrograd.F.InterpolateOptions),
    ref: (a, _b, [mode, size, scale, align, recompute, antialias]) => interpolate1d(a, (mode as string | undefined) ?? 'nearest', size, scale, align, recompute, antialias),
  },
  {
    // logits x [N=2, C=3]; the target made in `call` (ceTarget); rules from torch 1.13 (see crossEntropyRef)
    name: 'cross_entropy',
    args: fc.tuple(ceTarget, ceLabel, ceLabel, ceWeight, ceIgnoreIndex, ceReduction, ceLabelSmoothing),
    call: (lib, x, [t, l0, l1, w, ignoreIndex, reduction, labelSmoothing]) => {
      const target = t === 'idx' ? lib.tensor([l0 as number, l1 as number], { dtype: 'int64' }) : isTensorLike(t) ? (t as Tensor).softmax(1) : ceOtherTarget(lib, t, l0, l1);
      const weight = w === 'w3' ? lib.tensor([1, 2, 0.5]) : w === 'w2' ? lib.tensor([1, 2]) : w;
      // only the options given, so a call with none takes the fused kernel
      const entries = Object.entries({ weight, ignoreIndex, reduction, labelSmoothing }).filter(([, v]) => v !== undefined);
      const opts = entries.length ? (Object.fromEntries(entries) as Ferrograd.F.CrossEntropyOptions) : undefined;
      return lib.F.crossEntropy(x, target as Tensor, opts);
    },
    ref: (a, b, [t, l0, l1, w, ignoreIndex, reduction, labelSmoothing]) =>
      crossEntropyRef(a, b, t === 'idx' ? [l0 as number, l1 as number] : null, w === 'w3' ? [1, 2, 0.5] : null, (ignoreIndex as number | undefined) ?? -100, (reduction as string | undefined) ?? 'mean', (labelSmoothing as number | undefined) ?? 0),
  },
  {
    // x as int32 / int64 (x·4: integers in [-8, 8]) or float32 (x); rules from torch 1.13 (see divideRef)
    name: 'floor_divide',
    args: fc.tuple(divLhs, divisor, divCast),
    call: (_, x, [l, o, c]) => divOperand(x, l as string).floorDivide(isTensorLike(o) ? divOperand(o as Tensor, c as string) : (o as number)),
    ref: (a, b, [l, o, c]) => divideRef('floor', a, b, l as string, o, c as string),
  },
  {
    name: 'remainder',
    args: fc.tuple(divLhs, divisor, divCast),
    call: (_, x, [l, o, c]) => divOperand(x, l as string).remainder(isTensorLike(o) ? divOperand(o as Tensor, c as string) : (o as number)),
    ref: (a, b, [l, o, c]) => divideRef('remainder', a, b, l as string, o, c as string),
  },
  {
    // x as [N=1, C=2, L=3] (or unbatched [2, 3]); the weight [O, C / groups, k] made in `call`
    name: 'conv1d',
    args: convArgs,
    call: (lib, x, [o, c, k, stride, padding, dilation, groups, bias, batched]) =>
      lib.F.conv1d(batched ? x.reshape(1, 2, 3) : x, lib.tensor(convWeight(o as number, c as number, k as number)), {
        stride,
        padding,
        dilation,
        groups,
        bias: bias === 'b1' ? lib.tensor(CONV_BIAS.slice(0, 1)) : bias === 'b2' ? lib.tensor(CONV_BIAS) : bias,
      } as Ferrograd.F.Conv1dOptions),
    ref: (a, _b, [o, c, k, stride, padding, dilation, groups, bias, batched]) =>
      conv1dRef(a, o as number, c as number, k as number, one(stride, 1), padding, one(dilation, 1), (groups as number | undefined) ?? 1, bias === 'b1' ? 1 : bias === 'b2' ? 2 : 0, batched as boolean),
  },
];

function withKeep(r: Ref, d: number, keep: boolean): Ref {
  if (!keep) return r;
  const s = [2, 3];
  s[d] = 1;
  return { shape: s, ...(r.values ? { values: r.values } : {}) };
}

const same = (g: number, e: number): boolean => (Number.isNaN(e) ? Number.isNaN(g) : g === e || Math.abs(g - e) <= 1e-5 * (1 + Math.abs(e)));

function numel(s: number[]): number {
  return s.reduce((p, d) => p * d, 1);
}

export interface PropertyReport {
  calls: number;
  valid: number;
  refused: number;
}

/** The op name a message must start with (a method, a function or a module's constructor). */
function namesOp(msg: string, op: string): boolean {
  const m = /^([A-Za-z][A-Za-z0-9_.]*)(\(\))?:/.exec(msg);
  if (!m) return false;
  const got = m[1]!.toLowerCase();
  const want = op.toLowerCase();
  return got === want || got.endsWith(`.${want}`) || got.startsWith(want) || (op === 'stack' && got === 'sum') || (op === 'softmax' && got === 'sum');
}

/** The library still works: a 2×2 matmul and its gradient. */
function sanity(lib: Lib): void {
  const a = lib.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const l = a.matmul(a).sum();
  l.backward();
  const got = JSON.stringify([l.item(), a.grad!.toArray()]);
  // d/da sum(a·a) = 1·aᵀ + aᵀ·1 : [[3+4... ]] computed by hand: [[7, 11], [9, 13]]
  if (got !== JSON.stringify([54, [[7, 11], [9, 13]]])) throw new Error(`the library broke: matmul + backward gave ${got}`);
}

/**
 * Runs `runs` random calls from `seed`. Throws on the first call that answers wrongly (with
 * fast-check's shrunk counterexample and seed in the message).
 */
export function runProperty(lib: Lib, seed: number, runs: number): PropertyReport {
  const report: PropertyReport = { calls: 0, valid: 0, refused: 0 };
  const arb = fc.tuple(fc.integer({ min: 0, max: CASES.length - 1 }), values).chain(([k, v]) => {
    const c = CASES[k]!;
    const a = [v.slice(0, 3), v.slice(3, 6)];
    const b = [v.slice(6, 9), v.slice(9, 12)];
    return c.args.map((args) => ({ c, a, b, args }));
  });
  fc.assert(
    fc.property(arb, ({ c, a, b, args }) => {
      report.calls++;
      const x = lib.tensor(a);
      const y = lib.tensor(b);
      const vals = args.map((g) => resolve(g.v, x, y));
      const ref = args.every((g) => g.ok) ? c.ref(a, b, vals) : 'error';
      let out: unknown;
      let err: unknown;
      try {
        out = lib.scope(() => {
          const r = c.call(lib, x, vals) as Tensor;
          return { shape: r.shape, values: r.toArray(), dtype: r.dtype };
        });
      } catch (e) {
        err = e;
      }
      const what = `${c.name}(${vals.map(show).join(', ')})`;
      if (err !== undefined) {
        if (!(err instanceof Error)) throw new Error(`${what} threw a non-Error: ${show(err)}`);
        if (err instanceof WebAssembly.RuntimeError) throw new Error(`${what} trapped: ${err.message}`);
        if (!namesOp(err.message, c.name)) throw new Error(`${what} threw an error that does not name the op: ${err.name}: ${err.message}`);
        // JS's and wasm's own words ("memory access out of bounds", "Offset is out of bounds",
        // Rust's "index out of bounds"), not a refusal like "target 3 ... is out of bounds for 3 classes"
        if (/Cannot read prop|Cannot convert|is not a function|is not iterable|is not a constructor|\(reading '|unreachable|Maximum call stack|(memory access|[Oo]ffset is|index) out of bounds|outside the bounds/.test(err.message)) throw new Error(`${what} failed inside the library: ${err.message}`);
        if (ref !== 'error') throw new Error(`${what} is valid (PyTorch accepts it) but threw ${err.name}: ${err.message}`);
        if (!(err instanceof TypeError || err instanceof RangeError)) throw new Error(`${what} refused a bad argument with a plain ${err.name}, not a TypeError or RangeError: ${err.message}`);
        report.refused++;
      } else {
        if (ref === 'error') throw new Error(`${what} should have been refused but returned ${show(out)}`);
        const r = out as { shape: number[]; values: unknown; dtype: string };
        if (JSON.stringify(r.shape) !== JSON.stringify(ref.shape)) throw new Error(`${what}: shape ${show(r.shape)}, expected ${show(ref.shape)}`);
        if (ref.dtype !== undefined && r.dtype !== ref.dtype) throw new Error(`${what}: dtype ${r.dtype}, expected ${ref.dtype}`);
        if (ref.values) {
          const got = [r.values].flat(8) as number[];
          if (got.length !== ref.values.length || got.some((g, i) => !same(g, ref.values![i]!))) {
            throw new Error(`${what}: values ${show(got)}, expected ${show(ref.values)}`);
          }
        }
        report.valid++;
      }
      sanity(lib);
    }),
    { seed, numRuns: runs, endOnFailure: true },
  );
  return report;
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.description ?? 'symbol';
  if (v !== null && typeof v === 'object' && 'shape' in v && typeof (v as { toArray?: unknown }).toArray === 'function') return `Tensor${JSON.stringify((v as Tensor).shape)}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Float32Array).length})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
