/**
 * `F.interpolate` with PyTorch's modes and options. Every mode is separable and linear in the
 * input: each spatial axis gets an `[out, in]` interpolation matrix, built here in float64 from
 * PyTorch's index and weight formulae (its float32 index arithmetic emulated where a rounding
 * could pick another pixel), and applied with `matmul`. Gradients come from the matmuls (a
 * nearest matrix of 0s and 1s makes the backward PyTorch's scatter-add), and the same code runs
 * on every device. Plain bilinear resizing keeps the core's `resizeBilinear` kernel and 4-D
 * `'area'` is `adaptiveAvgPool2d`, as in PyTorch.
 * @module
 */
import { boolArg, enumArg, intArg, optionsArg, realArg, show, tensorArg } from './check.js';
import { fromArray } from './creation.js';
import { type Tensor, wrap } from './tensor.js';
import { wasm } from './wasm.js';

/** `F.interpolate`'s `mode`. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

/** PyTorch's `F.interpolate` keyword arguments, camel-cased. */
export interface InterpolateOptions {
  /** The output's spatial size: one integer for every spatial dim, or one per dim (`size`). */
  size?: number | number[] | null;
  /** Multiplier of the spatial size, one for every dim or one per dim; the output size is `floor(in * scale)` (`scale_factor`). */
  scaleFactor?: number | number[] | null;
  /** The algorithm (`mode`, `'nearest'`). */
  mode?: InterpolateMode;
  /**
   * Align the corner pixels' centres of input and output (`align_corners`, `null`: false); only
   * for the interpolating modes `'linear'`, `'bilinear'`, `'bicubic'` and `'trilinear'`.
   */
  alignCorners?: boolean | null;
  /**
   * With `scaleFactor`: compute the output size from it, then interpolate as if that size had
   * been given (source scale `in / out`, not `1 / scaleFactor`) (`recompute_scale_factor`, `null`: false).
   */
  recomputeScaleFactor?: boolean | null;
  /** Anti-aliasing when downsampling, 4-D `'bilinear'` and `'bicubic'` only (`antialias`, false). */
  antialias?: boolean;
}

const OP = 'interpolate';
const MODES = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'] as const;
const OPTIONS = ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor', 'antialias'] as const;
/** The spatial rank a mode needs (the others work on any of 1, 2 and 3). */
const MODE_DIMS: Partial<Record<InterpolateMode, number>> = { linear: 1, bilinear: 2, bicubic: 2, trilinear: 3 };
const MAX_SIZE = 0x7fffffff;

const f32 = Math.fround;

