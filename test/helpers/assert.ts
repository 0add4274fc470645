import { expect } from 'vitest';
import { fromArray, type NestedArray, type Tensor } from 'ferrograd';

/** Flattens nested arrays of numbers. */
export function flat(a: NestedArray | ArrayLike<number>): number[] {
  if (typeof a === 'number') return [a];
  if (typeof a === 'boolean') return [a ? 1 : 0];
  if (Array.isArray(a)) return (a as NestedArray[]).flatMap((x) => flat(x));
  return Array.from(a as ArrayLike<number>);
}

/** Elementwise |a - b| <= atol + rtol |b| with a readable failure. */
export function expectClose(actual: Tensor | ArrayLike<number> | NestedArray, expected: Tensor | ArrayLike<number> | NestedArray, rtol = 1e-5, atol = 1e-6): void {
  const a = isTensor(actual) ? Array.from(actual.dataSync()) : flat(actual as NestedArray);
  const e = isTensor(expected) ? Array.from(expected.dataSync()) : flat(expected as NestedArray);
  expect(a.length, 'element count').toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i]! - e[i]!) <= atol + rtol * Math.abs(e[i]!) || a[i] === e[i] || (Number.isNaN(a[i]) && Number.isNaN(e[i]));
    if (!ok) expect.fail(`element ${i}: got ${a[i]}, expected ${e[i]} (rtol ${rtol}, atol ${atol})`);
  }
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'dataSync' in x;
}

/**
 * Central finite differences of scalar `f` with respect to every element of `x` (computed in
 * float32 by the library, so use a step around 1e-2 and a loose tolerance).
 */
export function numericGrad(f: () => number, x: Tensor, eps = 1e-2): Float32Array {
  const base = x.dataSync();
  const g = new Float32Array(base.length);
  const shape = x.shape;
  for (let i = 0; i < base.length; i++) {
    const probe = (delta: number): number => {
      const v = Float32Array.from(base);
      v[i]! += delta;
      x.assign_(fromArray(v, shape));
      return f();
    };
    g[i] = (probe(eps) - probe(-eps)) / (2 * eps);
  }
  x.assign_(fromArray(base, shape));
  return g;
}

