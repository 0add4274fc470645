/**
 * `nn.Conv1d`, `nn.Conv2d`, `nn.ConvTranspose2d` and their lazy forms, with PyTorch's options,
 * default initialisation (kaiming_uniform(a=√5): U(±1/√fan_in) for the weight and the bias) and
 * repr, on one base as PyTorch's `_ConvNd`. Options are checked when the layer is built.
 * @module
 */
import { boolArg, intArg, optionsArg, pairArg } from '../check.js';
import { paddingMode, singleArg, outputPaddingFor, type PaddingMode } from '../conv.js';
import { withDefaultDevice } from '../creation.js';
import * as F from '../functional.js';
import { conv2dAct } from '../functional.js';
import type { Pair } from '../functional.js';
import type { Tensor } from '../tensor.js';
import { fusableActivation, initialParameters } from './layers.js';
import { Module, type Parameter } from './module.js';

const MAX = 0x7fffffff;

/** A layer's size of every spatial axis: a number in 1-D layers, `[h, w]` in 2-D ones. */
type Size = number | [number, number];
const list = (v: Size): number[] => (typeof v === 'number' ? [v] : v);
/** Python's repr of the size as a tuple: `(3,)`, `(3, 3)`. */
const tuple = (v: Size): string => (typeof v === 'number' ? `(${v},)` : `(${v[0]}, ${v[1]})`);

/** Every conv layer's options; each layer's options type names those it takes. */
interface ConvNdOptions {
  stride?: unknown;
  padding?: unknown;
  outputPadding?: unknown;
  dilation?: unknown;
  groups?: unknown;
  bias?: unknown;
}

/** What a conv layer states about its dims. */
interface ConvDims<S extends Size> {
  /** PyTorch's class name; the lazy form is `Lazy` + this. */
  readonly name: string;
  /** The options it takes, in PyTorch's order of the arguments. */
  readonly keys: readonly (keyof ConvNdOptions)[];
  /** Reads a size: `singleArg` in 1-D layers, `pairArg` in 2-D ones. */
  readonly size: (op: string, name: string, v: unknown, min: 0 | 1) => S;
  /** A transposed convolution: it has `outputPadding`, and no string padding. */
  readonly transposed: boolean;
}

/** The in_channels of a lazy layer's first input: `[N, C, ...]`, or `[C, ...]` unbatched. */
function inChannelsOf(op: string, x: Tensor, spatial: number): number {
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2) {
    throw new RangeError(`${op}: expected ${spatial + 1}D (unbatched) or ${spatial + 2}D (batched) input, but got input of size [${x.shape.join(', ')}]`);
  }
  return x.ndim === spatial + 2 ? x.shape[1]! : x.shape[0]!;
}

/**
 * PyTorch's `_ConvNd`: the options (checked in this order: kernel_size, stride, padding,
 * output_padding, dilation, groups, bias), `reset_parameters`, the lazy layers' `in_channels`
 * from the first input, and `extra_repr`. Each layer states its dims, its weight shape and its
 * forward; its lazy form sets `lazy` and drops `in_channels`.
 */
export abstract class ConvNd<S extends Size> extends Module {
  weight: Parameter | null = null;
  bias: Parameter | null = null;
  inChannels: number | null;
  readonly kernelSize: S;
  readonly stride: S;
  /** A size, or PyTorch's string padding (not in transposed layers). */
  readonly padding: S | PaddingMode;
  /** Transposed layers only. */
  protected declare readonly outputPadding?: S;
  readonly dilation: S;
  readonly groups: number;
  readonly hasBias: boolean;
  readonly #dims: ConvDims<S>;

  /** Lazy subclasses take `in_channels` from the first input. */
  protected static readonly lazy: boolean = false;

