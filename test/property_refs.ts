/**
 * The property suite's reference models of PyTorch's rules for the ops with many options
 * (pooling, interpolate, cross_entropy, integer/float division, conv1d): each returns the result
 * PyTorch gives, or 'error' where it refuses. Where each rule comes from is written above it.
 * @module
 */

/** A 2-D operand as rows. */
export type M = number[][];

/** Reference results: a shape and row-major values (undefined: only the shape is checked). */
export interface Ref {
  shape: number[];
  values?: number[];
  /** The result's dtype (undefined: not checked). */
  dtype?: string;
}

/** A `single` value as a number (`dflt` when left out). */
export const one = (v: unknown, dflt = NaN): number => (v === undefined || v === null ? dflt : Array.isArray(v) ? (v[0] as number) : (v as number));
export const flat = (m: M): number[] => m.flat();
export const elementwise = (a: M, b: M | number, f: (p: number, q: number) => number): Ref => ({
  shape: [a.length, a[0]!.length],
  values: a.flatMap((row, i) => row.map((v, j) => f(v, typeof b === 'number' ? b : b[i]![j]!))),
});
/** conv1d's bias values (the first one, or both). */
export const CONV_BIAS = [0.5, -1];
/** The conv1d weight [o, c, k]: small halves, different at every tap. */
export const convWeight = (o: number, c: number, k: number): number[][][] =>
  Array.from({ length: o }, (_, i) => Array.from({ length: c }, (_, j) => Array.from({ length: k }, (_, t) => (((i * 5 + j * 3 + t * 2) % 7) - 3) / 2)));
export const given = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * PyTorch's 1-D pooling of each row, read from its docs: output length by
 * `pooling_output_shape`, max over the dilated taps inside the row (-inf padding), average of
 * the window's sum over `divide_factor` (the window clipped to the padded row, or the taps in
 * the row without `count_include_pad`). 'error' where PyTorch refuses.
 */
export function pool1d(a: M, kind: 'max' | 'avg', k: number, s: number, p: number, d: number, ceil: boolean, include: boolean): Ref | 'error' {
  const len = a[0]!.length;
  if (2 * p > k) return 'error';
  let out = Math.floor((len + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= len + p) out--;
  if (out < 1) return 'error';
  const values = a.flatMap((row) =>
    Array.from({ length: out }, (_, o) => {
      const start = o * s - p;
      if (kind === 'max') {
        const taps = Array.from({ length: k }, (_, i) => start + i * d).filter((j) => j >= 0 && j < len);
        return taps.length ? Math.max(...taps.map((j) => row[j]!)) : -Infinity;
      }
      const end = Math.min(start + k, len + p);
      const [lo, hi] = [Math.max(start, 0), Math.min(end, len)];
      let sum = 0;
      for (let j = lo; j < hi; j++) sum += row[j]!;
      const div = include ? end - start : hi - lo;
      return div > 0 ? sum / div : 0;
    }),
  );
  return { shape: [a.length, out], values };
}

const f32 = Math.fround;

/**
 * PyTorch 1.13's `F.interpolate` of each row of `a` as [1, 2, 3], read from
 * torch/nn/functional.py and aten/src/ATen/native/UpSample.h (and checked against torch 1.13):
 * - exactly one of size / scale_factor ("only one of size or scale_factor should be defined",
 *   "either size or scale_factor should be defined"); recompute_scale_factor=True with a size:
 *   "recompute_scale_factor is not meaningful with an explicit size"; align_corners set (even
 *   False) with a mode that does not interpolate: "align_corners option can only be set with
 *   the interpolating modes"; antialias=True: "Anti-alias option is only supported for bilinear
 *   and bicubic modes".
 * - the output length is the size, or floor(3 · scale_factor) computed in float64; it must be
 *   ≥ 1 ("Input and output sizes should be greater than 0").
 * - the kernels' scale is `(float)(1.0 / scale_factor)` when a scale factor was given and not
 *   recomputed, else `(float)in / out` (compute_scales_value<float>). 'nearest':
 *   src = min(floorf(dst · scale), in - 1), in float32; 'nearest-exact': floorf((dst + 0.5) · scale);
 *   'area': adaptive average pooling over [floor(i·in/out), ceil((i+1)·in/out)); 'linear':
 *   a copy when out == in, else area_pixel_compute_source_index (align_corners: scale
 *   (in - 1)/(out - 1), src = scale · dst; else src = scale · (dst + 0.5) - 0.5, clamped at 0)
 *   and the two taps weighted 1 - λ and λ.
 */
export function interpolate1d(a: M, mode: string, size: unknown, scale: unknown, align: unknown, recompute: unknown, antialias: unknown): Ref | 'error' {
  const n = a[0]!.length;
  if (given(size) === given(scale)) return 'error';
  if (recompute === true && given(size)) return 'error';
  if (given(align) && mode !== 'linear') return 'error';
  if (antialias === true) return 'error';
  const out = given(size) ? one(size) : Math.floor(n * one(scale));
  if (out < 1) return 'error';
  const s = given(scale) && recompute !== true ? f32(1 / one(scale)) : f32(n / out);
  const resample = (row: number[]): number[] =>
    Array.from({ length: out }, (_, i) => {
      if (mode === 'nearest') return row[Math.min(Math.floor(f32(i * s)), n - 1)]!;
      if (mode === 'nearest-exact') return row[Math.min(Math.floor(f32((i + 0.5) * s)), n - 1)]!;
      if (mode === 'area') {
        const [lo, hi] = [Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)];
        return row.slice(lo, hi).reduce((p, q) => p + q, 0) / (hi - lo);
      }
      if (out === n) return row[i]!;
      let src: number;
      if (align === true) src = f32((out > 1 ? f32((n - 1) / (out - 1)) : 0) * i);
      else src = Math.max(f32(f32(s * f32(i + 0.5)) - 0.5), 0);
      const j = Math.trunc(src);
      const l1 = f32(src - j);
      return (1 - l1) * row[j]! + l1 * row[j < n - 1 ? j + 1 : j]!;
    });
  return { shape: [1, a.length, out], values: a.flatMap(resample) };
}

