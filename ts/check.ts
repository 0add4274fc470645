/**
 * The one validation layer at the TS→wasm boundary. Every exported function and module
 * constructor checks its arguments here, once, before anything reaches the core:
 *
 * - tensor operands are live {@link Tensor}s of this instance (a number only where PyTorch takes
 *   a Python scalar);
 * - dims, sizes, indices and steps are safe integers in range (never wrapped at 2³², never 1.5,
 *   NaN, null or '1'), and dims come back normalised;
 * - option objects are checked field by field, and unknown fields are rejected (PyTorch's
 *   "unexpected keyword argument").
 *
 * Errors are `TypeError` (wrong kind of value) or `RangeError` (right kind, out of range) whose
 * message names the op, the argument and the value it got, as PyTorch's do. The Rust side keeps
 * its own checks: a wrong handle never reaches a kernel, whatever the caller.
 * @module
 */
import type { Tensor } from './tensor.js';

/** The Tensor class, registered by tensor.ts (a static import would be circular). */
let TensorClass: (abstract new (...args: never[]) => Tensor) | undefined;

/** @internal */
export function registerTensorClass(c: abstract new (...args: never[]) => Tensor): void {
  TensorClass = c;
}

/** @internal Whether `v` is a ferrograd Tensor (live or not). */
export function isTensor(v: unknown): v is Tensor {
  return TensorClass !== undefined && v instanceof TensorClass;
}

/** The largest size of one dim and of a whole tensor: the core's u32 element indices. */
export const MAX_NUMEL = 2 ** 32 - 1;

/** A short, exact rendering of any value for an error message. */
export function show(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
  if (typeof v === 'symbol') return v.toString();
  if (isTensor(v)) return v._h < 0 ? 'a freed tensor' : `a tensor of shape [${v.shape.join(', ')}]`;
  if (Array.isArray(v)) {
    const items = v.slice(0, 8).map((x) => (Array.isArray(x) ? '[…]' : show(x)));
    return `[${items.join(', ')}${v.length > 8 ? ', …' : ''}]`;
  }
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as ArrayLike<number>).length ?? v.byteLength}`;
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'number') return 'a non-integer number';
  if (typeof v === 'object') return show(v);
  return typeof v;
}

/** The handle of a live tensor argument. */
export function tensorArg(op: string, name: string, v: unknown): number {
  if (!isTensor(v)) throw new TypeError(`${op}: argument '${name}' must be a Tensor, got ${show(v)}`);
  return v.h;
}

/** The handle of an optional tensor argument (`null`/`undefined`: none). */
export function optTensorArg(op: string, name: string, v: unknown): number | undefined {
  return v === null || v === undefined ? undefined : tensorArg(op, name, v);
}

/** Handles of a non-empty list of tensors (`cat`, `stack`). */
export function tensorListArg(op: string, name: string, v: unknown): Uint32Array {
  if (!Array.isArray(v)) throw new TypeError(`${op}: argument '${name}' must be an array of Tensors, got ${show(v)}`);
  if (v.length === 0) throw new RangeError(`${op}: argument '${name}' must be a non-empty array of Tensors`);
  return Uint32Array.from(v.map((t, i) => tensorArg(op, `${name}[${i}]`, t)));
}

/** A tensor or a JS number (PyTorch's "Tensor or Python scalar"); booleans count as 0/1. */
export function operandArg(op: string, name: string, v: unknown): Tensor | number {
  if (isTensor(v)) {
    tensorArg(op, name, v);
    return v;
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TypeError(`${op}: argument '${name}' must be a Tensor or a number, got ${show(v)}`);
}

/** A JS number (any value, NaN and ±Infinity included, as a Python float). */
export function numberArg(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${op}: argument '${name}' must be a number, got ${show(v)}`);
  return v;
}

export interface RangeSpec {
  min?: number;
  max?: number;
  /** Exclusive bounds (`(0, 1)`). */
  minExclusive?: boolean;
  maxExclusive?: boolean;
  /** ±Infinity allowed (default: no). NaN never is. */
  infinite?: boolean;
}

/** A real number in a range (learning rates, probabilities, eps, momentum, bounds). */
export function realArg(op: string, name: string, v: unknown, r: RangeSpec = {}): number {
  const x = numberArg(op, name, v);
  const lo = r.min ?? -Infinity;
  const hi = r.max ?? Infinity;
  const inRange = (r.minExclusive ? x > lo : x >= lo) && (r.maxExclusive ? x < hi : x <= hi);
  if (Number.isNaN(x) || !inRange || (!r.infinite && !Number.isFinite(x))) {
    const range = `${r.minExclusive ? '(' : '['}${lo}, ${hi}${r.maxExclusive ? ')' : ']'}`;
    throw new RangeError(`${op}: argument '${name}' must be a ${r.infinite ? '' : 'finite '}number in ${range}, got ${show(x)}`);
  }
  return x;
}

