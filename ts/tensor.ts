/**
 * The Tensor: a JS handle to a tensor that lives in the Rust core. Methods mirror PyTorch's
 * names (camelCase where PyTorch has snake_case) and record autograd as PyTorch does.
 * @module
 */
import { formatTensor, nestedArray } from './format.js';
import { binaryDType, checkRequiresGrad, DTYPES, isFloating, matmulDType, powScalarDType, reductionDType, resultType, scalarDType, unaryDType, type BinaryName, type DType, type Operand, type UnaryName } from './dtype.js';
import { castHandle, divide, intPow, type DivKind } from './intops.js';
import * as movement from './movement.js';
import { resolveDevice, type DeviceName, type DeviceSpec } from './gpu/index.js';
import { boolArg, dimArg, dimsArg, enumArg, isTensor, numberArg, operandArg, optionsArg, optTensorArg, registerTensorClass, show, tensorArg, viewShapeArg } from './check.js';
import { release, track, untrack } from './memory.js';
import { BinaryOp, UnaryOp } from './ops.generated.js';
import { wasm } from './wasm.js';

export type { DeviceName, DeviceSpec };

/** A number or a Tensor, accepted wherever PyTorch accepts a Python scalar. */
export type TensorOrScalar = Tensor | number;
/** `div`'s `rounding_mode`. */
export type RoundingMode = 'floor' | 'trunc';
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
  /**
   * The dtype, with PyTorch's promotion rules (`ts/dtype.ts`); every dtype is stored as
   * float32 (integers exact for |v| < 2^24, bools 0/1).
   */
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
    return s[dimArg('size', 'dim', dim, s.length)]!;
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
   * This tensor on `device` (itself when already there), or cast to a dtype
   * (`t.to('int64')`, PyTorch's `t.to(torch.int64)`). The device copy is a new leaf: transfers
   * are not recorded by autograd. GPU to CPU needs {@link toAsync} (reads cannot block on the web).
   */
  to(device: DeviceSpec | DType): Tensor {
    if ((DTYPES as readonly unknown[]).includes(device)) return this.#cast(device as DType);
    const target = resolveDevice(device as DeviceSpec);
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
    if (boolArg('requires_grad_', 'requires_grad', on)) checkRequiresGrad('requires_grad_', this.dtype);
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
    wasm().setGrad(this.h, optTensorArg('grad', 'grad', g));
  }
  /** Name of the op that produced this tensor (PyTorch's `grad_fn`), or null for leaves. */
  get gradFn(): string | null {
    return wasm().gradFn(this.h) ?? null;
  }
  /** Backpropagates from this tensor (a scalar unless `gradient` is given). */
  backward(gradient?: Tensor | null): void {
    wasm().backward(this.h, optTensorArg('backward', 'gradient', gradient));
  }
  /** A new leaf sharing storage, cut from the graph. */
  detach(): Tensor {
    return new Tensor(wasm().detach(this.h), this.dtype);
  }

  // ---- elementwise (result dtypes: ts/dtype.ts) ----
  add(other: TensorOrScalar): Tensor {
    const o = operandArg('add', 'other', other);
    const d = this.#binaryDType('add', 'add', other);
    // bool + bool is logical or
    if (d === 'bool') return typeof o === 'number' ? this.#unary(UnaryOp.MaxScalar, o, 0, d) : this.#binary(BinaryOp.Maximum, o, d);
    return typeof o === 'number' ? this.#affine(1, o, d) : this.#binary(BinaryOp.Add, o, d);
  }
  sub(other: TensorOrScalar): Tensor {
    const o = operandArg('sub', 'other', other);
    const d = this.#binaryDType('sub', 'sub', other);
    return typeof o === 'number' ? this.#affine(1, -o, d) : this.#binary(BinaryOp.Sub, o, d);
  }
  mul(other: TensorOrScalar): Tensor {
    const o = operandArg('mul', 'other', other);
    const d = this.#binaryDType('mul', 'mul', other);
    return typeof o === 'number' ? this.#affine(o, 0, d) : this.#binary(BinaryOp.Mul, o, d);
  }
  /**
   * True division (ints give float32), or with `roundingMode` PyTorch's rounded division:
   * `'trunc'` toward zero, `'floor'` as {@link floorDivide}.
   */
  div(other: TensorOrScalar, opts?: { roundingMode?: RoundingMode | null }): Tensor {
    const mode = optionsArg('div', opts, ['roundingMode']).roundingMode;
    if (mode !== undefined && mode !== null) {
      return enumArg('div', 'rounding_mode', mode, ['floor', 'trunc']) === 'floor' ? this.#divide('floor', 'floor_divide', other) : this.#divide('trunc', 'div_trunc', other);
    }
    const o = operandArg('div', 'other', other);
    const d = this.#binaryDType('div', 'div', other);
    // x * (1/o) is the correctly rounded x / o only when 1/o is exact (o a power of two)
    if (typeof o === 'number' && exactReciprocal(o)) return this.#affine(1 / o, 0, d);
    return this.#binary(BinaryOp.Div, asTensor(o, this.device), d);
  }
  /** `torch.floor_divide` (`//`): the quotient rounded down; exact for integer dtypes. */
  floorDivide(other: TensorOrScalar): Tensor {
    return this.#divide('floor', 'floor_divide', other);
  }
  /** `torch.remainder` (`%`): Python's modulus, with the sign of the divisor. */
  remainder(other: TensorOrScalar): Tensor {
    return this.#divide('remainder', 'remainder', other);
  }
  /** `torch.fmod`: C's remainder, with the sign of the dividend. */
  fmod(other: TensorOrScalar): Tensor {
    return this.#divide('fmod', 'fmod', other);
  }
  /**
   * Integer dtypes: exact for |values| < 2^24, and a zero divisor is PyTorch's
   * ZeroDivisionError (a RangeError) on the CPU. On the GPU the divisor is not read back, so a
   * zero divisor is not detected: the results are the float ones (±inf or NaN).
   */
  #divide(kind: DivKind, name: BinaryName, other: TensorOrScalar): Tensor {
    const op = name === 'div_trunc' ? 'div' : name;
    const o = asTensor(operandArg(op, 'other', other), this.device);
    const d = this.#binaryDType(op, name, other);
    const exact = !isFloating(d);
    if (exact && o.device === 'cpu' && o.dataSync().includes(0)) throw new RangeError(`${op}: ZeroDivisionError: integer division by zero`);
    return wrap(divide(this.h, o.h, kind, exact), d);
  }
  pow(exponent: TensorOrScalar): Tensor {
    const e = operandArg('pow', 'exponent', exponent);
    if (typeof e === 'number') return this.#unary(UnaryOp.PowScalar, e, 0, powScalarDType(this.dtype, exponent as number | boolean));
    const d = this.#binaryDType('pow', 'pow', e);
    if (isFloating(d)) return this.#binary(BinaryOp.Pow, e, d);
    return wrap(intPow(this.h, e.h), d);
  }
  /** `other - this` (Python's `2 - x`). */
  rsub(other: number): Tensor {
    const v = numberArg('rsub', 'other', other);
    return this.#affine(-1, v, binaryDType('rsub', 'sub', { dtype: scalarDType(other), kind: 'scalar' }, this.#operand()));
  }
  maximum(other: Tensor): Tensor {
    const h = tensorArg('maximum', 'other', other);
    return wrap(wasm().binary(this.h, h, BinaryOp.Maximum), this.#binaryDType('maximum', 'maximum', other));
  }
  minimum(other: Tensor): Tensor {
    const h = tensorArg('minimum', 'other', other);
    return wrap(wasm().binary(this.h, h, BinaryOp.Minimum), this.#binaryDType('minimum', 'minimum', other));
  }
  neg(): Tensor {
    return this.#unaryOp('neg', UnaryOp.Neg);
  }
  exp(): Tensor {
    return this.#unaryOp('exp', UnaryOp.Exp);
  }
  log(): Tensor {
    return this.#unaryOp('log', UnaryOp.Log);
  }
  sqrt(): Tensor {
    return this.#unaryOp('sqrt', UnaryOp.Sqrt);
  }
  abs(): Tensor {
    return this.#unaryOp('abs', UnaryOp.Abs);
  }
  reciprocal(): Tensor {
    return this.#unaryOp('reciprocal', UnaryOp.Recip);
  }
  relu(): Tensor {
    return this.#unaryOp('relu', UnaryOp.Relu);
  }
  sigmoid(): Tensor {
    return this.#unaryOp('sigmoid', UnaryOp.Sigmoid);
  }
  tanh(): Tensor {
    return this.#unaryOp('tanh', UnaryOp.Tanh);
  }
  /** -1, 0 or 1 (0 for NaN). */
  sign(): Tensor {
    return this.#unaryOp('sign', UnaryOp.Sign);
  }
  /** Rounding: `floor`, `ceil`, `trunc`, and `round` half to even (as PyTorch); zero gradient. */
  floor(): Tensor {
    return this.#unaryOp('floor', UnaryOp.Floor);
  }
  ceil(): Tensor {
    return this.#unaryOp('ceil', UnaryOp.Ceil);
  }
  trunc(): Tensor {
    return this.#unaryOp('trunc', UnaryOp.Trunc);
  }
  round(): Tensor {
    return this.#unaryOp('round', UnaryOp.Round);
  }
  /** `clamp(min, max)`; either bound may be omitted (`undefined`/`null`), not both. */
  clamp(min?: number | null, max?: number | null): Tensor {
    const lo = min === undefined || min === null ? NaN : numberArg('clamp', 'min', min);
    const hi = max === undefined || max === null ? NaN : numberArg('clamp', 'max', max);
    if (min == null && max == null) throw new TypeError("clamp: at least one of 'min' or 'max' must not be None (got " + `${show(min)}, ${show(max)})`);
    const bounds = [min, max].filter((v): v is number => v != null).map((v): Operand => ({ dtype: scalarDType(v), kind: 'scalar' }));
    const d = resultType([this.#operand(), ...bounds]);
    // a NaN bound makes every element NaN, as in PyTorch (the kernel reads NaN as no bound)
    if ((min != null && Number.isNaN(lo)) || (max != null && Number.isNaN(hi))) return this.mul(0).add(NaN);
    return wrap(wasm().clamp(this.h, lo, hi), d);
  }
  /** PyTorch's `F.leaky_relu(x, negative_slope)`: `x > 0 ? x : x * negative_slope`. */
  leakyRelu(negativeSlope = 0.01): Tensor {
    const d = unaryDType('leaky_relu', 'leaky_relu', this.dtype);
    return this.#unary(UnaryOp.LeakyRelu, numberArg('leaky_relu', 'negative_slope', negativeSlope), 0, d);
  }
  #affine(mul: number, add: number, dtype: DType = 'float32'): Tensor {
    return this.#unary(UnaryOp.Affine, mul, add, dtype);
  }
  /** An op of the core's op table (`ts/ops.generated.ts`); parameters are numbers checked by the caller. */
  #unary(op: UnaryOp, p0 = 0, p1 = 0, dtype: DType = 'float32'): Tensor {
    return wrap(wasm().unary(this.h, op, p0, p1), dtype);
  }
  #unaryOp(name: UnaryName, op: UnaryOp): Tensor {
    return this.#unary(op, 0, 0, unaryDType(name, name, this.dtype));
  }
  #binary(op: BinaryOp, other: Tensor, dtype: DType = 'float32'): Tensor {
    return wrap(wasm().binary(this.h, other.h, op), dtype);
  }
  /** This tensor as an operand of the promotion rules. */
  #operand(): Operand {
    return { dtype: this.dtype, kind: this.ndim === 0 ? 'zero' : 'dim' };
  }
  /** The result dtype of `this op other` (PyTorch's errors for refused dtypes). */
  #binaryDType(op: string, name: BinaryName, other: unknown): DType {
    const o: Operand = isTensor(other) ? other.#operand() : typeof other === 'number' || typeof other === 'boolean' ? { dtype: scalarDType(other), kind: 'scalar' } : this.#operand();
    return binaryDType(op, name, this.#operand(), o);
  }

  // ---- dtype casts (not recorded by autograd: ints never require grad) ----
  /** A copy as `dtype`: floats to ints truncate toward zero, anything to bool is `x != 0`. */
  #cast(dtype: DType): Tensor {
    return dtype === this.dtype ? this : wrap(castHandle(this.h, isFloating(this.dtype), dtype), dtype);
  }
  /** `t.float()`: float32. */
  float(): Tensor {
    return this.#cast('float32');
  }
  /** `t.long()`: int64. */
  long(): Tensor {
    return this.#cast('int64');
  }
  /** `t.int()`: int32. */
  int(): Tensor {
    return this.#cast('int32');
  }
  /** `t.bool()`: `t != 0`. */
  bool(): Tensor {
    return this.#cast('bool');
  }

  // ---- comparisons (bool tensors: 0/1, usable in arithmetic) ----
  gt(other: TensorOrScalar): Tensor {
    return this.#compare('gt', BinaryOp.Gt, other);
  }
  lt(other: TensorOrScalar): Tensor {
    return this.#compare('lt', BinaryOp.Lt, other);
  }
  ge(other: TensorOrScalar): Tensor {
    return this.#compare('ge', BinaryOp.Ge, other);
  }
  le(other: TensorOrScalar): Tensor {
    return this.#compare('le', BinaryOp.Le, other);
  }
  eq(other: TensorOrScalar): Tensor {
    return this.#compare('eq', BinaryOp.Eq, other);
  }
  /** `!=` (true for NaN). */
  ne(other: TensorOrScalar): Tensor {
    const e = this.eq(other);
    return wrap(wasm().unary(e.h, UnaryOp.Affine, -1, 1), 'bool');
  }
  #compare(name: string, op: BinaryOp, other: TensorOrScalar): Tensor {
    const o = asTensor(operandArg(name, 'other', other), this.device);
    return wrap(wasm().binary(this.h, o.h, op), 'bool');
  }

  // ---- reductions ----
  /** Sum over `dim` (a number or list; all dims when omitted). */
  sum(dim?: number | number[] | null, keepdim = false): Tensor {
    const d = reductionDType('sum', 'sum', this.dtype);
    return wrap(wasm().sum(this.h, dimsArg('sum', 'dim', dim, this.ndim), boolArg('sum', 'keepdim', keepdim)), d);
  }
  mean(dim?: number | number[] | null, keepdim = false): Tensor {
    const d = reductionDType('mean', 'mean', this.dtype);
    return wrap(wasm().mean(this.h, dimsArg('mean', 'dim', dim, this.ndim), boolArg('mean', 'keepdim', keepdim)), d);
  }
  /** Maximum values over `dim` (`amax`). */
  max(dim?: number | number[] | null, keepdim = false): Tensor {
    return wrap(wasm().max(this.h, dimsArg('max', 'dim', dim, this.ndim), boolArg('max', 'keepdim', keepdim)), this.dtype);
  }
  min(dim?: number | number[] | null, keepdim = false): Tensor {
    return wrap(wasm().min(this.h, dimsArg('min', 'dim', dim, this.ndim), boolArg('min', 'keepdim', keepdim)), this.dtype);
  }
  /** Index of the first maximum along `dim` (of the flattened tensor when omitted). */
  argmax(dim?: number | null, keepdim = false): Tensor {
    const t = reductionDType('argmax', 'argmax', this.dtype);
    const d = dim === undefined || dim === null ? undefined : dimArg('argmax', 'dim', dim, this.ndim);
    return wrap(wasm().argmax(this.h, d, boolArg('argmax', 'keepdim', keepdim)), t);
  }
  var(dim?: number | number[] | null, keepdim = false, unbiased = true): Tensor {
    reductionDType('var', 'var', this.dtype);
    return wrap(wasm().variance(this.h, dimsArg('var', 'dim', dim, this.ndim), boolArg('var', 'keepdim', keepdim), boolArg('var', 'unbiased', unbiased)));
  }
  softmax(dim: number): Tensor {
    unaryDType('softmax', 'softmax', this.dtype);
    return wrap(wasm().softmax(this.h, dimArg('softmax', 'dim', dim, this.ndim)));
  }
  logSoftmax(dim: number): Tensor {
    unaryDType('log_softmax', 'log_softmax', this.dtype);
    return wrap(wasm().logSoftmax(this.h, dimArg('log_softmax', 'dim', dim, this.ndim)));
  }

  // ---- linear algebra ----
  matmul(other: Tensor): Tensor {
    const h = tensorArg('matmul', 'other', other);
    return wrap(wasm().matmul(this.h, h), matmulDType(this.dtype, other.dtype));
  }

  // ---- movement ----
  /** `reshape(2, -1)` or `reshape([2, -1])`. */
  reshape(...shape: (number | number[])[]): Tensor {
    return wrap(wasm().reshape(this.h, viewShapeArg('reshape', shape)), this.dtype);
  }
  /** Same as {@link reshape} (ferrograd copies only when the layout requires it). */
  view(...shape: (number | number[])[]): Tensor {
    return wrap(wasm().reshape(this.h, viewShapeArg('view', shape)), this.dtype);
  }
  permute(...dims: (number | number[])[]): Tensor {
    return wrap(movement.permute(this, dims), this.dtype);
  }
  transpose(dim0: number, dim1: number): Tensor {
    const n = this.ndim;
    return wrap(wasm().transpose(this.h, dimArg('transpose', 'dim0', dim0, n), dimArg('transpose', 'dim1', dim1, n)), this.dtype);
  }
  /** Transpose of a ≤2-D tensor. */
  t(): Tensor {
    return wrap(wasm().t(this.h), this.dtype);
  }
  get T(): Tensor {
    return this.permute([...Array(this.ndim).keys()].reverse());
  }
  expand(...shape: (number | number[])[]): Tensor {
    return wrap(movement.expand(this, shape), this.dtype);
  }
  contiguous(): Tensor {
    return wrap(wasm().contiguous(this.h), this.dtype);
  }
  /**
   * `x[..., start:end:step, ...]` along `dim`, with Python's slice bounds: negative indices count
   * from the end, bounds past the ends are clamped, `step` is positive.
   */
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return wrap(movement.slice(this, dim, start, end, step), this.dtype);
  }
  /** `torch.narrow`: `length` entries of `dim` from `start` (negative `start` counts from the end). */
  narrow(dim: number, start: number, length: number): Tensor {
    return wrap(movement.narrow(this, dim, start, length), this.dtype);
  }
  /** `x[index]` along `dim` (the dim is removed). */
  select(dim: number, index: number): Tensor {
    return wrap(movement.select(this, dim, index), this.dtype);
  }
  /** `x[i]`: the i-th entry along the first dim. */
  at(index: number): Tensor {
    return this.select(0, movement.atIndex(this, index));
  }
  unsqueeze(dim: number): Tensor {
    return wrap(wasm().unsqueeze(this.h, dimArg('unsqueeze', 'dim', dim, this.ndim, 1)), this.dtype);
  }
  squeeze(dim?: number | null): Tensor {
    const d = dim === undefined || dim === null ? undefined : dimArg('squeeze', 'dim', dim, this.ndim);
    return wrap(wasm().squeeze(this.h, d), this.dtype);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return wrap(movement.flatten(this, startDim, endDim), this.dtype);
  }

  // ---- in place (no autograd; for parameter updates and loading) ----
  /** `x[...] = src` in place (src broadcasts); returns this tensor. */
  assign_(src: TensorOrScalar): this {
    wasm().assign(this.h, asTensor(operandArg('assign_', 'src', src), this.device).h);
    return this;
  }
  /** `x -= other` in place, outside autograd (e.g. `w.sub_(w.grad.mul(lr))`). */
  sub_(other: Tensor): this {
    wasm().axpby(this.h, 1, tensorArg('sub_', 'other', other), -1);
    return this;
  }
  /** `x += alpha * other` in place, outside autograd. */
  add_(other: Tensor, alpha = 1): this {
    wasm().axpby(this.h, 1, tensorArg('add_', 'other', other), numberArg('add_', 'alpha', alpha));
    return this;
  }
  /** `x = x * alpha + other * beta` in place (optimizer kernels). */
  axpby_(alpha: number, other: Tensor, beta: number): this {
    const op = 'axpby_';
    wasm().axpby(this.h, numberArg(op, 'alpha', alpha), tensorArg(op, 'other', other), numberArg(op, 'beta', beta));
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
    if (n !== 1) throw new RangeError(`item: only one-element tensors can be converted to a number, got shape [${this.shape.join(', ')}]`);
    // + 0: an integer tensor's -0 (0 * -1 in float32) reads as 0
    return data ? (isFloating(this.dtype) ? data[0]! : data[0]! + 0) : NaN;
  }
  /** Nested arrays of numbers (booleans for bool tensors), like `tolist()` (CPU; see {@link array}). */
  toArray(): NestedArray {
    if (this.device === 'gpu') throw syncReadError('toArray', this);
    return nestedArray(this.dataSync(), this.shape, this.dtype);
  }
  /** {@link toArray} on any device. */
  async array(): Promise<NestedArray> {
    return nestedArray(await this.data(), this.shape, this.dtype);
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
  if (typeof v !== 'number' && !isTensor(v)) throw new TypeError(`expected a Tensor or a number, got ${show(v)}`);
  return typeof v === 'number' ? wrap(wasm().fromF32(Float32Array.of(v), new Uint32Array(0), DEVICE_CODES[device])) : v;
}

/** Whether `1 / v` is exact in float32 (v a normal power of two), so `x * (1/v)` is `x / v`. */
function exactReciprocal(v: number): boolean {
  const a = Math.abs(v);
  if (!(a >= 2 ** -126 && a <= 2 ** 126)) return false;
  const e = Math.log2(a);
  return Number.isInteger(e);
}

registerTensorClass(Tensor);
