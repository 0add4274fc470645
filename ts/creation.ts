/**
 * Creating tensors: from nested arrays and typed arrays, and `zeros`/`ones`/`rand`/... like
 * PyTorch's factory functions.
 * @module
 */
import { castValues, checkRequiresGrad, DTYPES, isFloating, TORCH_NAME, type DType } from './dtype.js';
import { deviceCode, wrap, type DeviceSpec, type NestedArray, type Tensor } from './tensor.js';
import { boolArg, enumArg, intArg, MAX_NUMEL, numberArg, optionsArg, realArg, shapeArg, show, tensorArg } from './check.js';
import { wasm } from './wasm.js';

export interface TensorOptions {
  requiresGrad?: boolean;
  /** `'cpu'`, `'gpu'` (after `await initGpu()`) or `'auto'`; default: {@link getDefaultDevice}. */
  device?: DeviceSpec;
  /**
   * The dtype (`torch.float32`, `int64`, `int32`, `bool`); storage is float32 for all, so
   * integers are exact for |v| < 2^24 and larger ones are refused.
   */
  dtype?: DType;
}

/** A tensor shape. */
export type Shape = number[] | readonly number[];

let defaultDevice: DeviceSpec = 'cpu';

/** Where factory functions put tensors when no `device` is given (`torch.set_default_device`). */
export function setDefaultDevice(device: DeviceSpec): void {
  enumArg('setDefaultDevice', 'device', device, ['cpu', 'gpu', 'auto']);
  deviceCode(device);
  defaultDevice = device;
}
export function getDefaultDevice(): DeviceSpec {
  return defaultDevice;
}
/** Runs `fn` with another default device (lazy layers materialise on the model's device). */
export function withDefaultDevice<T>(device: DeviceSpec, fn: () => T): T {
  const prev = defaultDevice;
  setDefaultDevice(device);
  try {
    return fn();
  } finally {
    defaultDevice = prev;
  }
}

const TENSOR_OPTIONS = ['requiresGrad', 'device', 'dtype'] as const;

/** Checks `opts` field by field (with `extra` fields of the op); the device code to use. */
function checked<T extends TensorOptions>(op: string, opts: T | undefined, extra: readonly (keyof T & string)[] = []): [Partial<T>, number] {
  const o = optionsArg(op, opts, [...TENSOR_OPTIONS, ...extra] as (keyof T & string)[]);
  if (o.requiresGrad !== undefined) boolArg(op, 'requires_grad', o.requiresGrad);
  if (o.dtype !== undefined) enumArg(op, 'dtype', o.dtype, DTYPES);
  if (o.requiresGrad && o.dtype !== undefined) checkRequiresGrad(op, o.dtype);
  if (o.device !== undefined && o.device !== 'cpu' && o.device !== 'gpu' && o.device !== 'auto') enumArg(op, 'device', o.device, ['cpu', 'gpu', 'auto']);
  return [o, deviceCode(o.device ?? defaultDevice)];
}

function flattenNested(data: NestedArray, op: string): { values: Float32Array; shape: number[]; allBool: boolean } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0]!;
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  let k = 0;
  let allBool = n > 0;
  const walk = (v: NestedArray, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new RangeError(`${op}: ragged nested array: expected a number at [${path.join('][')}] but found an array (shape so far [${shape.join(', ')}])`);
      if (typeof v === 'boolean') v = v ? 1 : 0;
      else allBool = false;
      if (typeof v !== 'number') throw new TypeError(`${op}: expected numbers, found ${show(v)} at [${path.join('][')}]`);
      values[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const got = Array.isArray(v) ? `length ${v.length}` : 'a number';
      throw new RangeError(`${op}: ragged nested array: expected length ${shape[depth]} at [${path.join('][')}] (shape [${shape.join(', ')}]) but got ${got}`);
    }
    v.forEach((x, i) => walk(x, depth + 1, [...path, i]));
  };
  walk(data, 0, []);
  return { values, shape, allBool };
}