/**
 * Resizes the spatial dims of `input` (`[N, C, L]`, `[N, C, H, W]` or `[N, C, D, H, W]`) to
 * `size`, or by `scaleFactor`, with PyTorch's `mode`, `alignCorners`, `recomputeScaleFactor` and
 * `antialias`, as `torch.nn.functional.interpolate`.
 */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  tensorArg(OP, 'input', input);
  const o = optionsArg(OP, options, OPTIONS);
  if (options === undefined) throw new TypeError(`${OP}: either size or scale_factor should be defined (pass { size } or { scaleFactor })`);
  const mode = o.mode === undefined ? 'nearest' : enumArg(OP, 'mode', o.mode, MODES);
  const shape = input.shape;
  const ndim = shape.length;
  if (ndim < 3 || ndim > 5) {
    throw new RangeError(`${OP}: input must be 3-D, 4-D or 5-D ([N, C, d1, ...]) for the mode '${mode}', got shape [${shape.join(', ')}]`);
  }
  const dims = ndim - 2;
  const need = MODE_DIMS[mode];
  if (need !== undefined && need !== dims) {
    throw new RangeError(`${OP}: got ${ndim}D input of shape [${shape.join(', ')}], but ${mode} mode needs ${need + 2}D input`);
  }
  const interpolating = need !== undefined;
  let alignCorners = false;
  if (o.alignCorners !== undefined && o.alignCorners !== null) {
    alignCorners = boolArg(OP, 'alignCorners', o.alignCorners);
    if (!interpolating) {
      throw new RangeError(`${OP}: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear (got mode '${mode}', alignCorners ${show(o.alignCorners)})`);
    }
  }
  const antialias = o.antialias === undefined ? false : boolArg(OP, 'antialias', o.antialias);
  if (antialias && mode !== 'bilinear' && mode !== 'bicubic') {
    throw new RangeError(`${OP}: anti-alias option is only supported for bilinear and bicubic modes (got mode '${mode}')`);
  }
  const recompute = o.recomputeScaleFactor === undefined || o.recomputeScaleFactor === null ? false : boolArg(OP, 'recomputeScaleFactor', o.recomputeScaleFactor);
  const hasSize = o.size !== undefined && o.size !== null;
  const hasScale = o.scaleFactor !== undefined && o.scaleFactor !== null;
  if (hasSize && hasScale) throw new TypeError(`${OP}: only one of size or scale_factor should be defined, got size ${show(o.size)} and scaleFactor ${show(o.scaleFactor)}`);
  if (!hasSize && !hasScale) throw new TypeError(`${OP}: either size or scale_factor should be defined`);
  if (recompute && hasSize) throw new RangeError(`${OP}: recompute_scale_factor is not meaningful with an explicit size`);

  const ins = shape.slice(2);
  let outs: number[];
  // the scale PyTorch passes to the kernel per axis (null: the kernel uses in / out)
  let scales: (number | null)[] = ins.map(() => null);
  if (hasSize) {
    outs = perDim('size', o.size, dims, ins).map((v, i) => intArg(OP, Array.isArray(o.size) ? `size[${i}]` : 'size', v, 1, MAX_SIZE));
  } else {
    const named = (i: number): string => (Array.isArray(o.scaleFactor) ? `scaleFactor[${i}]` : 'scaleFactor');
    const factors = perDim('scaleFactor', o.scaleFactor, dims, ins).map((v, i) => realArg(OP, named(i), v, { min: 0, minExclusive: true }));
    outs = factors.map((s, i) => {
      const out = Math.floor(ins[i]! * s);
      if (out < 1 || out > MAX_SIZE) {
        throw new RangeError(`${OP}: input and output sizes should be greater than 0 (and at most ${MAX_SIZE}), but spatial dim ${i} of size ${ins[i]} times ${named(i)} ${show(s)} gives floor(${ins[i]! * s}) = ${out}`);
      }
      return out;
    });
    if (!recompute && mode !== 'area') scales = factors;
  }
  if (ins.some((d) => d === 0)) throw new RangeError(`${OP}: input and output sizes should be greater than 0, but got input of shape [${shape.join(', ')}] (output size [${outs.join(', ')}])`);

  if (mode === 'area' && dims === 2) return wrap(wasm().adaptiveAvgPool2d(input.h, Uint32Array.from(outs)));
  if (mode === 'bilinear' && !alignCorners && !antialias && scales.every((s, i) => s === null || f32(1 / s) === f32(ins[i]! / outs[i]!))) {
    // the core's kernel: PyTorch's bilinear with the in / out scale
    return wrap(wasm().resizeBilinear(input.h, Uint32Array.from(outs)));
  }

  const kind: AxisMode = mode === 'nearest' || mode === 'nearest-exact' || mode === 'area' ? mode : mode === 'bicubic' ? 'cubic' : 'linear';
  let y = input;
  let applied = false;
  for (let i = 0; i < dims; i++) {
    const m = axisMatrix(kind, ins[i]!, outs[i]!, scales[i]!, alignCorners, antialias);
    if (m === null) continue;
    y = alongAxis(y, 2 + i, m, ins[i]!, outs[i]!);
    applied = true;
  }
  // PyTorch returns a new tensor even when nothing moves
  return applied ? y : input.mul(1);
}

/** A per-dim argument: one value for every spatial dim, or an array of exactly `dims`. */
function perDim(name: string, v: unknown, dims: number, ins: number[]): unknown[] {
  if (!Array.isArray(v)) return Array.from({ length: dims }, () => v);
  if (v.length !== dims) {
    throw new RangeError(`${OP}: input and output must have the same number of spatial dimensions, but got input with spatial dimensions of [${ins.join(', ')}] and ${name} ${show(v)}; please provide the input as [N, C, d1, ...] and ${name} as one number or ${dims} of them`);
  }
  return v;
}

/** `x` with dim `d` (of size `n`) mapped through the `[out, n]` row-major matrix `m`. */
function alongAxis(x: Tensor, d: number, m: Float32Array, n: number, out: number): Tensor {
  const shape = x.shape;
  const pre = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const post = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const next = [...shape.slice(0, d), out, ...shape.slice(d + 1)];
  if (post === 1) {
    // the last axis: one [pre, n] x [n, out] product
    const mt = new Float32Array(n * out);
    for (let i = 0; i < out; i++) for (let j = 0; j < n; j++) mt[j * out + i] = m[i * n + j]!;
    return x.reshape(pre, n).matmul(fromArray(mt, [n, out], { device: x.device })).reshape(next);
  }
  // an inner axis: [out, n] x [pre, n, post], the matrix broadcast over the batch
  return fromArray(m, [out, n], { device: x.device }).matmul(x.reshape(pre, n, post)).reshape(next);
}

type AxisMode = 'nearest' | 'nearest-exact' | 'area' | 'linear' | 'cubic';

