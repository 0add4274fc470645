/**
 * Pooling in `F`: max and average pooling over 1-D and 2-D windows with PyTorch's options
 * (`padding`, `dilation`, `ceil_mode`, `count_include_pad`, `divisor_override`,
 * `return_indices`), max unpooling and adaptive average pooling. Unbatched inputs
 * (`[C, H, W]`, `[C, L]`) are accepted as PyTorch accepts them.
 * @module
 */
import { boolArg, intArg, optionsArg, pairArg, show, tensorArg } from './check.js';
import { TORCH_NAME } from './dtype.js';
import { type Tensor, wrap } from './tensor.js';
import { wasm } from './wasm.js';

/** A size given once for both spatial axes, or as `[height, width]`. */
export type Pair = number | [number, number];

export interface MaxPool2dOptions {
  /** Default: `kernelSize`. */
  stride?: Pair | null;
  /** Implicit -inf padding on both sides; at most half the kernel. Default 0. */
  padding?: Pair;
  /** Spacing between window taps. Default 1. */
  dilation?: Pair;
  /** Count a last window that starts inside the image or its left padding. Default false. */
  ceilMode?: boolean;
  /** Also return the flat index of each maximum in its input plane. Default false. */
  returnIndices?: boolean;
}

export interface AvgPool2dOptions {
  stride?: Pair | null;
  padding?: Pair;
  ceilMode?: boolean;
  /** Divide by the window including padded zeros (default true) or by the input it covers. */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. Default none. */
  divisorOverride?: number | null;
}

const MAX_KEYS = ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices'] as const;
const AVG_KEYS = ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'] as const;

/**
 * Runs `f` on the `[N, C, H, W]` view of an input of rank `rank` (unbatched) or `rank + 1`: rank 3
 * for 2-D pooling, rank 2 for 1-D pooling (`[N, C, L]` is pooled as `[N, C, 1, L]`).
 */
function batched<T extends Tensor | [Tensor, Tensor]>(op: string, x: Tensor, rank: 2 | 3, f: (x4: Tensor) => T): T {
  if (x.ndim !== rank && x.ndim !== rank + 1) {
    const dims = rank === 3 ? '(C, H, W) or (N, C, H, W)' : '(C, L) or (N, C, L)';
    throw new RangeError(`${op}: expected a ${rank}-D or ${rank + 1}-D input ${dims}, got shape [${x.shape.join(', ')}]`);
  }
  let x4 = x.ndim === rank ? x.unsqueeze(0) : x;
  if (rank === 2) x4 = x4.unsqueeze(2);
  const out = f(x4);
  const back = (t: Tensor): Tensor => {
    let r = rank === 2 ? t.squeeze(2) : t;
    if (x.ndim === rank) r = r.squeeze(0);
    return r;
  };
  return (Array.isArray(out) ? [back(out[0]), back(out[1])] : back(out)) as T;
}

/** @internal */
export interface Geometry {
  k: Uint32Array;
  stride: Uint32Array;
  padding: Uint32Array;
  dilation: Uint32Array;
  ceilMode: boolean;
}

/** A boolean option: `dflt` when left out; null is not a boolean. */
const flag = (op: string, name: string, v: unknown, dflt: boolean): boolean => (v === undefined ? dflt : boolArg(op, name, v));

/** Kernel, stride, padding, dilation and ceil_mode, checked; 1-D calls pass `oneD` and put 1 first. */
function geometry(op: string, kernelSize: unknown, o: { stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode?: unknown }, oneD: boolean): Geometry {
  const arg = (name: string, v: unknown, min: 0 | 1): [number, number] => {
    if (!oneD) return pairArg(op, name, v, min);
    const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
    return [min, intArg(op, name, one, min, 0x7fffffff)];
  };
  const k = arg('kernel_size', kernelSize, 1);
  const stride = o.stride === undefined || o.stride === null ? k : arg('stride', o.stride, 1);
  const padding = arg('padding', o.padding === undefined ? 0 : o.padding, 0);
  if (oneD) padding[0] = 0;
  const dilation = arg('dilation', o.dilation === undefined ? 1 : o.dilation, 1);
  for (let i = 0; i < 2; i++) {
    if (2 * padding[i]! > k[i]!) throw new RangeError(`${op}: pad should be at most half of kernel size, but got pad=${padding[i]} and kernel_size=${k[i]}`);
  }
  const ceilMode = flag(op, 'ceil_mode', o.ceilMode, false);
  return { k: Uint32Array.from(k), stride: Uint32Array.from(stride), padding: Uint32Array.from(padding), dilation: Uint32Array.from(dilation), ceilMode };
}

