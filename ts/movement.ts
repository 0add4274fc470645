/**
 * The Tensor's shape and indexing ops that check more than a dim (`permute`, `expand`, `slice`,
 * `narrow`, `select`, `at`, `flatten`): PyTorch's argument rules and messages, then the core
 * call, returning the new core handle (the Tensor methods wrap it with the tensor's dtype).
 * @module
 */
import { dimArg, intArg, intListArg, optIntArg, shapeArg, show } from './check.js';
import type { Tensor } from './tensor.js';
import { wasm } from './wasm.js';

/** `t.permute(...dims)`: `dims` must be a permutation of `t`'s dims. */
export function permute(t: Tensor, dims: (number | number[])[]): number {
  const list = intListArg('permute', 'dims', dims);
  const n = t.ndim;
  if (list.length !== n) throw new RangeError(`permute: number of dims don't match in permute: got ${show(list)} for a tensor of shape [${t.shape.join(', ')}]`);
  const d = list.map((x, i) => dimArg('permute', `dims[${i}]`, x, n));
  if (new Set(d).size !== n) throw new RangeError(`permute: repeated dim in ${show(list)}`);
  return wasm().permute(t.h, Int32Array.from(d));
}

/** `t.expand(...shape)`: new leading dims, and -1 for a size kept. */
export function expand(t: Tensor, shape: (number | number[])[]): number {
  const s = intListArg('expand', 'size', shape);
  const cur = t.shape;
  if (s.length < cur.length) throw new RangeError(`expand: the number of sizes provided (${s.length}) must be greater or equal to the number of dimensions in the tensor (${cur.length})`);
  const full = s.map((d, i) => {
    const j = i - (s.length - cur.length);
    if (d === -1) {
      if (j < 0) throw new RangeError(`expand: -1 is not allowed in a leading, non-existing dimension (size ${show(s)})`);
      return cur[j]!;
    }
    return d;
  });
  return wasm().expand(t.h, shapeArg('expand', 'size', full));
}

/** `t.slice(dim, start, end, step)`: Python's slice bounds (negative from the end, clamped). */
export function slice(t: Tensor, dim: number, start: number | null | undefined, end: number | null | undefined, step: number): number {
  const op = 'slice';
  const d = dimArg(op, 'dim', dim, t.ndim);
  const s = optIntArg(op, 'start', start);
  const e = optIntArg(op, 'end', end);
  const st = intArg(op, 'step', step);
  if (st <= 0) throw new RangeError(`slice: step must be greater than zero, got ${st}`);
  if (t.ndim === 0) throw new RangeError('slice: cannot slice a 0-d tensor');
  const size = t.shape[d]!;
  const clampBound = (v: number | undefined, dflt: number): number => (v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + size : v, 0), size));
  // a step past the dim's size picks the range's first element alone, as a step of the size
  // does (and the core's step is a u32: 2**32 must not wrap to 0)
  return wasm().slice(t.h, d, clampBound(s, 0), clampBound(e, size), Math.min(st, Math.max(size, 1)));
}

/** `t.narrow(dim, start, length)`. */
export function narrow(t: Tensor, dim: number, start: number, length: number): number {
  const op = 'narrow';
  if (t.ndim === 0) throw new RangeError('narrow: narrow() cannot be applied to a 0-dim tensor');
  const d = dimArg(op, 'dim', dim, t.ndim);
  const size = t.shape[d]!;
  const s0 = intArg(op, 'start', start, -size, size);
  const len = intArg(op, 'length', length, 0);
  const s = s0 < 0 ? s0 + size : s0;
  if (s + len > size) throw new RangeError(`narrow: start (${s0}) + length (${len}) exceeds dimension size (${size})`);
  return wasm().slice(t.h, d, s, s + len, 1);
}

/** `t.select(dim, index)`. */
export function select(t: Tensor, dim: number, index: number): number {
  const op = 'select';
  if (t.ndim === 0) throw new RangeError('select: select() cannot be applied to a 0-dim tensor');
  const d = dimArg(op, 'dim', dim, t.ndim);
  const size = t.shape[d]!;
  if (typeof index !== 'number' || !Number.isInteger(index)) intArg(op, 'index', index);
  if (index < -size || index >= size) throw new RangeError(`select: index ${show(index)} is out of range for dimension ${d} with size ${size}`);
  return wasm().select(t.h, d, index < 0 ? index + size : index);
}

/** The index of `t.at(index)` along the first dim, checked with `at`'s messages. */
export function atIndex(t: Tensor, index: number): number {
  if (t.ndim === 0) throw new RangeError('at: invalid index of a 0-dim tensor');
  const size = t.shape[0]!;
  const i = intArg('at', 'index', index, -(2 ** 53), 2 ** 53);
  if (i < -size || i >= size) throw new RangeError(`at: index ${i} is out of range for dimension 0 with size ${size}`);
  return i;
}

/** `t.flatten(startDim, endDim)`. */
export function flatten(t: Tensor, startDim: number, endDim: number): number {
  const n = t.ndim;
  const s = dimArg('flatten', 'start_dim', startDim, n);
  const e = dimArg('flatten', 'end_dim', endDim, n);
  if (s > e) throw new RangeError(`flatten: start_dim (${startDim}) cannot come after end_dim (${endDim})`);
  return wasm().flatten(t.h, s, e);
}