/** A safe integer in `[min, max]`. */
export function intArg(op: string, name: string, v: unknown, min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: argument '${name}' must be an integer, got ${kindOf(v)} (${show(v)})`);
  if (v < min || v > max || !Number.isSafeInteger(v)) throw new RangeError(`${op}: argument '${name}' must be an integer in [${min}, ${max}], got ${show(v)}`);
  return v;
}

/** An optional integer (`undefined` → `undefined`; `null` too, as Python's None). */
export function optIntArg(op: string, name: string, v: unknown, min?: number, max?: number): number | undefined {
  return v === undefined || v === null ? undefined : intArg(op, name, v, min, max);
}

/** A dim of a rank-`ndim` tensor, normalised to `[0, ndim)` (`[0, ndim]` with `extra`). */
export function dimArg(op: string, name: string, v: unknown, ndim: number, extra = 0): number {
  const n = Math.max(ndim + extra, 1);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: argument '${name}' must be an integer dim, got ${kindOf(v)} (${show(v)})`);
  if (v < -n || v >= n) throw new RangeError(`${op}: dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${show(v)})`);
  return v < 0 ? v + n : v;
}

/** Dims as PyTorch's `dim` argument: one dim, a list of distinct dims, or all when omitted. */
export function dimsArg(op: string, name: string, v: unknown, ndim: number): Int32Array {
  if (v === undefined || v === null) return new Int32Array(0);
  const list = Array.isArray(v) ? v : [v];
  const out = list.map((d, i) => dimArg(op, Array.isArray(v) ? `${name}[${i}]` : name, d, ndim));
  const seen = new Set<number>();
  for (const d of out) {
    if (seen.has(d)) throw new RangeError(`${op}: dim ${d} appears multiple times in the list of dims ${show(v)}`);
    seen.add(d);
  }
  return Int32Array.from(out);
}

/** A shape: an array of safe non-negative integers whose product fits the core's indices. */
export function shapeArg(op: string, name: string, v: unknown): Uint32Array {
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw new TypeError(`${op}: argument '${name}' must be an array of integers, got ${show(v)}`);
  const list = Array.from(v as ArrayLike<unknown>);
  let numel = 1;
  list.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d)) throw new TypeError(`${op}: ${name}[${i}] must be an integer, got ${kindOf(d)} (${show(d)}) in ${show(v)}`);
    if (d < 0) throw new RangeError(`${op}: negative dimension ${d} in ${name} ${show(v)}`);
    if (d > MAX_NUMEL) throw new RangeError(`${op}: ${name}[${i}] = ${d} is larger than the largest dim ${MAX_NUMEL} (in ${show(v)})`);
    numel *= d;
  });
  if (numel > MAX_NUMEL) throw new RangeError(`${op}: ${name} ${show(v)} has ${numel} elements, more than the ${MAX_NUMEL} a tensor can hold`);
  return Uint32Array.from(list as number[]);
}

/** A shape given as varargs or one array (`reshape(2, 3)` / `reshape([2, 3])`), -1 allowed once. */
export function viewShapeArg(op: string, args: unknown[]): Int32Array {
  const flat = args.length === 1 && (Array.isArray(args[0]) || ArrayBuffer.isView(args[0])) ? Array.from(args[0] as ArrayLike<unknown>) : args;
  let inferred = 0;
  flat.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d)) throw new TypeError(`${op}: shape[${i}] must be an integer, got ${kindOf(d)} (${show(d)})`);
    if (d === -1) inferred++;
    else if (d < 0 || d > MAX_NUMEL) throw new RangeError(`${op}: invalid shape dimension ${d} in ${show(flat)}`);
  });
  if (inferred > 1) throw new RangeError(`${op}: only one dimension can be inferred (-1), got ${show(flat)}`);
  return Int32Array.from(flat as number[]);
}

/** A list of integers given as varargs or one array (`permute(1, 0)` / `permute([1, 0])`). */
export function intListArg(op: string, name: string, args: unknown[]): unknown[] {
  return args.length === 1 && (Array.isArray(args[0]) || ArrayBuffer.isView(args[0])) ? Array.from(args[0] as ArrayLike<unknown>) : args;
}

/** A boolean flag (`keepdim`, `training`, ...). */
export function boolArg(op: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${op}: argument '${name}' must be a boolean, got ${show(v)}`);
  return v;
}

/** One of a fixed set of strings. */
export function enumArg<T extends string>(op: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new (typeof v === 'string' ? RangeError : TypeError)(`${op}: argument '${name}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${show(v)}`);
  }
  return v as T;
}

/**
 * An options object: `undefined` means `{}`; anything else must be a plain object whose keys are
 * all in `allowed` (a typo is an error, as an unexpected keyword argument is in Python).
 */
export function optionsArg<T extends object>(op: string, v: T | undefined, allowed: readonly (keyof T & string)[]): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v) || isTensor(v)) {
    throw new TypeError(`${op}: options must be an object, got ${show(v)}`);
  }
  for (const k of Object.keys(v)) {
    if (!(allowed as readonly string[]).includes(k)) {
      throw new TypeError(`${op}: got an unexpected option '${k}' (expected ${allowed.map((a) => `'${a}'`).join(', ')})`);
    }
  }
  return v;
}

/** A size/stride/padding given once for both spatial axes or as a pair, as `[h, w]`. */
export function pairArg(op: string, name: string, v: unknown, min: number): [number, number] {
  const vals = Array.isArray(v) ? v : [v, v];
  if (vals.length !== 2 && vals.length !== 1) throw new TypeError(`${op}: argument '${name}' must be an integer or a pair of them, got ${show(v)}`);
  const [a, b = a] = vals.map((x, i) => intArg(op, Array.isArray(v) ? `${name}[${i}]` : name, x, min, 0x7fffffff)) as [number, number?];
  return [a, b!];
}