/** PyTorch's `compute_scales_value<float>`: `1 / scale` when a scale was given, else `in / out`. */
function scaleValue(n: number, out: number, scale: number | null): number {
  return scale !== null && scale > 0 ? f32(1 / scale) : f32(n / out);
}

/** PyTorch's `area_pixel_compute_scale<float>`. */
function areaScale(n: number, out: number, alignCorners: boolean, scale: number | null): number {
  if (alignCorners) return out > 1 ? f32((n - 1) / (out - 1)) : 0;
  return scaleValue(n, out, scale);
}

/** PyTorch's `area_pixel_compute_source_index<float>`. */
function sourceIndex(scale: number, i: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return f32(scale * i);
  const src = f32(f32(scale * f32(i + 0.5)) - 0.5);
  return !cubic && src < 0 ? 0 : src;
}

/** Keys' cubic convolution kernel, `|x| <= 1` and `1 < |x| < 2` pieces. */
const cubic1 = (x: number, a: number): number => ((a + 2) * x - (a + 3)) * x * x + 1;
const cubic2 = (x: number, a: number): number => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;

/** The anti-aliasing filters: the triangle (bilinear) and Keys' cubic with a = -0.5 (bicubic, as PIL). */
function aaFilter(kind: 'linear' | 'cubic', x: number): number {
  const t = Math.abs(x);
  if (kind === 'linear') return t < 1 ? 1 - t : 0;
  return t < 1 ? cubic1(t, -0.5) : t < 2 ? cubic2(t, -0.5) : 0;
}

/**
 * The `[out, n]` matrix (row-major) of one axis, or null when it is the identity (the axis is
 * left alone, exactly).
 */
function axisMatrix(kind: AxisMode, n: number, out: number, scale: number | null, alignCorners: boolean, antialias: boolean): Float32Array | null {
  const m = new Float64Array(out * n);
  const add = (i: number, j: number, w: number): void => {
    m[i * n + j] = m[i * n + j]! + w;
  };
  if (kind === 'nearest' || kind === 'nearest-exact') {
    // nearest_neighbor_compute_source_index / ..._exact_...: float32 products, then floor
    const s = scaleValue(n, out, scale);
    for (let i = 0; i < out; i++) {
      const src = kind === 'nearest' ? f32(f32(i) * s) : f32((i + 0.5) * s);
      add(i, Math.min(Math.floor(src), n - 1), 1);
    }
  } else if (kind === 'area') {
    // adaptive average pooling: [floor(i n / out), ceil((i + 1) n / out))
    for (let i = 0; i < out; i++) {
      const a = Math.floor((i * n) / out);
      const b = Math.ceil(((i + 1) * n) / out);
      for (let j = a; j < b; j++) add(i, j, 1 / (b - a));
    }
  } else if (antialias) {
    // _compute_indices_weights_aa: the filter widened by the scale when downsampling,
    // normalised per output
    const s = areaScale(n, out, alignCorners, scale);
    const support = (kind === 'linear' ? 1 : 2) * (s >= 1 ? s : 1);
    const inv = s >= 1 ? 1 / s : 1;
    for (let i = 0; i < out; i++) {
      const center = s * (i + 0.5);
      const lo = Math.max(Math.trunc(center - support + 0.5), 0);
      const hi = Math.min(Math.trunc(center + support + 0.5), n);
      const w: number[] = [];
      for (let j = lo; j < hi; j++) w.push(aaFilter(kind, (j - center + 0.5) * inv));
      const total = w.reduce((a, b) => a + b, 0);
      w.forEach((v, k) => add(i, lo + k, total !== 0 ? v / total : v));
    }
  } else if (kind === 'linear') {
    // compute_source_index_and_lambda: same sizes copy, whatever the scale
    if (out === n) return null;
    const s = areaScale(n, out, alignCorners, scale);
    for (let i = 0; i < out; i++) {
      const src = sourceIndex(s, i, alignCorners, false);
      const j = Math.trunc(src);
      const l1 = src - j;
      add(i, j, 1 - l1);
      add(i, j < n - 1 ? j + 1 : j, l1);
    }
  } else {
    // bicubic: A = -0.75, the four taps clamped to the border
    const s = areaScale(n, out, alignCorners, scale);
    for (let i = 0; i < out; i++) {
      const src = sourceIndex(s, i, alignCorners, true);
      const j = Math.floor(src);
      const t = f32(src - j);
      const w = [cubic2(t + 1, -0.75), cubic1(t, -0.75), cubic1(1 - t, -0.75), cubic2(2 - t, -0.75)];
      for (let k = 0; k < 4; k++) add(i, Math.max(Math.min(j - 1 + k, n - 1), 0), w[k]!);
    }
  }
  if (out === n && m.every((v, k) => v === (k % (n + 1) === 0 ? 1 : 0))) return null;
  return Float32Array.from(m);
}