/** Random floats have no integer form (PyTorch's "not implemented for 'Long'"). */
function floatOnly(op: string, kernel: string, dtype: DType | undefined): void {
  if (dtype !== undefined && !isFloating(dtype)) throw new TypeError(`${op}: "${kernel}" not implemented for '${TORCH_NAME[dtype]}'`);
}

function finish(t: Tensor, opts: Partial<TensorOptions>): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function checkShape(op: string, shape: Shape): Uint32Array {
  return shapeArg(op, 'size', shape);
}

/**
 * `torch.tensor`: from a number, nested arrays (`[[0, 1, 2], [3, 4, 5]]`) or a typed array
 * (1-D; reshape it, or use {@link fromArray} with a shape).
 */
export function tensor(data: NestedArray | ArrayLike<number>, opts: TensorOptions = {}): Tensor {
  const op = 'tensor';
  const [o, device] = checked(op, opts);
  let values: Float32Array;
  let shape: number[];
  let inferred: DType = 'float32';
  if (typeof data === 'number' || typeof data === 'boolean') {
    values = Float32Array.of(Number(data));
    shape = [];
    if (typeof data === 'boolean') inferred = 'bool';
  } else if (Array.isArray(data)) {
    let allBool: boolean;
    ({ values, shape, allBool } = flattenNested(data as NestedArray, op));
    if (allBool) inferred = 'bool';
  } else if (isNumericView(data)) {
    values = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    shape = [values.length];
  } else {
    throw new TypeError(`tensor: could not infer dtype of ${show(data)}: expected a number, a boolean, nested arrays of numbers or a typed array`);
  }
  shapeArg(op, 'shape', shape);
  // JS numbers cannot tell 1 from 1.0: `tensor([1, 2])` is float32 (PyTorch: int64); all
  // booleans infer bool, as PyTorch; ask for `dtype: 'int64'` for integer tensors
  const dtype = o.dtype ?? inferred;
  return finish(wrap(wasm().fromF32(castValues(op, values, dtype), Uint32Array.from(shape), device), dtype), o);
}

/** A typed array of numbers (not a DataView, not BigInt64Array). */
function isNumericView(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

/** A tensor of `shape` over flat row-major `data`. */
export function fromArray(data: ArrayLike<number>, shape: Shape, opts: TensorOptions = {}): Tensor {
  const op = 'fromArray';
  const [o, device] = checked(op, opts);
  const dims = checkShape(op, shape);
  let values: Float32Array;
  const raw: unknown = data;
  if (isNumericView(raw)) {
    values = raw instanceof Float32Array ? raw : Float32Array.from(raw);
  } else if (Array.isArray(raw)) {
    raw.forEach((v: unknown, i: number) => {
      if (typeof v !== 'number' && typeof v !== 'boolean') throw new TypeError(`${op}: data[${i}] must be a number, got ${show(v)}`);
    });
    values = Float32Array.from(raw as number[], Number);
  } else {
    throw new TypeError(`${op}: argument 'data' must be an array or typed array of numbers, got ${show(data)}`);
  }
  const numel = dims.reduce((a, b) => a * b, 1);
  if (values.length !== numel) throw new RangeError(`${op}: ${values.length} values do not fill shape [${dims.join(', ')}] (${numel} elements)`);
  return finish(wrap(wasm().fromF32(castValues(op, values, o.dtype ?? 'float32'), dims, device), o.dtype), o);
}

export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  const [o, device] = checked('full', opts);
  const dims = checkShape('full', shape);
  const v = typeof value === 'boolean' ? Number(value) : numberArg('full', 'fill_value', value);
  const cast = castValues('full', Float32Array.of(v), o.dtype ?? 'float32')[0]!;
  return finish(wrap(wasm().full(dims, cast, device), o.dtype), o);
}
export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  const [o, device] = checked('zeros', opts);
  return finish(wrap(wasm().zeros(checkShape('zeros', shape), device), o.dtype), o);
}
export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  const [o, device] = checked('ones', opts);
  return finish(wrap(wasm().ones(checkShape('ones', shape), device), o.dtype), o);
}
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  tensorArg('zeros_like', 'input', t);
  return zeros(t.shape, { device: t.device, ...opts });
}
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  tensorArg('ones_like', 'input', t);
  return ones(t.shape, { device: t.device, ...opts });
}

