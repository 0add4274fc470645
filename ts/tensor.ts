/**
 * The Tensor: a JS handle to a tensor that lives in the Rust core. Methods mirror PyTorch's
 * names (camelCase where PyTorch has snake_case) and record autograd as PyTorch does.
 * @module
 */
import { formatTensor, type DType } from './format.js';
import { resolveDevice, type DeviceName, type DeviceSpec } from './gpu/index.js';
import { release, track, untrack } from './memory.js';
import { wasm } from './wasm.js';

export type { DeviceName, DeviceSpec };

/** A number or a Tensor, accepted wherever PyTorch accepts a Python scalar. */
export type TensorOrScalar = Tensor | number;
/** Nested arrays of numbers, as `tensor()` accepts them. */
export type NestedArray = number | boolean | NestedArray[];

const DEVICE_CODES: Record<DeviceName, number> = { cpu: 0, gpu: 1 };
const DEVICE_NAMES: DeviceName[] = ['cpu', 'gpu'];

/** @internal The core's code for a device (`'auto'` resolves to the GPU once initialised). */
export function deviceCode(d: DeviceSpec | undefined): number {
  return DEVICE_CODES[resolveDevice(d)];
}

/** The error of a synchronous read of a GPU tensor. */
function syncReadError(op: string, t: Tensor): Error {
  return new Error(`${op}: this tensor lives on the GPU, which cannot be read synchronously (shape [${t.shape.join(', ')}]); use \`await t.data()\`, \`await t.array()\` or \`await t.itemAsync()\`, or \`await t.toAsync('cpu')\``);
}

export class Tensor {
  /** @internal The core handle; -1 once freed. */
  _h: number;
  /** Display dtype: ferrograd computes in float32; int64/bool tag indices and masks. */
  readonly dtype: DType;
  #shape: readonly number[] | undefined;
  #freedBecause: string | undefined;

  /** @internal Use `tensor()`, `zeros()`, ... to make tensors. */
  constructor(handle: number, dtype: DType = 'float32') {
    this._h = handle;
    this.dtype = dtype;
    track(this, this);
  }

  /** @internal */
  _free(reason: string): void {
    if (this._h < 0) return;
    release(this._h, this);
    this._h = -1;
    this.#freedBecause = reason;
  }

  /** @internal The live handle, or a clear error if the tensor was freed. */
  get h(): number {
    if (this._h < 0) {
      throw new Error(`tensor: this tensor was freed because ${this.#freedBecause ?? 'it was released'}; return it from the step (or call .keep()) to use it afterwards`);
    }
    return this._h;
  }

  /** Keeps this tensor alive past the current step scope (it is then freed by the GC). */
  keep(): this {
    untrack(this);
    return this;
  }

