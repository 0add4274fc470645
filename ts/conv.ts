/**
 * Convolutions in `F`: `conv2d`, `conv1d` (a conv2d of height 1) and `convTranspose2d` (conv2d's
 * input-gradient, run by the same kernels), with PyTorch's options: `stride`, `padding`
 * (integers, or `'valid'`/`'same'` for the forward convolutions), `outputPadding`, `dilation`,
 * `groups`. Unbatched inputs (`[C, H, W]`, `[C, L]`) are accepted as PyTorch accepts them.
 * @module
 */
import { intArg, optionsArg, optTensorArg, pairArg, show, tensorArg } from './check.js';
import { type Tensor, wrap } from './tensor.js';
import { wasm } from './wasm.js';

/** A size given once for both spatial axes, or as `[height, width]`. */
export type Pair = number | [number, number];

/** PyTorch's string paddings: none, or the output as long as the input (stride 1 only). */
export type PaddingMode = 'valid' | 'same';

export interface Conv2dOptions {
  bias?: Tensor | null;
  /** Default 1. */
  stride?: Pair;
  /** Implicit zeros on both sides of each axis, or `'valid'` (0) / `'same'`. Default 0. */
  padding?: Pair | PaddingMode;
  /** Spacing between kernel taps. Default 1. */
  dilation?: Pair;
  /** Blocked connections from input to output channels. Default 1. */
  groups?: number;
}

export interface Conv1dOptions {
  bias?: Tensor | null;
  stride?: number | [number];
  padding?: number | [number] | PaddingMode;
  dilation?: number | [number];
  groups?: number;
}

export interface ConvTranspose2dOptions {
  bias?: Tensor | null;
  /** Default 1. */
  stride?: Pair;
  /** `dilation · (kernel_size - 1) - padding` zeros are implicitly added to both sides of the input. Default 0. */
  padding?: Pair;
  /** Extra size on one side of each output axis; below the stride or the dilation. Default 0. */
  outputPadding?: Pair;
  /** Default 1. */
  groups?: number;
  /** Default 1. */
  dilation?: Pair;
}

const CONV_KEYS = ['bias', 'stride', 'padding', 'dilation', 'groups'] as const;
/**
 * An option's value, or `dflt` when it is left out (`undefined`). `null` is not "left out":
 * PyTorch's stride/padding/dilation/groups take no None (a TypeError), so it reaches the check.
 */
const given = (v: unknown, dflt: number): unknown => (v === undefined ? dflt : v);
const shape = (t: Tensor): string => `[${t.shape.join(', ')}]`;

/** A 1-D size/stride/padding: one integer or a one-element array. */
export function singleArg(op: string, name: string, v: unknown, min: 0 | 1): number {
  if (Array.isArray(v) && v.length !== 1) throw new TypeError(`${op}: argument '${name}' must be an integer or a list of 1 integer, got ${show(v)}`);
  return Array.isArray(v) ? intArg(op, `${name}[0]`, v[0], min, 0x7fffffff) : intArg(op, name, v, min, 0x7fffffff);
}

/** `'valid'`, `'same'`, or `undefined` for a number or array (checked by the caller). */
export function paddingMode(op: string, v: unknown): PaddingMode | undefined {
  if (typeof v !== 'string') return undefined;
  if (v !== 'valid' && v !== 'same') throw new RangeError(`${op}: invalid padding string ${show(v)}, should be one of 'valid', 'same'`);
  return v;
}

/**
 * The symmetric padding of a `'same'` convolution and the extra zeros it needs on the right of
 * each axis (PyTorch pads the right when `dilation · (kernel - 1)` is odd).
 */
function samePadding(kernel: number[], dilation: number[]): { padding: number[]; extra: number[] } {
  const total = kernel.map((k, i) => dilation[i]! * (k - 1));
  const padding = total.map((t) => Math.floor(t / 2));
  return { padding, extra: total.map((t, i) => t - 2 * padding[i]!) };
}

/** Zeros after the trailing `extra.length` dims of `x` (the extra right padding of `'same'`). */
function padRight(x: Tensor, extra: number[]): Tensor {
  if (extra.every((e) => e === 0)) return x;
  return wrap(wasm().pad(x.h, Uint32Array.from(extra.flatMap((e) => [0, e]))));
}

/** The shared checks of the forward convolutions, on the batched `[N, C, *spatial]` view. */
function checkConv(op: string, x: Tensor, w: Tensor, groups: number, b: Tensor | null | undefined): void {
  const cin = x.shape[1]!;
  const cout = w.shape[0]!;
  if (cout % groups !== 0) throw new RangeError(`${op}: given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${shape(w)}`);
  if (w.shape[1]! * groups !== cin) {
    throw new RangeError(`${op}: given groups=${groups}, weight of size ${shape(w)}, expected input ${shape(x)} to have ${w.shape[1]! * groups} channels, but got ${cin} channels`);
  }
  if (b && (b.ndim !== 1 || b.shape[0] !== cout)) throw new RangeError(`${op}: expected bias to be 1-dimensional with ${cout} elements (weight ${shape(w)}), but got bias of size ${shape(b)}`);
}