/** @internal The checked arguments of a max pooling call (layers check them when built). */
export function maxPoolArgs(op: string, kernelSize: unknown, opts: MaxPool2dOptions | undefined, oneD: boolean): [Geometry, boolean] {
  const o = optionsArg(op, opts, [...MAX_KEYS]);
  return [geometry(op, kernelSize, o, oneD), flag(op, 'return_indices', o.returnIndices, false)];
}

/**
 * PyTorch's `pooling_output_shape` for `[N, C, H, W]` (`div_rtn`, and a ceil-mode window must
 * start inside the input or its left padding), and its error when an axis comes out empty.
 */
function checkOutput(op: string, x: Tensor, g: Geometry): void {
  const [, c, h, w] = x.shape as [number, number, number, number];
  const out = [h, w].map((len, i) => {
    const [k, s, p, d] = [g.k[i]!, g.stride[i]!, g.padding[i]!, g.dilation[i]!];
    let o = Math.floor((len + 2 * p - d * (k - 1) - 1 + (g.ceilMode ? s - 1 : 0)) / s) + 1;
    if (g.ceilMode && (o - 1) * s >= len + p) o--;
    return o;
  });
  if (out.some((o) => o < 1)) throw new RangeError(`${op}: Given input size: (${c}x${h}x${w}). Calculated output size: (${c}x${out[0]}x${out[1]}). Output size is too small`);
}

function maxPool(op: string, input: Tensor, kernelSize: unknown, opts: MaxPool2dOptions | undefined, oneD: boolean): Tensor | [Tensor, Tensor] {
  tensorArg(op, 'input', input);
  const [g, indices] = maxPoolArgs(op, kernelSize, opts, oneD);
  return batched(op, input, oneD ? 2 : 3, (x): Tensor | [Tensor, Tensor] => {
    checkOutput(op, x, g);
    if (!indices) return wrap(wasm().maxPool2d(x.h, g.k, g.stride, g.padding, g.dilation, g.ceilMode));
    const [v, i] = wasm().maxPool2dWithIndices(x.h, g.k, g.stride, g.padding, g.dilation, g.ceilMode);
    return [wrap(v!), wrap(i!, 'int64')];
  });
}

/** @internal The checked arguments of an average pooling call: geometry, count_include_pad, divisor (0: none). */
export function avgPoolArgs(op: string, kernelSize: unknown, opts: AvgPool2dOptions | undefined, oneD: boolean): [Geometry, boolean, number] {
  const o = optionsArg(op, opts, [...AVG_KEYS]);
  const g = geometry(op, kernelSize, o, oneD);
  const include = flag(op, 'count_include_pad', o.countIncludePad, true);
  const given = o.divisorOverride !== undefined && o.divisorOverride !== null;
  const div = given ? intArg(op, 'divisor_override', o.divisorOverride, -0x7fffffff, 0x7fffffff) : 0;
  if (given && div === 0) throw new RangeError(`${op}: divisor must be not zero`);
  if (div < 0) throw new RangeError(`${op}: argument 'divisor_override' must be a positive integer, got ${show(div)}`);
  return [g, include, div];
}

function avgPool(op: string, input: Tensor, kernelSize: unknown, opts: AvgPool2dOptions | undefined, oneD: boolean): Tensor {
  tensorArg(op, 'input', input);
  const [g, include, div] = avgPoolArgs(op, kernelSize, opts, oneD);
  return batched(op, input, oneD ? 2 : 3, (x) => {
    checkOutput(op, x, g);
    return wrap(wasm().avgPool2d(x.h, g.k, g.stride, g.padding, g.ceilMode, include, div));
  });
}