/**
 * PyTorch 1.13's `F.cross_entropy` (aten/src/ATen/native/LossNLL.cpp, checked against torch
 * 1.13) of logits `a` [2, 3]: with class indices (`labels`; a label must be in [0, 3) or
 * the ignore index: "Target 3 is out of bounds."), per row (1 - ε)·(-w_y·log p_y) + ε/C·(-Σ_c
 * w_c·log p_c), 0 for an ignored row, the mean dividing by Σ w_y over the kept rows (NaN when
 * none is kept); with probabilities (`labels` null: softmax(b), smoothed to t·(1 - ε) + ε/C),
 * -Σ_c w_c·t_c·log p_c per row and the mean over the rows, and an ignore index ≥ 0 refused
 * ("ignore_index is not supported for floating point target"). In float64: `same` allows float32's
 * rounding.
 */
export function crossEntropyRef(a: M, b: M, labels: number[] | null, weight: number[] | null, ignore: number, reduction: string, eps: number): Ref | 'error' {
  const c = a[0]!.length;
  const w = weight ?? Array<number>(c).fill(1);
  const logSoftmax = (r: number[]): number[] => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    return r.map((v) => v - lse);
  };
  const logp = a.map(logSoftmax);
  let losses: number[];
  let count: number;
  if (labels === null) {
    // "ignore_index is not supported for floating point target" (torch checks ignore_index < 0)
    if (ignore >= 0) return 'error';
    const t = b.map((r) => logSoftmax(r).map((v) => Math.exp(v) * (1 - eps) + eps / c));
    losses = logp.map((r, i) => -r.reduce((s, v, k) => s + w[k]! * t[i]![k]! * v, 0));
    count = a.length;
  } else {
    if (labels.some((y) => y !== ignore && !(y >= 0 && y < c))) return 'error';
    losses = labels.map((y, i) => (y === ignore ? 0 : (1 - eps) * -w[y]! * logp[i]![y]! + (eps / c) * -logp[i]!.reduce((s, v, k) => s + w[k]! * v, 0)));
    count = labels.reduce((s, y) => s + (y === ignore ? 0 : w[y]!), 0);
  }
  const total = losses.reduce((p, q) => p + q, 0);
  if (reduction === 'none') return { shape: [a.length], values: losses };
  return { shape: [], values: [reduction === 'sum' ? total : total / count] };
}

