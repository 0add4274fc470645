/**
 * `nn.Conv1d`, `nn.ConvTranspose2d` and their lazy forms, with PyTorch's options, default
 * initialisation (kaiming_uniform(a=√5): U(±1/√fan_in) for the weight and the bias) and repr.
 * Options are checked when the layer is built.
 * @module
 */
import { boolArg, intArg, optionsArg, pairArg } from '../check.js';
import { paddingMode, singleArg, outputPaddingFor, type PaddingMode } from '../conv.js';
import { withDefaultDevice } from '../creation.js';
import * as F from '../functional.js';
import type { Pair } from '../functional.js';
import type { Tensor } from '../tensor.js';
import { initialParameters } from './layers.js';
import { Module, type Parameter } from './module.js';

const fmtPair = (p: [number, number]): string => `(${p[0]}, ${p[1]})`;
const fmtOne = (v: number): string => `(${v},)`;
const MAX = 0x7fffffff;

/** The in_channels of a lazy layer's first input: `[N, C, ...]`, or `[C, ...]` unbatched. */
function inChannelsOf(op: string, x: Tensor, spatial: number): number {
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2) {
    throw new RangeError(`${op}: expected ${spatial + 1}D (unbatched) or ${spatial + 2}D (batched) input, but got input of size [${x.shape.join(', ')}]`);
  }
  return x.ndim === spatial + 2 ? x.shape[1]! : x.shape[0]!;
}

export interface Conv1dOptions {
  /** Default 1. */
  stride?: number | [number];
  /** Zeros on both sides, or `'valid'` (none) / `'same'` (stride 1 only). Default 0. */
  padding?: number | [number] | PaddingMode;
  /** Default 1. */
  dilation?: number | [number];
  /** Default 1. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
}

/** `nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True)`. */
export class Conv1d extends Module {
  weight: Parameter | null = null;
  bias: Parameter | null = null;
  inChannels: number | null;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number | PaddingMode;
  readonly dilation: number;
  readonly groups: number;
  readonly hasBias: boolean;

  protected static readonly lazy: boolean = false;