type RandOptions = TensorOptions & { low?: number; high?: number };
type RandnOptions = TensorOptions & { mean?: number; std?: number };

/** Uniform samples in `[0, 1)` (or `[low, high)`) from the seeded generator. */
export function rand(shape: Shape, opts: RandOptions = {}): Tensor {
  const op = 'rand';
  const [o, device] = checked<RandOptions>(op, opts, ['low', 'high']);
  const dims = checkShape(op, shape);
  const low = realArg(op, 'low', o.low ?? 0);
  const high = realArg(op, 'high', o.high ?? 1);
  if (low > high) throw new RangeError(`rand: uniform_ expects to return a [from, to) range, but found from=${low} > to=${high}`);
  floatOnly(op, 'check_uniform_bounds', o.dtype);
  return finish(wrap(wasm().rand(dims, low, high, device), o.dtype), o);
}
/** Normal samples (mean 0, std 1 unless given) from the seeded generator. */
export function randn(shape: Shape, opts: RandnOptions = {}): Tensor {
  const op = 'randn';
  const [o, device] = checked<RandnOptions>(op, opts, ['mean', 'std']);
  const dims = checkShape(op, shape);
  const mean = realArg(op, 'mean', o.mean ?? 0);
  floatOnly(op, 'normal_kernel_cpu', o.dtype);
  const std = o.std ?? 1;
  if (typeof std !== 'number' || !(std >= 0) || !Number.isFinite(std)) {
    if (typeof std !== 'number') numberArg(op, 'std', std);
    throw new RangeError(`randn: normal expects std >= 0.0, but found std ${show(std)}`);
  }
  return finish(wrap(wasm().randn(dims, mean, std, device), o.dtype), o);
}

/** `arange(end)`, `arange(start, end)` or `arange(start, end, step)`. */
export function arange(a: number, b?: number | null, step = 1, opts: TensorOptions = {}): Tensor {
  const op = 'arange';
  const [o, device] = checked(op, opts);
  const [start, end] = b === undefined || b === null ? [0, realArg(op, 'end', a)] : [realArg(op, 'start', a), realArg(op, 'end', b)];
  const st = realArg(op, 'step', step);
  if (st === 0) throw new RangeError('arange: step must be nonzero');
  if ((end - start) * st < 0) throw new RangeError(`arange: upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${st})`);
  const n = Math.ceil((end - start) / st);
  if (n > MAX_NUMEL) throw new RangeError(`arange: ${n} elements are more than a tensor can hold (${MAX_NUMEL})`);
  const allInt = [start, end, st].every(Number.isInteger);
  return finish(wrap(wasm().arange(start, end, st, device), o.dtype ?? (allInt ? 'int64' : 'float32')), o);
}

/** Seeds every random op (init, dropout, shuffling), like `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  intArg('manualSeed', 'seed', seed, 0);
  wasm().manualSeed(seed);
}

/**
 * The generator's whole state, `[seed, counter]` (`torch.get_rng_state`): with
 * {@link setRngState} a checkpoint resumes with the same dropout masks and draws.
 */
export function rngState(): [seed: number, counter: number] {
  const [seed = 0, counter = 0] = wasm().rngState();
  return [seed, counter];
}

/** Restores a state from {@link rngState} (`torch.set_rng_state`). */
export function setRngState(state: readonly [seed: number, counter: number]): void {
  if (!Array.isArray(state) || state.length !== 2) throw new TypeError(`setRngState: expected [seed, counter], got ${show(state)}`);
  const [seed, counter] = state;
  if (![seed, counter].every((v) => Number.isSafeInteger(v) && v >= 0)) throw new Error(`setRngState: expected [seed, counter] of non-negative safe integers, got [${state.join(', ')}]`);
  wasm().setRngState(seed, counter);
}

/** Runs `fn` without recording autograd (`torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`noGrad: expected a function, got ${show(fn)}`);
  const prev = wasm().setGradEnabled(false);
  try {
    return fn();
  } finally {
    wasm().setGradEnabled(prev);
  }
}

export function isGradEnabled(): boolean {
  return wasm().gradEnabled();
}
