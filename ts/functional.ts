/**
 * `torch.nn.functional` for ferrograd (imported as `F`).
 * @module
 */
import { boolArg, dimArg, enumArg, intArg, optionsArg, optTensorArg, pairArg, realArg, show, tensorArg, tensorListArg } from './check.js';
import { activationCode, type Activation } from './conv.js';
import { type Tensor, wrap } from './tensor.js';
import { wasm } from './wasm.js';

/** A size given once for both spatial axes, or as `[height, width]`. */
export type Pair = number | [number, number];

/**
 * Checks a size/stride/padding argument before it becomes a `Uint32Array`, where -1 would
 * silently wrap to 4294967295. `min` is 1 for sizes, strides and dilations, 0 for padding.
 */
function pair(op: string, what: string, v: unknown, min: 0 | 1): Uint32Array {
  return Uint32Array.from(pairArg(op, what, v, min));
}

export {
  conv1d,
  conv2d,
  conv2dAct,
  convTranspose2d,
  type Activation,
  type Conv1dOptions,
  type Conv2dOptions,
  type ConvTranspose2dOptions,
  type PaddingMode,
} from './conv.js';

/** `numpy.convolve(a, v, mode='same')` for 1-D tensors. */
export function convolveSame(a: Tensor, v: Tensor): Tensor {
  return wrap(wasm().convolveSame(tensorArg('convolve', 'a', a), tensorArg('convolve', 'v', v)));
}

export {
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  maxPool1d,
  maxPool2d,
  maxUnpool2d,
  type AvgPool1dOptions,
  type AvgPool2dOptions,
  type MaxPool1dOptions,
  type MaxPool2dOptions,
  type MaxUnpool2dOptions,
  type Single,
} from './pooling.js';

/** Bilinear resize to `size` (`F.interpolate(..., mode='bilinear', align_corners=False)`; see {@link interpolate} for the other modes). */
export function interpolateBilinear(input: Tensor, size: Pair): Tensor {
  const op = 'interpolate';
  return wrap(wasm().resizeBilinear(tensorArg(op, 'input', input), pair(op, 'size', size, 1)));
}

export { interpolate, type InterpolateMode, type InterpolateOptions } from './interpolate.js';

export function relu(x: Tensor): Tensor {
  tensorArg('relu', 'input', x);
  return x.relu();
}
export function sigmoid(x: Tensor): Tensor {
  tensorArg('sigmoid', 'input', x);
  return x.sigmoid();
}
/** PyTorch's `F.leaky_relu(input, negative_slope=0.01)`. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  tensorArg('leaky_relu', 'input', x);
  return x.leakyRelu(negativeSlope);
}
export function tanh(x: Tensor): Tensor {
  tensorArg('tanh', 'input', x);
  return x.tanh();
}
export function softmax(x: Tensor, dim: number): Tensor {
  tensorArg('softmax', 'input', x);
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  tensorArg('log_softmax', 'input', x);
  return x.logSoftmax(dim);
}

/** Inverted dropout with probability `p` when `training`. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  const op = 'dropout';
  const h = tensorArg(op, 'input', x);
  const prob = realArg(op, 'p', p, { min: 0, max: 1 });
  return wrap(wasm().dropout(h, prob, boolArg(op, 'training', training)));
}

export { crossEntropy, type CrossEntropyOptions } from './loss.js';

/** `F.mse_loss(input, target, reduction='mean')`: `reduction` is 'mean' (default), 'sum' or 'none'. */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: 'mean' | 'sum' | 'none' } = {}): Tensor {
  const op = 'mse_loss';
  const x = tensorArg(op, 'input', input);
  const y = tensorArg(op, 'target', target);
  const o = optionsArg(op, opts, ['reduction']);
  const reduction = o.reduction === undefined ? 'mean' : enumArg(op, 'reduction', o.reduction, ['mean', 'sum', 'none'] as const);
  if (reduction === 'mean') return wrap(wasm().mseLoss(x, y));
  // the same shape check as the fused mean (which has PyTorch's message)
  if (input.shape.join() !== target.shape.join()) return wrap(wasm().mseLoss(x, y));
  const sq = input.sub(target).pow(2);
  return reduction === 'sum' ? sq.sum() : sq;
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/** Batch norm over every dim but 1 (`(N, C)`, `(N, C, L)`, `(N, C, H, W)`, ...); updates the running statistics in training mode. */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  return batchNormWith(x, runningMean, runningVar, opts, 0);
}

/**
 * @internal `act(batchNorm(...))` as one op (d2l's BN + ReLU): same values and gradients, one
 * activation map fewer held for backward.
 */
export function batchNormAct(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions, act: Activation): Tensor {
  return batchNormWith(x, runningMean, runningVar, opts, activationCode('batch_norm', act) + 1);
}

function batchNormWith(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions, act: number): Tensor {
  const op = 'batch_norm';
  const h = tensorArg(op, 'input', x);
  const rm = optTensorArg(op, 'running_mean', runningMean);
  const rv = optTensorArg(op, 'running_var', runningVar);
  const o = optionsArg(op, opts, ['weight', 'bias', 'training', 'momentum', 'eps']);
  const w = optTensorArg(op, 'weight', o.weight);
  const b = optTensorArg(op, 'bias', o.bias);
  const training = boolArg(op, 'training', o.training ?? false);
  const momentum = realArg(op, 'momentum', o.momentum ?? 0.1);
  const eps = realArg(op, 'eps', o.eps ?? 1e-5, { min: 0 });
  return wrap(wasm().batchNorm(h, w, b, rm, rv, training, momentum, eps, act));
}

/** Zero padding of the trailing dims: `[before, after]` pairs, outermost padded dim first. */
export function pad(x: Tensor, pads: [number, number][]): Tensor {
  const op = 'pad';
  const h = tensorArg(op, 'input', x);
  if (!Array.isArray(pads)) throw new TypeError(`pad: argument 'pad' must be an array of [before, after] pairs, got ${show(pads)}`);
  if (pads.length > x.ndim) throw new RangeError(`pad: ${pads.length} padded dims for a ${x.ndim}-D input of shape [${x.shape.join(', ')}]`);
  const flat = pads.flatMap((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`pad: pad[${i}] must be a [before, after] pair, got ${show(p)}`);
    return p.map((v, j) => intArg(op, `pad[${i}][${j}]`, v, 0, 0x7fffffff));
  });
  return wrap(wasm().pad(h, Uint32Array.from(flat)));
}

function joinArgs(op: string, tensors: Tensor[], dim: number, extra: number): [Uint32Array, number] {
  const hs = tensorListArg(op, 'tensors', tensors);
  return [hs, dimArg(op, 'dim', dim, tensors[0]!.ndim, extra)];
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return wrap(wasm().cat(...joinArgs('cat', tensors, dim, 0)));
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  return wrap(wasm().stack(...joinArgs('stack', tensors, dim, 1)));
}