/** Adds the batch dim of an unbatched input (rank `rank`) and takes it off the result. */
function batched(op: string, x: Tensor, rank: number, f: (xb: Tensor) => Tensor): Tensor {
  if (x.ndim !== rank && x.ndim !== rank + 1) {
    throw new RangeError(`${op}: expected ${rank}D (unbatched) or ${rank + 1}D (batched) input, but got input of size ${shape(x)}`);
  }
  if (x.ndim === rank + 1) return f(x);
  return f(x.unsqueeze(0)).squeeze(0);
}

/** 2-D cross-correlation of an NCHW batch or a CHW image (`F.conv2d`). */
export function conv2d(input: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  return convolve(input, weight, opts, null);
}

/** The activations a conv can run as its epilogue ({@link conv2dAct}). */
export type Activation = 'relu' | 'sigmoid' | 'tanh';
const ACT_CODES: Record<Activation, number> = { relu: 0, sigmoid: 1, tanh: 2 };

/**
 * @internal `act(conv2d(input, weight, opts))` as one op: what `nn.Sequential` runs for a conv
 * and the activation after it. Same values and gradients as the two calls.
 */
export function conv2dAct(input: Tensor, weight: Tensor, opts: Conv2dOptions, act: Activation): Tensor {
  return convolve(input, weight, opts, activationCode('conv2d', act));
}

/** @internal The wasm code of a fused activation (crates/ferrograd-wasm/src/nn.rs `activation`). */
export function activationCode(op: string, act: Activation): number {
  const code = ACT_CODES[act];
  if (code === undefined) throw new RangeError(`${op}: unknown fused activation ${show(act)}`);
  return code;
}

/** conv2d, and its activation epilogue when `act` is an {@link ACT_CODES} code. */
function convolve(input: Tensor, weight: Tensor, opts: Conv2dOptions, act: number | null): Tensor {
  const op = 'conv2d';
  tensorArg(op, 'input', input);
  const wh = tensorArg(op, 'weight', weight);
  const o = optionsArg(op, opts, CONV_KEYS);
  const b = optTensorArg(op, 'bias', o.bias);
  const groups = intArg(op, 'groups', given(o.groups, 1), 1, 0x7fffffff);
  const stride = pairArg(op, 'stride', given(o.stride, 1), 1);
  const mode = paddingMode(op, o.padding);
  const padding = mode ? [0, 0] : pairArg(op, 'padding', given(o.padding, 0), 0);
  const dilation = pairArg(op, 'dilation', given(o.dilation, 1), 1);
  if (weight.ndim !== 4) throw new RangeError(`${op}: expected a 4-D weight (C_out, C_in/groups, kH, kW), got shape ${shape(weight)}`);
  return batched(op, input, 3, (x) => {
    let extra = [0, 0];
    if (mode === 'same') {
      if (stride.some((s) => s !== 1)) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions (stride ${show(o.stride)})`);
      checkConv(op, x, weight, groups, o.bias);
      const same = samePadding(weight.shape.slice(2), dilation);
      padding[0] = same.padding[0]!;
      padding[1] = same.padding[1]!;
      extra = same.extra;
    }
    const xp = padRight(x, extra);
    const geom = [Uint32Array.from(stride), Uint32Array.from(padding), Uint32Array.from(dilation)] as const;
    if (act === null) return wrap(wasm().conv2d(xp.h, wh, b, ...geom, groups));
    return wrap(wasm().conv2dAct(xp.h, wh, b, ...geom, groups, act));
  });
}

/**
 * 1-D cross-correlation of an NCL batch or a CL sequence (`F.conv1d`) with `[C_out, C_in/groups,
 * k]` filters: a conv2d of `[N, C, 1, L]` with `[C_out, C_in/groups, 1, k]` filters.
 */
export function conv1d(input: Tensor, weight: Tensor, opts: Conv1dOptions = {}): Tensor {
  const op = 'conv1d';
  tensorArg(op, 'input', input);
  tensorArg(op, 'weight', weight);
  const o = optionsArg(op, opts, CONV_KEYS);
  const bias = o.bias ?? null;
  optTensorArg(op, 'bias', bias);
  const groups = intArg(op, 'groups', given(o.groups, 1), 1, 0x7fffffff);
  const stride = singleArg(op, 'stride', given(o.stride, 1), 1);
  const mode = paddingMode(op, o.padding);
  const padding = mode ? 0 : singleArg(op, 'padding', given(o.padding, 0), 0);
  const dilation = singleArg(op, 'dilation', given(o.dilation, 1), 1);
  if (weight.ndim !== 3) throw new RangeError(`${op}: expected a 3-D weight (C_out, C_in/groups, k), got shape ${shape(weight)}`);
  return batched(op, input, 2, (x) => {
    checkConv(op, x, weight, groups, bias);
    if (mode === 'same' && stride !== 1) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions (stride ${show(o.stride)})`);
    const k = weight.shape[2]!;
    const len = x.shape[2]!;
    // 'valid' is padding 0, checked here too (else the conv2d below refuses in its own name)
    if (mode !== 'same' && len + 2 * padding < dilation * (k - 1) + 1) {
      throw new RangeError(`${op}: calculated padded input size per channel: (${len + 2 * padding}); kernel size: (${dilation * (k - 1) + 1}); kernel size can't be greater than actual input size (input ${shape(x)}, weight ${shape(weight)})`);
    }
    const y = conv2d(x.unsqueeze(2), weight.unsqueeze(2), {
      bias,
      stride: [1, stride],
      padding: mode ?? [0, padding],
      dilation: [1, dilation],
      groups,
    });
    return y.squeeze(2);
  });
}

