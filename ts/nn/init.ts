/**
 * `torch.nn.init`: in-place initialisers with PyTorch's fan computations.
 * @module
 */
import { enumArg, optionsArg, realArg } from '../check.js';
import { noGrad, rand, randn } from '../creation.js';
import type { Tensor } from '../tensor.js';

/** PyTorch's `_calculate_fan_in_and_fan_out`. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const s = t.shape;
  if (s.length < 2) throw new RangeError(`init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape [${s.join(', ')}])`);
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return [s[1]! * receptive, s[0]! * receptive];
}

export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  return noGrad(() => t.assign_(rand(t.shape, { low: a, high: b })));
}
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => t.assign_(randn(t.shape, { mean, std })));
}
export function constant_(t: Tensor, value: number): Tensor {
  return noGrad(() => t.assign_(value));
}
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a);
}
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

const NONLINEARITIES: readonly Nonlinearity[] = ['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'];

/** PyTorch's `calculate_gain`. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  const op = 'calculate_gain';
  switch (enumArg(op, 'nonlinearity', nonlinearity, NONLINEARITIES)) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param === undefined || param === null ? 0.01 : realArg(op, 'param', param);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
  }
}

export interface KaimingOptions {
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

/** The fan and gain of a Kaiming init, options checked field by field. */
function kaiming(op: string, t: Tensor, opts: KaimingOptions): [fan: number, gain: number] {
  const o = optionsArg(op, opts, ['a', 'mode', 'nonlinearity']);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const mode = o.mode === undefined ? 'fan_in' : enumArg(op, 'mode', o.mode, ['fan_in', 'fan_out'] as const);
  const a = o.a === undefined ? 0 : realArg(op, 'a', o.a);
  return [mode === 'fan_in' ? fanIn : fanOut, calculateGain(o.nonlinearity ?? 'leaky_relu', a)];
}

export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const [fan, gain] = kaiming('kaiming_uniform_', t, opts);
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fan));
  return uniform_(t, -bound, bound);
}
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const [fan, gain] = kaiming('kaiming_normal_', t, opts);
  return normal_(t, 0, gain / Math.sqrt(fan));
}
