/**
 * Pooling layers with PyTorch's options and repr: `MaxPool2d`, `AvgPool2d`, `MaxPool1d`,
 * `AvgPool1d`, `MaxUnpool2d`, `AdaptiveAvgPool2d`. Options are checked when the layer is built.
 * @module
 */
import { optionsArg, pairArg } from '../check.js';
import * as F from '../functional.js';
import type { Pair } from '../functional.js';
import { avgPoolArgs, maxPoolArgs, type AvgPool1dOptions, type AvgPool2dOptions, type MaxPool1dOptions, type MaxPool2dOptions } from '../pooling.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

const fmtPair = (p: [number, number]): string => `(${p[0]}, ${p[1]})`;
/** As PyTorch prints a size it stored as given: one number, or a tuple. */
const asGiven = (v: unknown): string => (Array.isArray(v) ? (v.length === 1 ? `(${v[0]},)` : `(${v.join(', ')})`) : String(v));
const py = (b: boolean): string => (b ? 'True' : 'False');

/** A module's forward returns one tensor, so PyTorch's `(values, indices)` has its own method. */
const RETURNS_PAIR = (cls: string): string =>
  `${cls}: a layer built with returnIndices: true returns [values, indices] from forwardWithIndices(x); forward returns one tensor`;

/** @deprecated the options of `MaxPool2d` or `AvgPool2d`. */
export type Pool2dOptions = MaxPool2dOptions & AvgPool2dOptions;

export class MaxPool2d extends Module {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly ceilMode: boolean;
  readonly returnIndices: boolean;
  constructor(kernelSize: Pair, opts: MaxPool2dOptions = {}) {
    super();
    const o = optionsArg('MaxPool2d', opts, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
    this.kernelSize = kernelSize;
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding ?? 0;
    this.dilation = o.dilation ?? 1;
    this.ceilMode = o.ceilMode ?? false;
    this.returnIndices = o.returnIndices ?? false;
    maxPoolArgs('MaxPool2d', kernelSize, o, false);
  }
  private options(): MaxPool2dOptions & { returnIndices?: false } {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }
  /** The pooled values; a `returnIndices: true` layer answers {@link forwardWithIndices} instead. */
  forward(x: Tensor): Tensor {
    if (this.returnIndices) throw new TypeError(RETURNS_PAIR('MaxPool2d'));
    return F.maxPool2d(x, this.kernelSize, this.options());
  }
  /** PyTorch's `(values, indices)` of a `return_indices=True` layer, for `MaxUnpool2d`. */
  forwardWithIndices(x: Tensor): [Tensor, Tensor] {
    return F.maxPool2d(x, this.kernelSize, { ...this.options(), returnIndices: true });
  }
  override extraRepr(): string {
    return `kernel_size=${asGiven(this.kernelSize)}, stride=${asGiven(this.stride)}, padding=${asGiven(this.padding)}, dilation=${asGiven(this.dilation)}, ceil_mode=${py(this.ceilMode)}`;
  }
}

export class MaxPool1d extends Module {
  readonly opts: MaxPool1dOptions;
  readonly returnIndices: boolean;
  constructor(readonly kernelSize: number | [number], opts: MaxPool1dOptions = {}) {
    super();
    const o = optionsArg('MaxPool1d', opts, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
    this.opts = { stride: o.stride ?? kernelSize, padding: o.padding ?? 0, dilation: o.dilation ?? 1, ceilMode: o.ceilMode ?? false };
    maxPoolArgs('MaxPool1d', kernelSize, o as MaxPool2dOptions, true);
    this.returnIndices = o.returnIndices ?? false;
  }
  forward(x: Tensor): Tensor {
    if (this.returnIndices) throw new TypeError(RETURNS_PAIR('MaxPool1d'));
    return F.maxPool1d(x, this.kernelSize, { ...this.opts, returnIndices: false });
  }
  forwardWithIndices(x: Tensor): [Tensor, Tensor] {
    return F.maxPool1d(x, this.kernelSize, { ...this.opts, returnIndices: true });
  }
  override extraRepr(): string {
    const o = this.opts;
    return `kernel_size=${asGiven(this.kernelSize)}, stride=${asGiven(o.stride)}, padding=${asGiven(o.padding)}, dilation=${asGiven(o.dilation)}, ceil_mode=${py(o.ceilMode!)}`;
  }
}

export class AvgPool2d extends Module {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly opts: AvgPool2dOptions;
  constructor(kernelSize: Pair, opts: AvgPool2dOptions = {}) {
    super();
    const o = optionsArg('AvgPool2d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
    this.kernelSize = kernelSize;
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding ?? 0;
    this.opts = { stride: this.stride, padding: this.padding, ceilMode: o.ceilMode ?? false, countIncludePad: o.countIncludePad ?? true, divisorOverride: o.divisorOverride ?? null };
    avgPoolArgs('AvgPool2d', kernelSize, o, false);
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.opts);
  }
  override extraRepr(): string {
    return `kernel_size=${asGiven(this.kernelSize)}, stride=${asGiven(this.stride)}, padding=${asGiven(this.padding)}`;
  }
}

export class AvgPool1d extends Module {
  readonly opts: AvgPool1dOptions;
  constructor(readonly kernelSize: number | [number], opts: AvgPool1dOptions = {}) {
    super();
    const o = optionsArg('AvgPool1d', opts, ['stride', 'padding', 'ceilMode', 'countIncludePad']);
    this.opts = { stride: o.stride ?? kernelSize, padding: o.padding ?? 0, ceilMode: o.ceilMode ?? false, countIncludePad: o.countIncludePad ?? true };
    avgPoolArgs('AvgPool1d', kernelSize, o as AvgPool2dOptions, true);
  }
  forward(x: Tensor): Tensor {
    return F.avgPool1d(x, this.kernelSize, this.opts);
  }
  override extraRepr(): string {
    const one = (v: unknown): string => `(${Array.isArray(v) ? v[0] : v},)`;
    return `kernel_size=${one(this.kernelSize)}, stride=${one(this.opts.stride)}, padding=${one(this.opts.padding)}`;
  }
}

/** `nn.MaxUnpool2d`: `forward(x, indices)`, or {@link unpool} with an `output_size`. */
export class MaxUnpool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  constructor(kernelSize: Pair, opts: { stride?: Pair | null; padding?: Pair } = {}) {
    super();
    const o = optionsArg('MaxUnpool2d', opts, ['stride', 'padding']);
    this.kernelSize = pairArg('MaxUnpool2d', 'kernel_size', kernelSize, 1);
    this.stride = o.stride === undefined || o.stride === null ? this.kernelSize : pairArg('MaxUnpool2d', 'stride', o.stride, 1);
    this.padding = pairArg('MaxUnpool2d', 'padding', o.padding ?? 0, 0);
  }
  forward(x: Tensor, indices: Tensor): Tensor {
    return this.unpool(x, indices, null);
  }
  unpool(x: Tensor, indices: Tensor, outputSize: number[] | null): Tensor {
    return F.maxUnpool2d(x, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
  override extraRepr(): string {
    return `kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}, padding=${fmtPair(this.padding)}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];
  constructor(outputSize: Pair) {
    super();
    this.outputSize = pairArg('AdaptiveAvgPool2d', 'output_size', outputSize, 1);
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${fmtPair(this.outputSize)}`;
  }
}