/**
 * 2-D transposed convolution ("deconvolution") of an NCHW batch or a CHW image with
 * `[C_in, C_out/groups, kH, kW]` filters (`F.conv_transpose2d`): the gradient of a conv2d with
 * respect to its input. Output size per axis: `(in - 1)·stride - 2·padding + dilation·(k - 1) +
 * outputPadding + 1`.
 */
export function convTranspose2d(input: Tensor, weight: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = 'conv_transpose2d';
  const x = tensorArg(op, 'input', input);
  const w = tensorArg(op, 'weight', weight);
  const o = optionsArg(op, opts, ['bias', 'stride', 'padding', 'outputPadding', 'groups', 'dilation']);
  const b = optTensorArg(op, 'bias', o.bias);
  const u32 = (name: string, v: unknown, min: 0 | 1): Uint32Array => Uint32Array.from(pairArg(op, name, v, min));
  const stride = u32('stride', given(o.stride, 1), 1);
  const padding = u32('padding', given(o.padding, 0), 0);
  const outputPadding = u32('outputPadding', given(o.outputPadding, 0), 0);
  const dilation = u32('dilation', given(o.dilation, 1), 1);
  const groups = intArg(op, 'groups', given(o.groups, 1), 1, 0x7fffffff);
  return wrap(wasm().convTranspose2d(x, w, b, stride, padding, outputPadding, dilation, groups));
}

/**
 * The `output_padding` that makes a transposed convolution's output `outputSize` (the spatial
 * sizes, or the whole shape), as PyTorch's `ConvTranspose2d.forward(input, output_size)` picks it.
 * @internal
 */
export function outputPaddingFor(
  op: string,
  x: Tensor,
  outputSize: unknown,
  geom: { kernelSize: number[]; stride: number[]; padding: number[]; dilation: number[] },
): [number, number] {
  const spatial = 2;
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2) throw new RangeError(`${op}: expected 3D (unbatched) or 4D (batched) input, but got input of size ${shape(x)}`);
  const nonSpatial = x.ndim === spatial + 2 ? 2 : 1;
  if (!Array.isArray(outputSize)) throw new TypeError(`${op}: argument 'outputSize' must be an array of integers, got ${show(outputSize)}`);
  let size = outputSize.map((v, i) => intArg(op, `outputSize[${i}]`, v, 0, 0x7fffffff));
  if (size.length === nonSpatial + spatial) size = size.slice(nonSpatial);
  if (size.length !== spatial) {
    throw new RangeError(`${op}: for ${x.ndim}D input, output_size must have ${spatial} or ${nonSpatial + spatial} elements (got ${outputSize.length})`);
  }
  const inSize = x.shape.slice(nonSpatial);
  const { kernelSize, stride, padding, dilation } = geom;
  const min = inSize.map((n, d) => (n - 1) * stride[d]! - 2 * padding[d]! + dilation[d]! * (kernelSize[d]! - 1) + 1);
  const max = min.map((m, d) => m + stride[d]! - 1);
  if (size.some((s, d) => s < min[d]! || s > max[d]!)) {
    throw new RangeError(`${op}: requested an output size of [${size.join(', ')}], but valid sizes range from [${min.join(', ')}] to [${max.join(', ')}] (for an input of size [${inSize.join(', ')}])`);
  }
  return [size[0]! - min[0]!, size[1]! - min[1]!];
}
