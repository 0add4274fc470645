/**
 * Integer arithmetic on the core's float32 storage, on core handles: dtype casts, integer
 * powers, and rounded division and remainders (`torch.floor_divide`, `div(rounding_mode=...)`,
 * `torch.remainder`, `torch.fmod`) composed from the core's elementwise ops, on core handles.
 *
 * Integer dtypes are exact for |values| < 2^24. The divisions and remainders run on the core's
 * exact-fmod primitives (`BinaryOp.Fmod`, `Remainder`, `FloorDivide`: PyTorch's float kernels,
 * so `1 // 0.1` = 9 and `-7 % inf` = inf as torch), which are exact for integers too.
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
 * `exact` marks integer dtypes. fmod, remainder and floor division are the core's exact-fmod
 * primitives, PyTorch's kernels for floats and exact for integers (|values| < 2^24: `a - fmod`
 * is a multiple of `b`, so the quotient is an integer that floor_divide rounds to even when the
 * GPU's division is a few ulp off). The remainders are differentiable in `a` and `b`
 * (FmodBackward1, RemainderBackward1); quotients are not recorded. Float `trunc` is PyTorch's
 * `trunc(a / b)`; the integer one is `(a - fmod(a, b)) / b`, rounded.
 */
export function divide(a: number, b: number, kind: DivKind, exact: boolean): number {
  const w = wasm();
  switch (kind) {
    case 'fmod':
      return w.binary(a, b, BinaryOp.Fmod);
    case 'remainder':
      return w.binary(a, b, BinaryOp.Remainder);
    case 'floor':
      return w.binary(a, b, BinaryOp.FloorDivide);
    case 'trunc':
      return withTemps((t) => {
        const ad = t(w.detach(a));
        const bd = t(w.detach(b));
        if (!exact) return w.unary(t(w.binary(ad, bd, BinaryOp.Div)), UnaryOp.Trunc, 0, 0);
        const multiple = t(w.binary(ad, t(w.binary(ad, bd, BinaryOp.Fmod)), BinaryOp.Sub));
        return w.unary(t(w.binary(multiple, bd, BinaryOp.Div)), UnaryOp.Round, 0, 0);
      });
  }
}