  get shape(): number[] {
    this.#shape ??= Object.freeze(Array.from(wasm().shapeOf(this.h)));
    return [...this.#shape];
  }
  /** PyTorch's `size()`, or the size of one dim. */
  size(dim?: number): number | number[] {
    const s = this.shape;
    if (dim === undefined) return s;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new Error(`size: dim ${dim} is out of range for shape [${s.join(', ')}]`);
    return s[d]!;
  }
  get ndim(): number {
    return this.shape.length;
  }
  numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get device(): DeviceName {
    return DEVICE_NAMES[wasm().deviceOf(this.h)] ?? 'cpu';
  }
  /**
   * This tensor on `device` (itself when already there). The copy is a new leaf: transfers are
   * not recorded by autograd. GPU to CPU needs {@link toAsync} (reads cannot block on the web).
   */
  to(device: DeviceSpec): Tensor {
    const target = resolveDevice(device);
    if (target === this.device) return this;
    if (this.device === 'gpu') throw syncReadError('to', this);
    return new Tensor(wasm().toDevice(this.h, deviceCode(target)), this.dtype);
  }
  /** {@link to} for any direction, including GPU to CPU. */
  async toAsync(device: DeviceSpec): Promise<Tensor> {
    const target = resolveDevice(device);
    if (target === this.device) return this;
    if (this.device === 'gpu') {
      const t = new Tensor(wasm().fromF32(await this.data(), Uint32Array.from(this.shape), deviceCode(target)), this.dtype);
      if (this.isLeaf && this.requiresGrad) t.requiresGrad = true;
      return t;
    }
    return this.to(target);
  }
  /** `t.cpu()` as in PyTorch (async: a GPU tensor is read back). */
  cpu(): Promise<Tensor> {
    return this.toAsync('cpu');
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return wasm().requiresGrad(this.h);
  }
  set requiresGrad(on: boolean) {
    wasm().setRequiresGrad(this.h, on);
  }
  /** `requires_grad_()`: marks a leaf as requiring grad; returns this tensor. */
  requiresGrad_(on = true): this {
    this.requiresGrad = on;
    return this;
  }
  get isLeaf(): boolean {
    return wasm().isLeaf(this.h);
  }
  /** The accumulated gradient of a leaf after `backward()`, or null. */
  get grad(): Tensor | null {
    const g = wasm().grad(this.h);
    return g === undefined ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) {
    wasm().setGrad(this.h, g === null ? undefined : g.h);
  }
  /** Name of the op that produced this tensor (PyTorch's `grad_fn`), or null for leaves. */
  get gradFn(): string | null {
    return wasm().gradFn(this.h) ?? null;
  }
  /** Backpropagates from this tensor (a scalar unless `gradient` is given). */
  backward(gradient?: Tensor): void {
    wasm().backward(this.h, gradient?.h);
  }
  /** A new leaf sharing storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(wasm().detach(this.h), this.dtype);
  }

  // ---- elementwise ----
  add(other: TensorOrScalar): Tensor {
    return typeof other === 'number' ? this.#affine(1, other) : wrap(wasm().add(this.h, other.h));
  }
  sub(other: TensorOrScalar): Tensor {
    return typeof other === 'number' ? this.#affine(1, -other) : wrap(wasm().sub(this.h, other.h));
  }
  mul(other: TensorOrScalar): Tensor {
    return typeof other === 'number' ? this.#affine(other, 0) : wrap(wasm().mul(this.h, other.h));
  }
  div(other: TensorOrScalar): Tensor {
    return typeof other === 'number' ? this.#affine(1 / other, 0) : wrap(wasm().div(this.h, other.h));
  }
  pow(exponent: TensorOrScalar): Tensor {
    return typeof exponent === 'number' ? wrap(wasm().powScalar(this.h, exponent)) : wrap(wasm().pow(this.h, exponent.h));
  }
  /** `other - this` (Python's `2 - x`). */
  rsub(other: number): Tensor {
    return this.#affine(-1, other);
  }
  maximum(other: Tensor): Tensor {
    return wrap(wasm().maximum(this.h, other.h));
  }
  minimum(other: Tensor): Tensor {
    return wrap(wasm().minimum(this.h, other.h));
  }
  neg(): Tensor {
    return wrap(wasm().neg(this.h));
  }
  exp(): Tensor {
    return wrap(wasm().exp(this.h));
  }
  log(): Tensor {
    return wrap(wasm().log(this.h));
  }
  sqrt(): Tensor {
    return wrap(wasm().sqrt(this.h));
  }
  abs(): Tensor {
    return wrap(wasm().abs(this.h));
  }
  relu(): Tensor {
    return wrap(wasm().relu(this.h));
  }
  sigmoid(): Tensor {
    return wrap(wasm().sigmoid(this.h));
  }
  tanh(): Tensor {
    return wrap(wasm().tanh(this.h));
  }
  clamp(min?: number, max?: number): Tensor {
    return wrap(wasm().clamp(this.h, min ?? NaN, max ?? NaN));
  }
  #affine(mul: number, add: number): Tensor {
    return wrap(wasm().affine(this.h, mul, add));
  }

