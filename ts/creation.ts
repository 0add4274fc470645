/**
 * Creating tensors: from nested arrays and typed arrays, and `zeros`/`ones`/`rand`/... like
 * PyTorch's factory functions.
 * @module
 */
import type { DType } from './format.js';
import { deviceCode, wrap, type DeviceSpec, type NestedArray, type Tensor } from './tensor.js';
import { wasm } from './wasm.js';

export interface TensorOptions {
  requiresGrad?: boolean;
  /** `'cpu'`, `'gpu'` (after `await initGpu()`) or `'auto'`; default: {@link getDefaultDevice}. */
  device?: DeviceSpec;
  /** Display dtype ('int64' prints like PyTorch's integer tensors); storage is float32. */
  dtype?: DType;
}

/** A tensor shape. */
export type Shape = number[] | readonly number[];

let defaultDevice: DeviceSpec = 'cpu';

/** Where factory functions put tensors when no `device` is given (`torch.set_default_device`). */
export function setDefaultDevice(device: DeviceSpec): void {
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

function dev(opts: TensorOptions): number {
  return deviceCode(opts.device ?? defaultDevice);
}

function flattenNested(data: NestedArray, op: string): { values: Float32Array; shape: number[] } {
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
  const walk = (v: NestedArray, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new Error(`${op}: ragged nested array: expected a number at [${path.join('][')}] but found an array (shape so far [${shape.join(', ')}])`);
      if (typeof v === 'boolean') v = v ? 1 : 0;
      if (typeof v !== 'number') throw new Error(`${op}: expected numbers, found ${typeof v} at [${path.join('][')}]`);
      values[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const got = Array.isArray(v) ? `length ${v.length}` : 'a number';
      throw new Error(`${op}: ragged nested array: expected length ${shape[depth]} at [${path.join('][')}] (shape [${shape.join(', ')}]) but got ${got}`);
    }
    v.forEach((x, i) => walk(x, depth + 1, [...path, i]));
  };
  walk(data, 0, []);
  return { values, shape };
}

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

function checkShape(op: string, shape: Shape): Uint32Array {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: shape [${shape.join(', ')}] must hold non-negative integers`);
  }
  return Uint32Array.from(shape);
}

/**
 * `torch.tensor`: from a number, nested arrays (`[[0, 1, 2], [3, 4, 5]]`) or a typed array
 * (1-D; reshape it, or use {@link fromArray} with a shape).
 */
export function tensor(data: NestedArray | ArrayLike<number>, opts: TensorOptions = {}): Tensor {
  let values: Float32Array;
  let shape: number[];
  if (typeof data === 'number' || typeof data === 'boolean') {
    values = Float32Array.of(Number(data));
    shape = [];
  } else if (Array.isArray(data)) {
    ({ values, shape } = flattenNested(data as NestedArray, 'tensor'));
  } else if (ArrayBuffer.isView(data) || typeof (data as ArrayLike<number>).length === 'number') {
    values = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    shape = [values.length];
  } else {
    throw new Error(`tensor: cannot make a tensor from ${typeof data}`);
  }
  const dtype = opts.dtype ?? (typeof data === 'boolean' ? 'bool' : 'float32');
  return finish(wrap(wasm().fromF32(values, Uint32Array.from(shape), dev(opts)), dtype), opts);
}

/** A tensor of `shape` over flat row-major `data`. */
export function fromArray(data: ArrayLike<number>, shape: Shape, opts: TensorOptions = {}): Tensor {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  return finish(wrap(wasm().fromF32(values, checkShape('fromArray', shape), dev(opts)), opts.dtype), opts);
}

export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  return finish(wrap(wasm().full(checkShape('full', shape), value, dev(opts)), opts.dtype), opts);
}
export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  return finish(wrap(wasm().zeros(checkShape('zeros', shape), dev(opts)), opts.dtype), opts);
}
export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return finish(wrap(wasm().ones(checkShape('ones', shape), dev(opts)), opts.dtype), opts);
}
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return zeros(t.shape, { device: t.device, ...opts });
}
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return ones(t.shape, { device: t.device, ...opts });
}

/** Uniform samples in `[0, 1)` (or `[low, high)`) from the seeded generator. */
export function rand(shape: Shape, opts: TensorOptions & { low?: number; high?: number } = {}): Tensor {
  return finish(wrap(wasm().rand(checkShape('rand', shape), opts.low ?? 0, opts.high ?? 1, dev(opts))), opts);
}
/** Normal samples (mean 0, std 1 unless given) from the seeded generator. */
export function randn(shape: Shape, opts: TensorOptions & { mean?: number; std?: number } = {}): Tensor {
  return finish(wrap(wasm().randn(checkShape('randn', shape), opts.mean ?? 0, opts.std ?? 1, dev(opts))), opts);
}

/** `arange(end)`, `arange(start, end)` or `arange(start, end, step)`. */
export function arange(a: number, b?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const [start, end] = b === undefined ? [0, a] : [a, b];
  const allInt = [start, end, step].every(Number.isInteger);
  return finish(wrap(wasm().arange(start, end, step, dev(opts)), opts.dtype ?? (allInt ? 'int64' : 'float32')), opts);
}

/** Seeds every random op (init, dropout, shuffling), like `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`manualSeed: seed must be a non-negative integer, got ${seed}`);
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
  const [seed, counter] = state;
  if (![seed, counter].every((v) => Number.isSafeInteger(v) && v >= 0)) throw new Error(`setRngState: expected [seed, counter] of non-negative safe integers, got [${state.join(', ')}]`);
  wasm().setRngState(seed, counter);
}

/** Runs `fn` without recording autograd (`torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
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
