/**
 * `torch.nn.functional` for ferrograd (imported as `F`).
 * @module
 */
import { Tensor, wrap } from './tensor.js';
import { wasm } from './wasm.js';

type Pair = number | [number, number];
const pair = (v: Pair): Uint32Array => Uint32Array.from(Array.isArray(v) ? v : [v, v]);

export interface Conv2dOptions {
  bias?: Tensor | null;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** 2-D cross-correlation of an NCHW batch (`F.conv2d`). */
export function conv2d(input: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  return wrap(wasm().conv2d(input.h, weight.h, opts.bias?.h, pair(opts.stride ?? 1), pair(opts.padding ?? 0), pair(opts.dilation ?? 1), opts.groups ?? 1));
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
  return wrap(wasm().maxPool2d(input.h, pair(kernelSize), pair(opts.stride ?? kernelSize), pair(opts.padding ?? 0)));
}

/** Average pooling; padding counts as zeros (`count_include_pad=True`). */
export function avgPool2d(input: Tensor, kernelSize: Pair, opts: Pool2dOptions = {}): Tensor {
  return wrap(wasm().avgPool2d(input.h, pair(kernelSize), pair(opts.stride ?? kernelSize), pair(opts.padding ?? 0)));
}

export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  return wrap(wasm().adaptiveAvgPool2d(input.h, pair(outputSize)));
}

/** Bilinear resize to `size` (`F.interpolate(..., mode='bilinear', align_corners=False)`). */
export function interpolateBilinear(input: Tensor, size: Pair): Tensor {
  return wrap(wasm().resizeBilinear(input.h, pair(size)));
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
  return wrap(wasm().pad(x.h, Uint32Array.from(pads.flat())));
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return wrap(wasm().cat(Uint32Array.from(tensors.map((t) => t.h)), dim));
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  return wrap(wasm().stack(Uint32Array.from(tensors.map((t) => t.h)), dim));
}