  // ---- comparisons (bool-tagged 0/1 tensors) ----
  gt(other: TensorOrScalar): Tensor {
    return wrap(wasm().gt(this.h, asTensor(other, this.device).h), 'bool');
  }
  lt(other: TensorOrScalar): Tensor {
    return wrap(wasm().lt(this.h, asTensor(other, this.device).h), 'bool');
  }
  ge(other: TensorOrScalar): Tensor {
    return wrap(wasm().ge(this.h, asTensor(other, this.device).h), 'bool');
  }
  le(other: TensorOrScalar): Tensor {
    return wrap(wasm().le(this.h, asTensor(other, this.device).h), 'bool');
  }
  eq(other: TensorOrScalar): Tensor {
    return wrap(wasm().eq(this.h, asTensor(other, this.device).h), 'bool');
  }

  // ---- reductions ----
  /** Sum over `dim` (a number or list; all dims when omitted). */
  sum(dim?: number | number[], keepdim = false): Tensor {
    return wrap(wasm().sum(this.h, axes(dim), keepdim));
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return wrap(wasm().mean(this.h, axes(dim), keepdim));
  }
  /** Maximum values over `dim` (`amax`). */
  max(dim?: number | number[], keepdim = false): Tensor {
    return wrap(wasm().max(this.h, axes(dim), keepdim));
  }
  min(dim?: number | number[], keepdim = false): Tensor {
    return wrap(wasm().min(this.h, axes(dim), keepdim));
  }
  /** Index of the first maximum along `dim` (of the flattened tensor when omitted). */
  argmax(dim?: number, keepdim = false): Tensor {
    return wrap(wasm().argmax(this.h, dim, keepdim), 'int64');
  }
  var(dim?: number | number[], keepdim = false, unbiased = true): Tensor {
    return wrap(wasm().variance(this.h, axes(dim), keepdim, unbiased));
  }
  softmax(dim: number): Tensor {
    return wrap(wasm().softmax(this.h, dim));
  }
  logSoftmax(dim: number): Tensor {
    return wrap(wasm().logSoftmax(this.h, dim));
  }

  // ---- linear algebra ----
  matmul(other: Tensor): Tensor {
    return wrap(wasm().matmul(this.h, other.h));
  }