  constructor(inChannels: number | null, readonly outChannels: number, kernelSize: number | [number], opts: Conv1dOptions = {}) {
    super();
    const lazy = (new.target as unknown as { lazy: boolean }).lazy;
    const op = lazy ? 'LazyConv1d' : 'Conv1d';
    if (!lazy) intArg(op, 'in_channels', inChannels, 1, MAX);
    intArg(op, 'out_channels', outChannels, 1, MAX);
    const o = optionsArg(op, opts, ['stride', 'padding', 'dilation', 'groups', 'bias']);
    this.inChannels = lazy ? null : inChannels;
    this.kernelSize = singleArg(op, 'kernel_size', kernelSize, 1);
    this.stride = singleArg(op, 'stride', o.stride ?? 1, 1);
    this.padding = paddingMode(op, o.padding) ?? singleArg(op, 'padding', o.padding ?? 0, 0);
    this.dilation = singleArg(op, 'dilation', o.dilation ?? 1, 1);
    this.groups = intArg(op, 'groups', o.groups ?? 1, 1, MAX);
    this.hasBias = boolArg(op, 'bias', o.bias ?? true);
    if (this.padding === 'same' && this.stride !== 1) throw new RangeError(`${op}: padding='same' is not supported for strided convolutions (stride ${this.stride})`);
    if (outChannels % this.groups !== 0) throw new RangeError(`${op}: out_channels must be divisible by groups (out_channels=${outChannels}, groups=${this.groups})`);
    if (this.inChannels !== null) this.materialize(this.inChannels);
  }
  get initialized(): boolean {
    return this.weight !== null;
  }
  protected materialize(inChannels: number): void {
    intArg(this.typeName, 'in_channels', inChannels, 1, MAX);
    if (inChannels % this.groups !== 0) throw new RangeError(`${this.typeName}: in_channels must be divisible by groups (in_channels=${inChannels}, groups=${this.groups})`);
    this.inChannels = inChannels;
    const fanIn = (inChannels / this.groups) * this.kernelSize;
    [this.weight, this.bias] = initialParameters([this.outChannels, inChannels / this.groups, this.kernelSize], fanIn, this.hasBias ? this.outChannels : null);
  }
  forward(x: Tensor): Tensor {
    if (!this.weight) withDefaultDevice(x.device, () => this.materialize(inChannelsOf(this.typeName, x, 1)));
    return F.conv1d(x, this.weight!, { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
  override extraRepr(): string {
    let s = `${this.inChannels ?? 0}, ${this.outChannels}, kernel_size=${fmtOne(this.kernelSize)}, stride=${fmtOne(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding !== 0) s += `, padding=${fmtOne(this.padding)}`;
    if (this.dilation !== 1) s += `, dilation=${fmtOne(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.hasBias) s += ', bias=False';
    return s;
  }
}

/** `nn.LazyConv1d(out_channels, kernel_size, ...)`: `in_channels` is inferred on the first call. */
export class LazyConv1d extends Conv1d {
  protected static override readonly lazy: boolean = true;
  constructor(outChannels: number, kernelSize: number | [number], opts: Conv1dOptions = {}) {
    super(null, outChannels, kernelSize, opts);
  }
  override get typeName(): string {
    return this.initialized ? 'Conv1d' : 'LazyConv1d';
  }
}

export interface ConvTranspose2dOptions {
  /** Default 1. */
  stride?: Pair;
  /** `dilation · (kernel_size - 1) - padding` zeros around the input. Default 0. */
  padding?: Pair;
  /** Extra size on one side of each output axis (below the stride or the dilation). Default 0. */
  outputPadding?: Pair;
  /** Default 1. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** Default 1. */
  dilation?: Pair;
}

/**
 * `nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
 * output_padding=0, groups=1, bias=True, dilation=1)`; the weight is `[in_channels,
 * out_channels/groups, kH, kW]`.
 */
export class ConvTranspose2d extends Module {
  weight: Parameter | null = null;
  bias: Parameter | null = null;
  inChannels: number | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly hasBias: boolean;

  protected static readonly lazy: boolean = false;

  constructor(inChannels: number | null, readonly outChannels: number, kernelSize: Pair, opts: ConvTranspose2dOptions = {}) {
    super();
    const lazy = (new.target as unknown as { lazy: boolean }).lazy;
    const op = lazy ? 'LazyConvTranspose2d' : 'ConvTranspose2d';
    if (!lazy) intArg(op, 'in_channels', inChannels, 1, MAX);
    intArg(op, 'out_channels', outChannels, 1, MAX);
    const o = optionsArg(op, opts, ['stride', 'padding', 'outputPadding', 'groups', 'bias', 'dilation']);
    this.inChannels = lazy ? null : inChannels;
    this.kernelSize = pairArg(op, 'kernel_size', kernelSize, 1);
    this.stride = pairArg(op, 'stride', o.stride ?? 1, 1);
    this.padding = pairArg(op, 'padding', o.padding ?? 0, 0);
    this.outputPadding = pairArg(op, 'outputPadding', o.outputPadding ?? 0, 0);
    this.dilation = pairArg(op, 'dilation', o.dilation ?? 1, 1);
    this.groups = intArg(op, 'groups', o.groups ?? 1, 1, MAX);
    this.hasBias = boolArg(op, 'bias', o.bias ?? true);
    if (outChannels % this.groups !== 0) throw new RangeError(`${op}: out_channels must be divisible by groups (out_channels=${outChannels}, groups=${this.groups})`);
    if (this.inChannels !== null) this.materialize(this.inChannels);
  }
  get initialized(): boolean {
    return this.weight !== null;
  }
  protected materialize(inChannels: number): void {
    intArg(this.typeName, 'in_channels', inChannels, 1, MAX);
    if (inChannels % this.groups !== 0) throw new RangeError(`${this.typeName}: in_channels must be divisible by groups (in_channels=${inChannels}, groups=${this.groups})`);
    this.inChannels = inChannels;
    const [kh, kw] = this.kernelSize;
    // torch's fan_in is weight.size(1) · kH · kW: out_channels/groups for a transposed weight
    const fanIn = (this.outChannels / this.groups) * kh * kw;
    [this.weight, this.bias] = initialParameters([inChannels, this.outChannels / this.groups, kh, kw], fanIn, this.hasBias ? this.outChannels : null);
  }
  /**
   * `outputSize` (the spatial sizes `[H, W]`, or the whole shape) picks the output padding,
   * as PyTorch's `forward(input, output_size)`; the layer's `outputPadding` is used otherwise.
   */
  forward(x: Tensor): Tensor;
  forward(x: Tensor, outputSize: number[] | null): Tensor;
  forward(x: Tensor, outputSize?: unknown): Tensor {
    if (!this.weight) withDefaultDevice(x.device, () => this.materialize(inChannelsOf(this.typeName, x, 2)));
    const outputPadding = outputSize === undefined || outputSize === null ? this.outputPadding : outputPaddingFor(this.typeName, x, outputSize, this);
    return F.convTranspose2d(x, this.weight!, { bias: this.bias, stride: this.stride, padding: this.padding, outputPadding, groups: this.groups, dilation: this.dilation });
  }
  override extraRepr(): string {
    let s = `${this.inChannels ?? 0}, ${this.outChannels}, kernel_size=${fmtPair(this.kernelSize)}, stride=${fmtPair(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${fmtPair(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${fmtPair(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, output_padding=${fmtPair(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.hasBias) s += ', bias=False';
    return s;
  }
}

/** `nn.LazyConvTranspose2d(out_channels, kernel_size, ...)`: `in_channels` is inferred on the first call. */
export class LazyConvTranspose2d extends ConvTranspose2d {
  protected static override readonly lazy: boolean = true;
  constructor(outChannels: number, kernelSize: Pair, opts: ConvTranspose2dOptions = {}) {
    super(null, outChannels, kernelSize, opts);
  }
  override get typeName(): string {
    return this.initialized ? 'ConvTranspose2d' : 'LazyConvTranspose2d';
  }
}
