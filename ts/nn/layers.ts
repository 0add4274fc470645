/**
 * Layers of d2l chapters 7–8: linear and convolution (eager and lazy), pooling, activations,
 * flatten and dropout, with PyTorch's default initialisation and repr.
 * @module
 */
import { rand, withDefaultDevice } from '../creation.js';
import * as F from '../functional.js';
import type { Pair } from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module, Parameter } from './module.js';

const pair = (v: Pair): [number, number] => (Array.isArray(v) ? v : [v, v]);
const fmtPair = (p: [number, number]): string => `(${p[0]}, ${p[1]})`;

/**
 * PyTorch's `reset_parameters` of Linear/Conv: kaiming_uniform(a=√5) for the weight, which is
 * U(±1/√fan_in), and the same bound for the bias. Sampled straight into the new parameters, so
 * a 25088×4096 layer (VGG) costs one allocation, not two.
 */
function initialParameters(shape: number[], fanIn: number, bias: number | null): [Parameter, Parameter | null] {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const w = new Parameter(rand(shape, { low: -bound, high: bound }));
  const b = bias === null ? null : new Parameter(rand([bias], { low: -bound, high: bound }));
  return [w, b];
}

export class Linear extends Module {
  weight: Parameter | null = null;
  bias: Parameter | null = null;
  inFeatures: number | null;
  readonly hasBias: boolean;

  constructor(inFeatures: number | null, readonly outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    checkPositive('Linear', 'out_features', outFeatures);
    this.inFeatures = inFeatures;
    this.hasBias = opts.bias ?? true;
    if (inFeatures !== null) this.materialize(inFeatures);
  }
  /** True once the weight exists (lazy layers create it on the first call). */
  get initialized(): boolean {
    return this.weight !== null;
  }
  protected materialize(inFeatures: number): void {
    checkPositive(this.typeName, 'in_features', inFeatures);
    this.inFeatures = inFeatures;
    [this.weight, this.bias] = initialParameters([this.outFeatures, inFeatures], inFeatures, this.hasBias ? this.outFeatures : null);
  }
  forward(x: Tensor): Tensor {
    // lazy parameters are created on the input's device (sampled by the CPU generator either way)
    if (!this.weight) withDefaultDevice(x.device, () => this.materialize(x.shape.at(-1) ?? 1));
    const w = this.weight!;
    if (x.shape.at(-1) !== this.inFeatures) {
      throw new Error(`${this.typeName}: input of shape [${x.shape.join(', ')}] does not end in in_features=${this.inFeatures}`);
    }
    const y = x.matmul(w.t());
    return this.bias ? y.add(this.bias) : y;
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures ?? 0}, out_features=${this.outFeatures}, bias=${this.hasBias ? 'True' : 'False'}`;
  }
}

/** `nn.LazyLinear(out_features)`: `in_features` is inferred on the first call. */
export class LazyLinear extends Linear {
  constructor(outFeatures: number, opts: { bias?: boolean } = {}) {
    super(null, outFeatures, opts);
  }
  override get typeName(): string {
    return this.initialized ? 'Linear' : 'LazyLinear';
  }
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  weight: Parameter | null = null;
  bias: Parameter | null = null;
  inChannels: number | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly hasBias: boolean;

  constructor(inChannels: number | null, readonly outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super();
    checkPositive('Conv2d', 'out_channels', outChannels);
    this.inChannels = inChannels;
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = pair(opts.padding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    this.hasBias = opts.bias ?? true;
    for (const [what, v] of [['kernel_size', this.kernelSize], ['stride', this.stride], ['dilation', this.dilation]] as const) {
      if (!v.every((x) => Number.isInteger(x) && x > 0)) throw new Error(`Conv2d: ${what} must be positive integers, got ${fmtPair(v)}`);
    }
    if (!this.padding.every((x) => Number.isInteger(x) && x >= 0)) throw new Error(`Conv2d: padding must be non-negative integers, got ${fmtPair(this.padding)}`);
    if (!Number.isInteger(this.groups) || this.groups < 1 || outChannels % this.groups !== 0) {
      throw new Error(`Conv2d: groups=${this.groups} must be a positive integer dividing out_channels=${outChannels}`);
    }
    if (inChannels !== null) this.materialize(inChannels);
  }
  get initialized(): boolean {
    return this.weight !== null;
  }
  protected materialize(inChannels: number): void {
    checkPositive(this.typeName, 'in_channels', inChannels);
    if (inChannels % this.groups !== 0) throw new Error(`${this.typeName}: groups=${this.groups} must divide in_channels=${inChannels}`);
    this.inChannels = inChannels;
    const [kh, kw] = this.kernelSize;
    const fanIn = (inChannels / this.groups) * kh * kw;
    [this.weight, this.bias] = initialParameters([this.outChannels, inChannels / this.groups, kh, kw], fanIn, this.hasBias ? this.outChannels : null);
  }
  forward(x: Tensor): Tensor {
    if (!this.weight) {
      if (x.ndim !== 4) throw new Error(`${this.typeName}: expected a 4-D input (N, C, H, W), got shape [${x.shape.join(', ')}]`);
      withDefaultDevice(x.device, () => this.materialize(x.shape[1]!));
    }
    return F.conv2d(x, this.weight!, { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
  override extraRepr(): string {
    let s = `${this.inChannels ?? 0}, ${this.outChannels}, kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${fmtPair(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${fmtPair(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.hasBias) s += ', bias=False';
    return s;
  }
}

/** `nn.LazyConv2d(out_channels, kernel_size, ...)`: `in_channels` is inferred on the first call. */
export class LazyConv2d extends Conv2d {
  constructor(outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super(null, outChannels, kernelSize, opts);
  }
  override get typeName(): string {
    return this.initialized ? 'Conv2d' : 'LazyConv2d';
  }
}

export interface Pool2dOptions {
  stride?: Pair | null;
  padding?: Pair;
}

abstract class Pool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  constructor(kernelSize: Pair, opts: Pool2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? kernelSize);
    this.padding = pair(opts.padding ?? 0);
  }
  override extraRepr(): string {
    const one = (p: [number, number]) => (p[0] === p[1] ? String(p[0]) : fmtPair(p));
    return `kernel_size=${one(this.kernelSize)}, stride=${one(this.stride)}, padding=${one(this.padding)}`;
  }
}

export class MaxPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
  override extraRepr(): string {
    return `${super.extraRepr()}, dilation=1, ceil_mode=False`;
  }
}

export class AvgPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];
  constructor(outputSize: Pair) {
    super();
    this.outputSize = pair(outputSize);
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${fmtPair(this.outputSize)}`;
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

function checkPositive(layer: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${layer}: ${what} must be a positive integer, got ${v}`);
}
