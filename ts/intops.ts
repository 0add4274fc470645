/**
 * Integer arithmetic on the core's float32 storage, on core handles: dtype casts, integer
 * powers, and rounded division and remainders (`torch.floor_divide`, `div(rounding_mode=...)`,
 * `torch.remainder`, `torch.fmod`) composed from the core's elementwise ops, on core handles.
 *
 * Integer dtypes are exact for |values| < 2^24. The quotient of the magnitudes, floor(|a|/|b|)
 * in float32, is exact when the division is correctly rounded (the CPU: a non-integer quotient
 * is at least 1/|b| from the next integer, more than half an ulp), but WGSL lets `x / y` be
 * 2.5 ulp off, so it can come out one too high on the GPU: it is corrected with the remainder
 * (`r = |a| - q|b|`; every product is at most |a| + 4, so exact unless |a| is within a few of
 * 2^24 on the GPU), and the signs are applied to the exact magnitudes. Negative operands never
 * meet a float `floor` of a negative quotient, which rounds away from zero. Floats are composed
 * as `floor(a / b)`, `trunc(a / b)`, `a - floor(a / b) * b`: ±inf and NaN for a zero divisor, as
 * PyTorch. PyTorch's float kernels start from an exact `fmod` instead, so they differ where
 * `a / b` rounds across an integer or the divisor is infinite (torch: `1 // 0.1` = 9,
 * `1 % 0.1` = 0.09999999, `-7 // inf` = -1, `-7 % inf` = inf; here 10, 0, 0, NaN): the core has
 * no exact fmod primitive yet (WGSL's `%` is not one either). docs/api.md lists it.
 * @module
 */
import type { DType } from './dtype.js';
import { BinaryOp, UnaryOp } from './ops.generated.js';
import { wasm } from './wasm.js';

/** Runs `f` with a helper that records intermediate handles, freed when `f` returns. */
function withTemps(f: (t: (h: number) => number) => number): number {
  const tmp: number[] = [];
  try {
    return f((h) => {
      tmp.push(h);
      return h;
    });
  } finally {
    for (const h of tmp) wasm().freeTensor(h);
  }
}

/**
 * A detached copy of `h` as `to`: floats to ints truncate toward zero, anything to bool is
 * `x != 0`, the rest keep their values (ints never require grad, so casts are not recorded).
 */
export function castHandle(h: number, fromFloat: boolean, to: DType): number {
  const w = wasm();
  return withTemps((t) => {
    const x = t(w.detach(h));
    if (to === 'bool') return w.unary(t(w.unary(x, UnaryOp.EqScalar, 0, 0)), UnaryOp.Affine, -1, 1);
    return w.unary(fromFloat ? t(w.unary(x, UnaryOp.Trunc, 0, 0)) : x, UnaryOp.Affine, 1, 0);
  });
}

/**
 * `a ** e` for integer dtypes: truncated, so a negative exponent gives 0 unless the base is ±1,
 * as torch's (a zero base under a negative exponent is read as 2, whose power truncates to 0).
 */
export function intPow(a: number, e: number): number {
  const w = wasm();
  return withTemps((t) => {
    const zeroUnderNeg = t(w.unary(t(w.binary(t(w.unary(a, UnaryOp.EqScalar, 0, 0)), t(w.unary(e, UnaryOp.LtScalar, 0, 0)), BinaryOp.Mul)), UnaryOp.Affine, 2, 0));
    return w.unary(t(w.binary(t(w.binary(a, zeroUnderNeg, BinaryOp.Add)), e, BinaryOp.Pow)), UnaryOp.Trunc, 0, 0);
  });
}

export type DivKind = 'floor' | 'trunc' | 'remainder' | 'fmod';

/**
 * `kind` of `a` by `b` (core handles, broadcasting); the caller owns the returned handle.
 * `exact` selects the integer algorithm. The float remainders are differentiable in `a` and
 * `b` (the quotient is a constant, as PyTorch's RemainderBackward0); quotients are not recorded.
 */
export function divide(a: number, b: number, kind: DivKind, exact: boolean): number {
  const w = wasm();
  const tmp: number[] = [];
  const t = (h: number): number => {
    tmp.push(h);
    return h;
  };
  const un = (x: number, op: UnaryOp, p0 = 0, p1 = 0): number => t(w.unary(x, op, p0, p1));
  const bin = (x: number, y: number, op: BinaryOp): number => t(w.binary(x, y, op));
  try {
    const ad = t(w.detach(a));
    const bd = t(w.detach(b));
    if (!exact) {
      const q = un(bin(ad, bd, BinaryOp.Div), kind === 'floor' || kind === 'remainder' ? UnaryOp.Floor : UnaryOp.Trunc);
      if (kind === 'floor' || kind === 'trunc') return w.unary(q, UnaryOp.Affine, 1, 0);
      return w.binary(a, bin(q, b, BinaryOp.Mul), BinaryOp.Sub);
    }
    // q = floor(|a| / |b|), r = |a| - q|b| >= 0, exactly
    const A = un(ad, UnaryOp.Abs);
    const B = un(bd, UnaryOp.Abs);
    let q = un(bin(A, B, BinaryOp.Div), UnaryOp.Floor);
    let r = bin(A, bin(q, B, BinaryOp.Mul), BinaryOp.Sub);
    const high = un(r, UnaryOp.LtScalar, 0);
    q = bin(q, high, BinaryOp.Sub);
    r = bin(r, bin(high, B, BinaryOp.Mul), BinaryOp.Add);
    const sa = un(ad, UnaryOp.Sign);
    const s = bin(sa, un(bd, UnaryOp.Sign), BinaryOp.Mul);
    if (kind === 'trunc') return w.binary(q, s, BinaryOp.Mul);
    if (kind === 'fmod') return w.binary(r, sa, BinaryOp.Mul);
    // floor: one further from zero where the signs differ and the division is inexact
    const adj = bin(un(un(r, UnaryOp.EqScalar, 0), UnaryOp.Affine, -1, 1), un(s, UnaryOp.LtScalar, 0), BinaryOp.Mul);
    if (kind === 'floor') return w.binary(bin(q, s, BinaryOp.Mul), adj, BinaryOp.Sub);
    return w.binary(bin(r, sa, BinaryOp.Mul), bin(adj, bd, BinaryOp.Mul), BinaryOp.Add);
  } finally {
    for (const h of tmp) w.freeTensor(h);
  }
}