  protected constructor(dims: ConvDims<S>, inChannels: number | null, readonly outChannels: number, kernelSize: unknown, opts: ConvNdOptions) {
    super();
    this.#dims = dims;
    const lazy = (new.target as unknown as { lazy: boolean }).lazy;
    const op = lazy ? `Lazy${dims.name}` : dims.name;
    if (!lazy) intArg(op, 'in_channels', inChannels, 1, MAX);
    intArg(op, 'out_channels', outChannels, 1, MAX);
    const o = optionsArg(op, opts, dims.keys);
    this.inChannels = lazy ? null : inChannels;
    this.kernelSize = dims.size(op, 'kernel_size', kernelSize, 1);
    this.stride = dims.size(op, 'stride', o.stride ?? 1, 1);
    this.padding = (dims.transposed ? undefined : paddingMode(op, o.padding)) ?? dims.size(op, 'padding', o.padding ?? 0, 0);
    if (dims.transposed) this.outputPadding = dims.size(op, 'outputPadding', o.outputPadding ?? 0, 0);
    this.dilation = dims.size(op, 'dilation', o.dilation ?? 1, 1);
    this.groups = intArg(op, 'groups', o.groups ?? 1, 1, MAX);
    this.hasBias = boolArg(op, 'bias', o.bias ?? true);
    if (this.padding === 'same' && list(this.stride).some((s) => s !== 1)) {
      throw new RangeError(`${op}: padding='same' is not supported for strided convolutions (stride ${typeof this.stride === 'number' ? this.stride : tuple(this.stride)})`);
    }
    if (outChannels % this.groups !== 0) throw new RangeError(`${op}: out_channels must be divisible by groups (out_channels=${outChannels}, groups=${this.groups})`);
    if (this.inChannels !== null) this.materialize(this.inChannels);
  }
  /** True once the weight exists (lazy layers create it on the first call). */
  get initialized(): boolean {
    return this.weight !== null;
  }
  /** A lazy layer is `Lazy<name>` until its first call, then the layer it became. */
  override get typeName(): string {
    if (!(this.constructor as unknown as { lazy: boolean }).lazy) return super.typeName;
    return this.initialized ? this.#dims.name : `Lazy${this.#dims.name}`;
  }
  /** `[out_channels, in_channels/groups, ...kernel]`, or `[in_channels, out_channels/groups, ...kernel]` transposed. */
  protected abstract weightShape(inChannels: number): number[];
  protected materialize(inChannels: number): void {
    intArg(this.typeName, 'in_channels', inChannels, 1, MAX);
    if (inChannels % this.groups !== 0) throw new RangeError(`${this.typeName}: in_channels must be divisible by groups (in_channels=${inChannels}, groups=${this.groups})`);
    this.inChannels = inChannels;
    const shape = this.weightShape(inChannels);
    // torch's fan_in is weight.size(1) · the kernel's size (out_channels/groups when transposed)
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    [this.weight, this.bias] = initialParameters(shape, fanIn, this.hasBias ? this.outChannels : null);
  }
  /** The in_channels of a lazy layer's first input. */
  protected lazyInChannels(x: Tensor): number {
    return inChannelsOf(this.typeName, x, list(this.kernelSize).length);
  }
  /** Materialises a lazy layer from its first input (on the input's device). */
  protected ready(x: Tensor): Tensor {
    if (!this.weight) withDefaultDevice(x.device, () => this.materialize(this.lazyInChannels(x)));
    return x;
  }
  override extraRepr(): string {
    let s = `${this.inChannels ?? 0}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (list(this.padding).some((p) => p !== 0)) s += `, padding=${tuple(this.padding)}`;
    if (list(this.dilation).some((d) => d !== 1)) s += `, dilation=${tuple(this.dilation)}`;
    if (this.outputPadding !== undefined && list(this.outputPadding).some((p) => p !== 0)) s += `, output_padding=${tuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.hasBias) s += ', bias=False';
    return s;
  }
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

const CONV1D: ConvDims<number> = { name: 'Conv1d', keys: ['stride', 'padding', 'dilation', 'groups', 'bias'], size: singleArg, transposed: false };

/** `nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True)`. */
export class Conv1d extends ConvNd<number> {
  constructor(inChannels: number | null, outChannels: number, kernelSize: number | [number], opts: Conv1dOptions = {}) {
    super(CONV1D, inChannels, outChannels, kernelSize, opts);
  }
  protected weightShape(inChannels: number): number[] {
    return [this.outChannels, inChannels / this.groups, this.kernelSize];
  }
  forward(x: Tensor): Tensor {
    return F.conv1d(this.ready(x), this.weight!, { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** `nn.LazyConv1d(out_channels, kernel_size, ...)`: `in_channels` is inferred on the first call. */
export class LazyConv1d extends Conv1d {
  protected static override readonly lazy: boolean = true;
  constructor(outChannels: number, kernelSize: number | [number], opts: Conv1dOptions = {}) {
    super(null, outChannels, kernelSize, opts);
  }
}

export interface Conv2dOptions {
  stride?: Pair;
  /** `Pair`, or PyTorch's `'valid'` / `'same'` (stride 1 only). */
  padding?: Pair | F.PaddingMode;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

const CONV2D: ConvDims<[number, number]> = { name: 'Conv2d', keys: ['stride', 'padding', 'dilation', 'groups', 'bias'], size: pairArg, transposed: false };

/** `nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True)`. */
export class Conv2d extends ConvNd<[number, number]> {
  constructor(inChannels: number | null, outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super(CONV2D, inChannels, outChannels, kernelSize, opts);
  }
  protected weightShape(inChannels: number): number[] {
    return [this.outChannels, inChannels / this.groups, ...this.kernelSize];
  }
  /** Lazy Conv2d layers take batched input only. */
  protected override lazyInChannels(x: Tensor): number {
    if (x.ndim !== 4) throw new RangeError(`${this.typeName}: expected a 4-D input (N, C, H, W), got shape [${x.shape.join(', ')}]`);
    return x.shape[1]!;
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(this.ready(x), this.weight!, this.convOptions());
  }
  private convOptions(): F.Conv2dOptions {
    return { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }
  /** A following ReLU, Sigmoid or Tanh runs as this conv's epilogue (unless either forward is overridden). */
  override fuseWith(next: Module): ((x: Tensor) => Tensor) | null {
    if (this.forward !== Conv2d.prototype.forward) return null;
    const act = fusableActivation(next);
    return act ? (x) => conv2dAct(this.ready(x), this.weight!, this.convOptions(), act) : null;
  }
}

/** `nn.LazyConv2d(out_channels, kernel_size, ...)`: `in_channels` is inferred on the first call. */
export class LazyConv2d extends Conv2d {
  protected static override readonly lazy: boolean = true;
  constructor(outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super(null, outChannels, kernelSize, opts);
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

const CONV_TRANSPOSE2D: ConvDims<[number, number]> = {
  name: 'ConvTranspose2d',
  keys: ['stride', 'padding', 'outputPadding', 'groups', 'bias', 'dilation'],
  size: pairArg,
  transposed: true,
};

/**
 * `nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
 * output_padding=0, groups=1, bias=True, dilation=1)`; the weight is `[in_channels,
 * out_channels/groups, kH, kW]`.
 */
export class ConvTranspose2d extends ConvNd<[number, number]> {
  declare readonly padding: [number, number];
  declare readonly outputPadding: [number, number];

  constructor(inChannels: number | null, outChannels: number, kernelSize: Pair, opts: ConvTranspose2dOptions = {}) {
    super(CONV_TRANSPOSE2D, inChannels, outChannels, kernelSize, opts);
  }
  protected weightShape(inChannels: number): number[] {
    return [inChannels, this.outChannels / this.groups, ...this.kernelSize];
  }
  /**
   * `outputSize` (the spatial sizes `[H, W]`, or the whole shape) picks the output padding,
   * as PyTorch's `forward(input, output_size)`; the layer's `outputPadding` is used otherwise.
   */
  forward(x: Tensor): Tensor;
  forward(x: Tensor, outputSize: number[] | null): Tensor;
  forward(x: Tensor, outputSize?: unknown): Tensor {
    this.ready(x);
    const outputPadding = outputSize === undefined || outputSize === null ? this.outputPadding : outputPaddingFor(this.typeName, x, outputSize, this);
    return F.convTranspose2d(x, this.weight!, { bias: this.bias, stride: this.stride, padding: this.padding, outputPadding, groups: this.groups, dilation: this.dilation });
  }
}

/** `nn.LazyConvTranspose2d(out_channels, kernel_size, ...)`: `in_channels` is inferred on the first call. */
export class LazyConvTranspose2d extends ConvTranspose2d {
  protected static override readonly lazy: boolean = true;
  constructor(outChannels: number, kernelSize: Pair, opts: ConvTranspose2dOptions = {}) {
    super(null, outChannels, kernelSize, opts);
  }
}