  // ---- movement ----
  /** `reshape(2, -1)` or `reshape([2, -1])`. */
  reshape(...shape: (number | number[])[]): Tensor {
    return wrap(wasm().reshape(this.h, Int32Array.from(shape.flat())), this.dtype);
  }
  /** Same as {@link reshape} (ferrograd copies only when the layout requires it). */
  view(...shape: (number | number[])[]): Tensor {
    return this.reshape(...shape);
  }
  permute(...dims: (number | number[])[]): Tensor {
    return wrap(wasm().permute(this.h, Int32Array.from(dims.flat())), this.dtype);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return wrap(wasm().transpose(this.h, dim0, dim1), this.dtype);
  }
  /** Transpose of a ≤2-D tensor. */
  t(): Tensor {
    return wrap(wasm().t(this.h), this.dtype);
  }
  get T(): Tensor {
    return this.permute([...Array(this.ndim).keys()].reverse());
  }
  expand(...shape: (number | number[])[]): Tensor {
    const s = shape.flat();
    const cur = this.shape;
    const full = s.map((d, i) => (d === -1 ? cur[i - (s.length - cur.length)] ?? 1 : d));
    return wrap(wasm().expand(this.h, Uint32Array.from(full)), this.dtype);
  }
  contiguous(): Tensor {
    return wrap(wasm().contiguous(this.h), this.dtype);
  }
  /** `x[..., start:end:step, ...]` along `dim` (negative indices count from the end). */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return wrap(wasm().slice(this.h, dim, start, end, step), this.dtype);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return this.slice(dim, start, start + length);
  }
  /** `x[index]` along `dim` (the dim is removed). */
  select(dim: number, index: number): Tensor {
    return wrap(wasm().select(this.h, dim, index), this.dtype);
  }
  /** `x[i]`: the i-th entry along the first dim. */
  at(index: number): Tensor {
    return this.select(0, index);
  }
  unsqueeze(dim: number): Tensor {
    return wrap(wasm().unsqueeze(this.h, dim), this.dtype);
  }
  squeeze(dim?: number): Tensor {
    return wrap(wasm().squeeze(this.h, dim), this.dtype);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return wrap(wasm().flatten(this.h, startDim, endDim), this.dtype);
  }

  // ---- in place (no autograd; for parameter updates and loading) ----
  /** `x[...] = src` in place (src broadcasts); returns this tensor. */
  assign_(src: TensorOrScalar): this {
    wasm().assign(this.h, asTensor(src, this.device).h);
    return this;
  }
  /** `x -= other` in place, outside autograd (e.g. `w.sub_(w.grad.mul(lr))`). */
  sub_(other: Tensor): this {
    wasm().axpby(this.h, 1, other.h, -1);
    return this;
  }
  /** `x += alpha * other` in place, outside autograd. */
  add_(other: Tensor, alpha = 1): this {
    wasm().axpby(this.h, 1, other.h, alpha);
    return this;
  }
  /** `x = x * alpha + other * beta` in place (optimizer kernels). */
  axpby_(alpha: number, other: Tensor, beta: number): this {
    wasm().axpby(this.h, alpha, other.h, beta);
    return this;
  }
  zero_(): this {
    return this.assign_(0);
  }

  // ---- reading ----
  /** The elements, row-major (synchronous: CPU tensors; GPU tensors need {@link data}). */
  dataSync(): Float32Array {
    if (this.device === 'gpu') throw syncReadError('dataSync', this);
    return wasm().toF32(this.h);
  }
  /** The elements, row-major, on any device (GPU tensors are read without blocking). */
  async data(): Promise<Float32Array> {
    if (this.device === 'gpu') return wasm().readAsync(this.h);
    return this.dataSync();
  }
  /** The single value of a one-element tensor (CPU; see {@link itemAsync}). */
  item(): number {
    if (this.device === 'gpu') throw syncReadError('item', this);
    return this.#single(this.dataSync());
  }
  /** The single value of a one-element tensor, on any device. */
  async itemAsync(): Promise<number> {
    this.#single(null);
    return this.#single(await this.data());
  }
  #single(data: Float32Array | null): number {
    const n = this.numel();
    if (n !== 1) throw new Error(`item: only one-element tensors can be converted to a number, got shape [${this.shape.join(', ')}]`);
    return data ? data[0]! : NaN;
  }
  /** Nested arrays of numbers (booleans for bool tensors), like `tolist()` (CPU; see {@link array}). */
  toArray(): NestedArray {
    if (this.device === 'gpu') throw syncReadError('toArray', this);
    return this.#nest(this.dataSync());
  }
  /** {@link toArray} on any device. */
  async array(): Promise<NestedArray> {
    return this.#nest(await this.data());
  }
  #nest(data: Float32Array): NestedArray {
    const shape = this.shape;
    const conv = this.dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
    if (shape.length === 0) return conv(data[0]!);
    let off = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? conv(data[off++]!) : build(d + 1));
      return out;
    };
    return build(0);
  }
  toString(): string {
    if (this.device === 'gpu') throw syncReadError('toString', this);
    const gradFn = this.gradFn;
    return formatTensor(this.dataSync(), this.shape, { dtype: this.dtype, gradFn, requiresGrad: !gradFn && this.requiresGrad, device: this.device });
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    if (this._h < 0) return 'tensor(<freed>)';
    if (this.device === 'gpu') return `tensor(<on the GPU; await t.array() to read>, shape=[${this.shape.join(', ')}], device='gpu')`;
    return this.toString();
  }
}

/** @internal */
export function wrap(h: number, dtype: DType = 'float32'): Tensor {
  return new Tensor(h, dtype);
}

/** @internal A scalar tensor for a number operand, on the device of the tensor it meets. */
export function asTensor(v: TensorOrScalar, device: DeviceName = 'cpu'): Tensor {
  return typeof v === 'number' ? wrap(wasm().fromF32(Float32Array.of(v), new Uint32Array(0), DEVICE_CODES[device])) : v;
}

function axes(dim: number | number[] | undefined): Int32Array {
  if (dim === undefined) return new Int32Array(0);
  return Int32Array.from(Array.isArray(dim) ? dim : [dim]);
}