/**
 * `torch.floor_divide` / `torch.remainder` of x (x·4 as an int `lhs`, or x) by `o`: a number,
 * or y (b·4 cast to `cast`, or b), with torch 1.13's dtype (result_type: a number only lifts the
 * category, an integer-valued one is an int, true/false are bools) and its kernels
 * (aten/src/ATen/native/cpu/BinaryOpsKernel.cpp, checked against torch 1.13): an integer result
 * with a zero divisor is "ZeroDivisionError"; floats use div_floor_floating (fmod-based, so
 * -7 // inf is -1, and a / 0 is ±inf or NaN) and fmod plus the divisor where the signs differ
 * (-7 % inf is inf, anything % 0 NaN).
 */
export function divideRef(kind: 'floor' | 'remainder', a: M, b: M, lhs: string, o: unknown, cast: string): Ref | 'error' {
  const intDtype = (d: string): boolean => d !== 'float32';
  const left = intDtype(lhs) ? a.map((r) => r.map((v) => v * 4)) : a;
  let dtype: string;
  let right: M | number;
  if (typeof o === 'number' || typeof o === 'boolean') {
    right = Math.fround(Number(o));
    dtype = typeof o === 'boolean' || (Number.isInteger(o) && intDtype(lhs)) ? lhs : 'float32';
  } else {
    right = intDtype(cast) ? b.map((r) => r.map((v) => v * 4)) : b;
    const rank = ['int32', 'int64', 'float32'];
    dtype = rank[Math.max(rank.indexOf(lhs), rank.indexOf(cast))]!;
  }
  if (intDtype(dtype) && (typeof right === 'number' ? right === 0 : right.flat().includes(0))) return 'error';
  const r = elementwise(left, right, kind === 'floor' ? divFloor : remainderOf);
  return { ...r, dtype };
}
/** c10's div_floor_floating (exact for integers too), in float32 arithmetic (`fmod` is exact). */
export function divFloor(a: number, b: number): number {
  const f32 = Math.fround;
  if (b === 0) return a / b;
  const mod = a % b;
  let div = f32(f32(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = f32(div - 1);
  if (div === 0) return a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
  const f = Math.floor(div);
  return f32(div - f) > 0.5 ? f32(f + 1) : f;
}
/** torch's remainder: fmod, plus the divisor where the signs differ (float32 arithmetic). */
export function remainderOf(a: number, b: number): number {
  const mod = a % b;
  return mod !== 0 && b < 0 !== mod < 0 ? Math.fround(mod + b) : mod;
}

/**
 * PyTorch 1.13's `F.conv1d` of x as [1, 2, 3] (or [2, 3] unbatched) with the weight
 * `convWeight(o, c, k)`, read from aten/src/ATen/native/Convolution.cpp and checked against
 * torch 1.13: groups must divide the output channels ("expected weight to be divisible by
 * groups at dimension 0") and c · groups must be the input's 2 channels; a bias must have one
 * element per output channel; padding='same' pads d(k-1) zeros, the odd one on the right, and is
 * refused with a stride > 1 ("padding='same' is not supported for strided convolutions"); the
 * padded input must hold the dilated kernel ("Kernel size can't be greater than actual input
 * size"); the output length is floor((L + 2p - d(k-1) - 1) / s) + 1.
 */
export function conv1dRef(a: M, o: number, c: number, k: number, s: number, padding: unknown, d: number, groups: number, biasLen: number, batched: boolean): Ref | 'error' {
  const channels = a.length;
  const len = a[0]!.length;
  if (o % groups !== 0 || c * groups !== channels) return 'error';
  if (biasLen !== 0 && biasLen !== o) return 'error';
  const span = d * (k - 1);
  let left: number;
  let right: number;
  if (padding === 'same') {
    if (s !== 1) return 'error';
    left = Math.floor(span / 2);
    right = span - left;
  } else {
    left = right = padding === 'valid' ? 0 : one(padding, 0);
  }
  if (len + left + right < span + 1) return 'error';
  const out = Math.floor((len + left + right - span - 1) / s) + 1;
  const w = convWeight(o, c, k);
  const at = (ch: number, i: number): number => (i < 0 || i >= len ? 0 : a[ch]![i]!);
  const values = Array.from({ length: o }, (_, oc) => {
    const g = Math.floor(oc / (o / groups));
    return Array.from({ length: out }, (_, t) => {
      let sum = biasLen ? CONV_BIAS[oc]! : 0;
      for (let ic = 0; ic < c; ic++) for (let j = 0; j < k; j++) sum += w[oc]![ic]![j]! * at(g * c + ic, t * s + j * d - left);
      return sum;
    });
  }).flat();
  return { shape: batched ? [1, o, out] : [o, out], values };
}
