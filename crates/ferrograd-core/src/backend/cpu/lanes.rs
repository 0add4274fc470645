//! One element or four: the [`Lane`] trait, implemented for `f32` and [`F32x4`], lets the op
//! table (`backend/optable.rs`) write each elementwise op's math once. Both implementations
//! perform the same IEEE operations in the same order, so a vectorised row and its scalar tail
//! agree bit for bit.
//!
//! The free functions below are what a table row's `cpu:` expression calls (`select(lt(x,
//! splat(0.0)), ...)`): plain functions rather than methods, so that `f32`'s inherent methods
//! (`f32::exp` is libm, not [`math::exp`]) can never be picked by accident.

use super::simd::F32x4;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// The lane operations the op table needs.
pub trait Lane:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    /// A per-lane truth value: `bool` for `f32`, an all-ones/all-zeros lane mask for [`F32x4`].
    type Mask: Copy;
    fn splat(v: f32) -> Self;
    fn lt(self, o: Self) -> Self::Mask;
    fn le(self, o: Self) -> Self::Mask;
    fn eq(self, o: Self) -> Self::Mask;
    fn is_nan(self) -> Self::Mask;
    fn either(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// `m ? a : b` per lane.
    fn select(m: Self::Mask, a: Self, b: Self) -> Self;
    /// `m ? +0.0 : x` per lane (a bitwise clear, never a min/max the compiler could relax).
    fn zero_where(m: Self::Mask, x: Self) -> Self;
    /// `m ? 1.0 : 0.0` per lane.
    fn ones_where(m: Self::Mask) -> Self;
    /// `m ? NaN (all ones) : x` per lane.
    fn nan_where(m: Self::Mask, x: Self) -> Self;
    fn abs(self) -> Self;
    fn sqrt(self) -> Self;
    /// Rounding to an integer: toward -inf, +inf, zero, and to nearest with ties to even
    /// (wasm's `f32x4.floor`/`ceil`/`trunc`/`nearest`; NaN and infinities pass through).
    fn floor(self) -> Self;
    fn ceil(self) -> Self;
    fn trunc(self) -> Self;
    fn round_even(self) -> Self;
    /// `self < o ? o : self`, `o < self ? o : self`: a tie and a NaN `self` keep `self`.
    fn max_keep(self, o: Self) -> Self;
    fn min_keep(self, o: Self) -> Self;
    /// `min(max(self, lo), hi)` with NaN passing through (`f32::clamp`).
    fn clamp(self, lo: f32, hi: f32) -> Self;
    /// For lanes holding an integer `n` in their low mantissa bits (`bits - base`, with
    /// |n| <= 252), the powers of two `(2^⌊n/2⌋, 2^(n-⌊n/2⌋))`, both normal.
    fn split_pow2(self, base: i32) -> (Self, Self);
    /// A scalar function applied lane by lane (ops without a vector form: `ln`, `powf`).
    fn per_lane(self, f: impl Fn(f32) -> f32) -> Self;
    fn per_lane2(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self;
}

impl Lane for f32 {
    type Mask = bool;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn lt(self, o: Self) -> bool {
        self < o
    }
    #[inline(always)]
    fn le(self, o: Self) -> bool {
        self <= o
    }
    #[inline(always)]
    fn eq(self, o: Self) -> bool {
        self == o
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn either(a: bool, b: bool) -> bool {
        a | b
    }
    #[inline(always)]
    fn select(m: bool, a: Self, b: Self) -> Self {
        if m {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn zero_where(m: bool, x: Self) -> Self {
        if m {
            0.0
        } else {
            x
        }
    }
    #[inline(always)]
    fn ones_where(m: bool) -> Self {
        m as u8 as f32
    }
    #[inline(always)]
    fn nan_where(m: bool, x: Self) -> Self {
        if m {
            f32::from_bits(u32::MAX)
        } else {
            x
        }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn floor(self) -> Self {
        f32::floor(self)
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        f32::ceil(self)
    }
    #[inline(always)]
    fn trunc(self) -> Self {
        f32::trunc(self)
    }
    #[inline(always)]
    fn round_even(self) -> Self {
        f32::round_ties_even(self)
    }
    #[inline(always)]
    fn max_keep(self, o: Self) -> Self {
        if self < o {
            o
        } else {
            self
        }
    }
    #[inline(always)]
    fn min_keep(self, o: Self) -> Self {
        if o < self {
            o
        } else {
            self
        }
    }
    #[inline(always)]
    fn clamp(self, lo: f32, hi: f32) -> Self {
        f32::clamp(self, lo, hi)
    }
    #[inline(always)]
    fn split_pow2(self, base: i32) -> (Self, Self) {
        let n = (self.to_bits() as i32).wrapping_sub(base);
        let half = n >> 1;
        let pow2 = |e: i32| f32::from_bits((e.wrapping_add(127) as u32) << 23);
        (pow2(half), pow2(n.wrapping_sub(half)))
    }
    #[inline(always)]
    fn per_lane(self, f: impl Fn(f32) -> f32) -> Self {
        f(self)
    }
    #[inline(always)]
    fn per_lane2(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        f(self, o)
    }
}

impl Lane for F32x4 {
    type Mask = F32x4;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        F32x4::splat(v)
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Self {
        F32x4::lt(self, o)
    }
    #[inline(always)]
    fn le(self, o: Self) -> Self {
        F32x4::lt(self, o).or(F32x4::eq(self, o))
    }
    #[inline(always)]
    fn eq(self, o: Self) -> Self {
        F32x4::eq(self, o)
    }
    #[inline(always)]
    fn is_nan(self) -> Self {
        self.nan_mask()
    }
    #[inline(always)]
    fn either(a: Self, b: Self) -> Self {
        a.or(b)
    }
    #[inline(always)]
    fn select(m: Self, a: Self, b: Self) -> Self {
        m.select(a, b)
    }
    #[inline(always)]
    fn zero_where(m: Self, x: Self) -> Self {
        x.andnot(m)
    }
    #[inline(always)]
    fn ones_where(m: Self) -> Self {
        m.and(F32x4::splat(1.0))
    }
    #[inline(always)]
    fn nan_where(m: Self, x: Self) -> Self {
        x.or(m)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        F32x4::abs(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        F32x4::sqrt(self)
    }
    #[inline(always)]
    fn floor(self) -> Self {
        F32x4::floor(self)
    }
    #[inline(always)]
    fn ceil(self) -> Self {
        F32x4::ceil(self)
    }
    #[inline(always)]
    fn trunc(self) -> Self {
        F32x4::trunc(self)
    }
    #[inline(always)]
    fn round_even(self) -> Self {
        F32x4::round_even(self)
    }
    #[inline(always)]
    fn max_keep(self, o: Self) -> Self {
        F32x4::max_keep(self, o)
    }
    #[inline(always)]
    fn min_keep(self, o: Self) -> Self {
        F32x4::min_keep(self, o)
    }
    #[inline(always)]
    fn clamp(self, lo: f32, hi: f32) -> Self {
        // pmin/pmax in this order keep NaN and -0 exactly as f32::clamp does.
        let clamped = self.pmin(F32x4::splat(hi)).pmax(F32x4::splat(lo));
        // Relaxed-SIMD builds: LLVM may emit relaxed_min/max for pmin/pmax, which can drop a
        // NaN; put NaN lanes back (callers' bounds are not zero, so no other input differs).
        #[cfg(ferrograd_relaxed)]
        let clamped = self.nan_mask().select(self, clamped);
        clamped
    }
    #[inline(always)]
    fn split_pow2(self, base: i32) -> (Self, Self) {
        F32x4::split_pow2(self, base)
    }
    #[inline(always)]
    fn per_lane(self, f: impl Fn(f32) -> f32) -> Self {
        let mut t = [0.0f32; 4];
        self.write_to(&mut t);
        F32x4::from_slice(&t.map(f))
    }
    #[inline(always)]
    fn per_lane2(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        let (mut a, mut b) = ([0.0f32; 4], [0.0f32; 4]);
        self.write_to(&mut a);
        o.write_to(&mut b);
        F32x4::from_slice(&std::array::from_fn::<f32, 4, _>(|i| f(a[i], b[i])))
    }
}

// The vocabulary of the op table's `cpu:` expressions.

#[inline(always)]
pub fn splat<L: Lane>(v: f32) -> L {
    L::splat(v)
}
#[inline(always)]
pub fn lt<L: Lane>(a: L, b: L) -> L::Mask {
    a.lt(b)
}
#[inline(always)]
pub fn gt<L: Lane>(a: L, b: L) -> L::Mask {
    b.lt(a)
}
#[inline(always)]
pub fn le<L: Lane>(a: L, b: L) -> L::Mask {
    a.le(b)
}
#[inline(always)]
pub fn ge<L: Lane>(a: L, b: L) -> L::Mask {
    b.le(a)
}
#[inline(always)]
pub fn eq<L: Lane>(a: L, b: L) -> L::Mask {
    a.eq(b)
}
/// Either operand is NaN.
#[inline(always)]
pub fn any_nan<L: Lane>(a: L, b: L) -> L::Mask {
    L::either(a.is_nan(), b.is_nan())
}
#[inline(always)]
pub fn select<L: Lane>(m: L::Mask, a: L, b: L) -> L {
    L::select(m, a, b)
}
#[inline(always)]
pub fn zero_where<L: Lane>(m: L::Mask, x: L) -> L {
    L::zero_where(m, x)
}
#[inline(always)]
pub fn ones_where<L: Lane>(m: L::Mask) -> L {
    L::ones_where(m)
}
#[inline(always)]
pub fn nan_where<L: Lane>(m: L::Mask, x: L) -> L {
    L::nan_where(m, x)
}
/// `1 / x`.
#[inline(always)]
pub fn recip<L: Lane>(x: L) -> L {
    L::splat(1.0) / x
}
#[inline(always)]
pub fn abs<L: Lane>(x: L) -> L {
    x.abs()
}
#[inline(always)]
pub fn sqrt<L: Lane>(x: L) -> L {
    x.sqrt()
}
#[inline(always)]
pub fn floor<L: Lane>(x: L) -> L {
    x.floor()
}
#[inline(always)]
pub fn ceil<L: Lane>(x: L) -> L {
    x.ceil()
}
#[inline(always)]
pub fn trunc<L: Lane>(x: L) -> L {
    x.trunc()
}
/// Round half to even (PyTorch's `torch.round`).
#[inline(always)]
pub fn round_even<L: Lane>(x: L) -> L {
    x.round_even()
}
#[inline(always)]
pub fn max_keep<L: Lane>(a: L, b: L) -> L {
    a.max_keep(b)
}
#[inline(always)]
pub fn min_keep<L: Lane>(a: L, b: L) -> L {
    a.min_keep(b)
}
pub use super::math::{exp, sigmoid, tanh};
#[inline(always)]
pub fn ln<L: Lane>(x: L) -> L {
    x.per_lane(f32::ln)
}
#[inline(always)]
pub fn powf<L: Lane>(x: L, y: L) -> L {
    x.per_lane2(y, f32::powf)
}
/// C's `fmod`, exact: Rust's `%` on floats is libm's `fmodf` (the remainder of the truncated
/// quotient computed on the mantissas, no rounding), which PyTorch's division kernels start from.
#[inline(always)]
pub fn fmod<L: Lane>(x: L, y: L) -> L {
    x.per_lane2(y, |a, b| a % b)
}
/// Python's modulus, with the divisor's sign: PyTorch's float `remainder` kernel.
#[inline(always)]
pub fn remainder<L: Lane>(x: L, y: L) -> L {
    x.per_lane2(y, remainder_f32)
}
/// The quotient rounded down: PyTorch's `div_floor_floating` (`c10/util/generic_math.h`).
#[inline(always)]
pub fn floor_divide<L: Lane>(x: L, y: L) -> L {
    x.per_lane2(y, floor_divide_f32)
}

fn remainder_f32(a: f32, b: f32) -> f32 {
    let m = a % b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        m + b
    } else {
        m
    }
}

fn floor_divide_f32(a: f32, b: f32) -> f32 {
    if b == 0.0 {
        return a / b;
    }
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div != 0.0 {
        let f = div.floor();
        if div - f > 0.5 {
            f + 1.0
        } else {
            f
        }
    } else {
        0f32.copysign(a / b)
    }
}