/** `F.max_pool2d`; with `returnIndices: true`, `[values, indices]` (indices tagged int64). */
export function maxPool2d(input: Tensor, kernelSize: Pair, opts?: MaxPool2dOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(input: Tensor, kernelSize: Pair, opts: MaxPool2dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: Pair, opts?: MaxPool2dOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: Pair, opts?: MaxPool2dOptions): Tensor | [Tensor, Tensor] {
  return maxPool('max_pool2d', input, kernelSize, opts, false);
}

/** `F.avg_pool2d`: padding counts as zeros unless `countIncludePad: false`. */
export function avgPool2d(input: Tensor, kernelSize: Pair, opts?: AvgPool2dOptions): Tensor {
  return avgPool('avg_pool2d', input, kernelSize, opts, false);
}

/** A length given as a number or a one-element array (PyTorch's `_single`). */
export type Single = number | [number];

export interface MaxPool1dOptions {
  stride?: Single | null;
  padding?: Single;
  dilation?: Single;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

export interface AvgPool1dOptions {
  stride?: Single | null;
  padding?: Single;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/** `F.max_pool1d` over the last axis of `[N, C, L]` or `[C, L]`. */
export function maxPool1d(input: Tensor, kernelSize: Single, opts?: MaxPool1dOptions & { returnIndices?: false }): Tensor;
export function maxPool1d(input: Tensor, kernelSize: Single, opts: MaxPool1dOptions & { returnIndices: true }): [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: Single, opts?: MaxPool1dOptions): Tensor | [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: Single, opts?: MaxPool1dOptions): Tensor | [Tensor, Tensor] {
  return maxPool('max_pool1d', input, kernelSize, opts as MaxPool2dOptions, true);
}

/** `F.avg_pool1d` over the last axis of `[N, C, L]` or `[C, L]` (PyTorch has no divisor_override here). */
export function avgPool1d(input: Tensor, kernelSize: Single, opts?: AvgPool1dOptions): Tensor {
  const o = optionsArg('avg_pool1d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad']);
  return avgPool('avg_pool1d', input, kernelSize, o as AvgPool2dOptions, true);
}

export interface MaxUnpool2dOptions {
  /** Default: `kernelSize`. */
  stride?: Pair | null;
  padding?: Pair;
  /** `[H, W]` (or `[N, C, H, W]`) of the output; default `(in - 1)·stride - 2·padding + kernel`. */
  outputSize?: number[] | null;
}

/**
 * `F.max_unpool2d`: the partial inverse of `maxPool2d(..., { returnIndices: true })`; each value
 * goes to its index in its output plane, every other cell is 0.
 */
export function maxUnpool2d(input: Tensor, indices: Tensor, kernelSize: Pair, opts?: MaxUnpool2dOptions): Tensor {
  const op = 'max_unpool2d';
  tensorArg(op, 'input', input);
  tensorArg(op, 'indices', indices);
  const o = optionsArg(op, opts, ['stride', 'padding', 'outputSize']);
  const k = pairArg(op, 'kernel_size', kernelSize, 1);
  const stride = o.stride === undefined || o.stride === null ? k : pairArg(op, 'stride', o.stride, 1);
  const padding = pairArg(op, 'padding', o.padding ?? 0, 0);
  if (input.ndim !== 3 && input.ndim !== 4) throw new RangeError(`${op}: expected a 3-D or 4-D input (C, H, W) or (N, C, H, W), got shape [${input.shape.join(', ')}]`);
  const hw = input.shape.slice(-2);
  const dflt = hw.map((v, i) => (v - 1) * stride[i]! - 2 * padding[i]! + k[i]!);
  let out = dflt;
  if (o.outputSize !== undefined && o.outputSize !== null) {
    const s = o.outputSize;
    if (!Array.isArray(s)) throw new TypeError(`${op}: argument 'output_size' must be an array of integers, got ${show(s)}`);
    if (s.length !== 2 && s.length !== input.ndim) throw new RangeError(`${op}: output_size should have 2 or ${input.ndim} elements, got ${s.length}`);
    out = s.slice(-2).map((v, i) => intArg(op, `output_size[${s.length - 2 + i}]`, v, 0, 0x7fffffff));
    for (let i = 0; i < 2; i++) {
      const lo = dflt[i]! - stride[i]!;
      const hi = dflt[i]! + stride[i]!;
      if (!(out[i]! > lo && out[i]! < hi)) throw new RangeError(`${op}: invalid output_size "[${s.join(', ')}]" (dim ${i} must be between ${lo} and ${hi})`);
    }
  }
  for (let i = 0; i < 2; i++) {
    if (!(out[i]! > 0)) throw new RangeError(`${op}: output size [${out.join(', ')}] must be positive (input shape [${input.shape.join(', ')}])`);
  }
  // PyTorch wants int64 indices; float32 ones (integer-valued) are accepted as well
  if (indices.dtype === 'int32' || indices.dtype === 'bool') throw new TypeError(`${op}: elements in indices should be type int64 but got: ${TORCH_NAME[indices.dtype]}`);
  const unb = input.ndim === 3;
  const x = unb ? input.unsqueeze(0) : input;
  const i = unb && indices.ndim === 3 ? indices.unsqueeze(0) : indices;
  const r = wrap(wasm().maxUnpool2d(x.h, i.h, Uint32Array.from(out)), input.dtype);
  return unb ? r.squeeze(0) : r;
}

/** `F.adaptive_avg_pool2d`. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  const op = 'adaptive_avg_pool2d';
  return wrap(wasm().adaptiveAvgPool2d(tensorArg(op, 'input', input), Uint32Array.from(pairArg(op, 'output_size', outputSize, 1))));
}
