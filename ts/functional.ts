/**
 * `torch.nn.functional` for ferrograd (imported as `F`).
 * @module
 */
import { Tensor, wrap } from './tensor.js';
import { wasm } from './wasm.js';

/** A size given once for both spatial axes, or as `[height, width]`. */
export type Pair = number | [number, number];

/**
 * Checks a size/stride/padding argument before it becomes a `Uint32Array`, where -1 would
 * silently wrap to 4294967295. `min` is 1 for sizes, strides and dilations, 0 for padding.
 */
function pair(op: string, what: string, v: Pair, min: 0 | 1, input: Tensor): Uint32Array {
  const vals: unknown[] = Array.isArray(v) ? v : [v, v];
  const ok = (vals.length === 1 || vals.length === 2) && vals.every((x) => Number.isInteger(x) && (x as number) >= min && (x as number) <= 0x7fffffff);
  if (!ok) {
    const kind = min === 1 ? 'a positive integer' : 'a non-negative integer';
    const got = Array.isArray(v) ? `[${v.map(String).join(', ')}]` : String(v);
    throw new Error(`${op}: ${what} must be ${kind} or a pair of them, got ${got} (input shape [${input.shape.join(', ')}])`);
  }
  return Uint32Array.from(vals as number[]);
}

export interface Conv2dOptions {
  bias?: Tensor | null;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** 2-D cross-correlation of an NCHW batch (`F.conv2d`). */
export function conv2d(input: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || groups > 0x7fffffff) {
    throw new Error(`${op}: groups must be a positive integer, got ${groups} (input shape [${input.shape.join(', ')}], weight shape [${weight.shape.join(', ')}])`);
  }
  const stride = pair(op, 'stride', opts.stride ?? 1, 1, input);
  const padding = pair(op, 'padding', opts.padding ?? 0, 0, input);
  const dilation = pair(op, 'dilation', opts.dilation ?? 1, 1, input);
  return wrap(wasm().conv2d(input.h, weight.h, opts.bias?.h, stride, padding, dilation, groups));
}

/** `numpy.convolve(a, v, mode='same')` for 1-D tensors. */
export function convolveSame(a: Tensor, v: Tensor): Tensor {
  return wrap(wasm().convolveSame(a.h, v.h));
}

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
}

export function maxPool2d(input: Tensor, kernelSize: Pair, opts: Pool2dOptions = {}): Tensor {
  const op = 'max_pool2d';
  return wrap(wasm().maxPool2d(input.h, pair(op, 'kernel_size', kernelSize, 1, input), pair(op, 'stride', opts.stride ?? kernelSize, 1, input), pair(op, 'padding', opts.padding ?? 0, 0, input)));
}

/** Average pooling; padding counts as zeros (`count_include_pad=True`). */
export function avgPool2d(input: Tensor, kernelSize: Pair, opts: Pool2dOptions = {}): Tensor {
  const op = 'avg_pool2d';
  return wrap(wasm().avgPool2d(input.h, pair(op, 'kernel_size', kernelSize, 1, input), pair(op, 'stride', opts.stride ?? kernelSize, 1, input), pair(op, 'padding', opts.padding ?? 0, 0, input)));
}

export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  return wrap(wasm().adaptiveAvgPool2d(input.h, pair('adaptive_avg_pool2d', 'output_size', outputSize, 1, input)));
}

/** Bilinear resize to `size` (`F.interpolate(..., mode='bilinear', align_corners=False)`). */
export function interpolateBilinear(input: Tensor, size: Pair): Tensor {
  return wrap(wasm().resizeBilinear(input.h, pair('resize', 'size', size, 1, input)));
}

export function relu(x: Tensor): Tensor {
  return x.relu();
}
export function sigmoid(x: Tensor): Tensor {
  return x.sigmoid();
}
export function tanh(x: Tensor): Tensor {
  return x.tanh();
}
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}

/** Inverted dropout with probability `p` when `training`. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  return wrap(wasm().dropout(x.h, p, training));
}

/** Mean cross-entropy of `[N, C]` logits against `N` integer labels. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return wrap(wasm().crossEntropy(logits.h, labels.h));
}

export function mseLoss(input: Tensor, target: Tensor): Tensor {
  return wrap(wasm().mseLoss(input.h, target.h));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch norm over every dim but 1; updates the running statistics in training mode. */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  return wrap(wasm().batchNorm(x.h, opts.weight?.h, opts.bias?.h, runningMean?.h, runningVar?.h, opts.training ?? false, opts.momentum ?? 0.1, opts.eps ?? 1e-5));
}

/** Zero padding of the trailing dims: `[before, after]` pairs, outermost padded dim first. */
export function pad(x: Tensor, pads: [number, number][]): Tensor {
  const flat = pads.flat();
  if (!pads.every((p) => Array.isArray(p) && p.length === 2) || !flat.every((v) => Number.isInteger(v) && v >= 0 && v <= 0x7fffffff)) {
    throw new Error(`pad: pads must be [before, after] pairs of non-negative integers, got ${JSON.stringify(pads)} (input shape [${x.shape.join(', ')}])`);
  }
  return wrap(wasm().pad(x.h, Uint32Array.from(flat)));
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return wrap(wasm().cat(Uint32Array.from(tensors.map((t) => t.h)), dim));
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  return wrap(wasm().stack(Uint32Array.from(tensors.map((t) => t.h)), dim));
}
