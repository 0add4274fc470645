//! A four-lane f32 vector: wasm SIMD128 when the build enables it, plain arrays otherwise.
//!
//! Kernels are written once against [`F32x4`]. Both implementations perform the same IEEE
//! operations lane by lane (a multiply and a separate add, never a fused multiply-add), so the
//! native test build computes bit-for-bit what the wasm build computes.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    #[repr(transparent)]
    pub struct F32x4(v128);

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            Self(f32x4_splat(v))
        }
        /// # Safety
        /// `p..p+4` must be readable.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees 16 readable bytes; v128_load has no alignment need.
            Self(unsafe { v128_load(p as *const v128) })
        }
        /// # Safety
        /// `p` must be readable.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const f32) -> Self {
            // SAFETY: the caller guarantees `p` is readable.
            Self(unsafe { v128_load32_splat(p as *const u32) })
        }
        /// # Safety
        /// `p..p+4` must be writable.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller guarantees 16 writable bytes.
            unsafe { v128_store(p as *mut v128, self.0) }
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            Self(f32x4_add(self.0, o.0))
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            Self(f32x4_sub(self.0, o.0))
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            Self(f32x4_mul(self.0, o.0))
        }
        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            Self(f32x4_div(self.0, o.0))
        }
        /// `o < self ? o : self` (x86 `minps`): a NaN in `self` passes through.
        #[inline(always)]
        pub fn pmin(self, o: Self) -> Self {
            Self(f32x4_pmin(self.0, o.0))
        }
        /// `self < o ? o : self` (x86 `maxps`): a NaN in `self` passes through.
        #[inline(always)]
        pub fn pmax(self, o: Self) -> Self {
            Self(f32x4_pmax(self.0, o.0))
        }
        #[inline(always)]
        pub fn sqrt(self) -> Self {
            Self(f32x4_sqrt(self.0))
        }
        #[inline(always)]
        pub fn neg(self) -> Self {
            Self(f32x4_neg(self.0))
        }
        #[inline(always)]
        pub fn abs(self) -> Self {
            Self(f32x4_abs(self.0))
        }
        /// Rounding to an integer: toward -inf, +inf, zero, and to nearest (ties to even).
        #[inline(always)]
        pub fn floor(self) -> Self {
            Self(f32x4_floor(self.0))
        }
        #[inline(always)]
        pub fn ceil(self) -> Self {
            Self(f32x4_ceil(self.0))
        }
        #[inline(always)]
        pub fn trunc(self) -> Self {
            Self(f32x4_trunc(self.0))
        }
        #[inline(always)]
        pub fn round_even(self) -> Self {
            Self(f32x4_nearest(self.0))
        }
        /// `a * b + self` with one rounding where the host fuses it (relaxed SIMD). Inlined
        /// only into functions that enable `relaxed-simd`.
        #[cfg(ferrograd_relaxed)]
        #[inline(always)]
        pub fn relaxed_madd(self, a: Self, b: Self) -> Self {
            Self(f32x4_relaxed_madd(a.0, b.0, self.0))
        }
        /// `self < o` lane-wise: an all-ones / all-zeros mask.
        #[inline(always)]
        pub fn lt(self, o: Self) -> Self {
            Self(f32x4_lt(self.0, o.0))
        }
        /// Lanes of `a` where the mask `self` is set, else lanes of `b`.
        #[inline(always)]
        pub fn select(self, a: Self, b: Self) -> Self {
            Self(v128_bitselect(a.0, b.0, self.0))
        }
        /// Bitwise and (with a lane mask: keeps the masked lanes, zeroes the rest).
        #[inline(always)]
        pub fn and(self, o: Self) -> Self {
            Self(v128_and(self.0, o.0))
        }
        /// `self & !o` (with a lane mask: zeroes the masked lanes, keeps the rest).
        #[inline(always)]
        pub fn andnot(self, o: Self) -> Self {
            Self(v128_andnot(self.0, o.0))
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            Self(v128_or(self.0, o.0))
        }
        /// `self == o` lane-wise (a mask; false for NaN lanes).
        #[inline(always)]
        pub fn eq(self, o: Self) -> Self {
            Self(f32x4_eq(self.0, o.0))
        }
        /// For lanes holding an integer `n` in their low mantissa bits (`bits - base`, with
        /// |n| <= 252), the powers of two `(2^⌊n/2⌋, 2^(n-⌊n/2⌋))`, both normal.
        #[inline(always)]
        pub fn split_pow2(self, base: i32) -> (Self, Self) {
            let n = i32x4_sub(self.0, i32x4_splat(base));
            let half = i32x4_shr(n, 1);
            let pow2 = |e: v128| Self(i32x4_shl(i32x4_add(e, i32x4_splat(127)), 23));
            (pow2(half), pow2(i32x4_sub(n, half)))
        }
        /// First two lanes summed, then the last two, then both: the order the scalar fallback
        /// uses too.
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            let v = self.0;
            (f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v))
                + (f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v))
        }
        /// The even and the odd lanes of `self` then `o`: `([a0, a2, b0, b2], [a1, a3, b1, b3])`.
        #[inline(always)]
        pub fn deinterleave(self, o: Self) -> (Self, Self) {
            (Self(i32x4_shuffle::<0, 2, 4, 6>(self.0, o.0)), Self(i32x4_shuffle::<1, 3, 5, 7>(self.0, o.0)))
        }
        /// Each lane of `self` twice: `[a0, a0, a1, a1]` and `[a2, a2, a3, a3]`.
        #[inline(always)]
        pub fn dup_lanes(self) -> (Self, Self) {
            (Self(i32x4_shuffle::<0, 0, 1, 1>(self.0, self.0)), Self(i32x4_shuffle::<2, 2, 3, 3>(self.0, self.0)))
        }
        /// The lanes of `self` and `o` alternating: `([a0, b0, a1, b1], [a2, b2, a3, b3])`.
        #[inline(always)]
        pub fn interleave(self, o: Self) -> (Self, Self) {
            (Self(i32x4_shuffle::<0, 4, 1, 5>(self.0, o.0)), Self(i32x4_shuffle::<2, 6, 3, 7>(self.0, o.0)))
        }
        /// The 4×4 transpose: lane `j` of result `i` is lane `i` of `r[j]`.
        #[inline(always)]
        pub fn transpose(r: [Self; 4]) -> [Self; 4] {
            let [a, b, c, d] = r.map(|v| v.0);
            let (ab0, ab1) = (i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<2, 6, 3, 7>(a, b));
            let (cd0, cd1) = (i32x4_shuffle::<0, 4, 1, 5>(c, d), i32x4_shuffle::<2, 6, 3, 7>(c, d));
            [
                Self(i32x4_shuffle::<0, 1, 4, 5>(ab0, cd0)),
                Self(i32x4_shuffle::<2, 3, 6, 7>(ab0, cd0)),
                Self(i32x4_shuffle::<0, 1, 4, 5>(ab1, cd1)),
                Self(i32x4_shuffle::<2, 3, 6, 7>(ab1, cd1)),
            ]
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    #[derive(Clone, Copy)]
    pub struct F32x4([f32; 4]);

    #[inline(always)]
    fn lanes(a: [f32; 4], b: [f32; 4], f: impl Fn(f32, f32) -> f32) -> F32x4 {
        F32x4(std::array::from_fn(|i| f(a[i], b[i])))
    }

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            Self([v; 4])
        }
        /// # Safety
        /// `p..p+4` must be readable.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees 16 readable bytes; read_unaligned has no alignment need.
            Self(unsafe { (p as *const [f32; 4]).read_unaligned() })
        }
        /// # Safety
        /// `p` must be readable.
        #[inline(always)]
        pub unsafe fn load_splat(p: *const f32) -> Self {
            // SAFETY: the caller guarantees `p` is readable.
            Self([unsafe { p.read() }; 4])
        }
        /// # Safety
        /// `p..p+4` must be writable.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller guarantees 16 writable bytes.
            unsafe { (p as *mut [f32; 4]).write_unaligned(self.0) }
        }
        #[inline(always)]
        pub fn add(self, o: Self) -> Self {
            lanes(self.0, o.0, |a, b| a + b)
        }
        #[inline(always)]
        pub fn sub(self, o: Self) -> Self {
            lanes(self.0, o.0, |a, b| a - b)
        }
        #[inline(always)]
        pub fn mul(self, o: Self) -> Self {
            lanes(self.0, o.0, |a, b| a * b)
        }
        #[inline(always)]
        pub fn div(self, o: Self) -> Self {
            lanes(self.0, o.0, |a, b| a / b)
        }
        #[inline(always)]
        pub fn pmin(self, o: Self) -> Self {
            lanes(self.0, o.0, |a, b| if b < a { b } else { a })
        }
        #[inline(always)]
        pub fn pmax(self, o: Self) -> Self {
            lanes(self.0, o.0, |a, b| if a < b { b } else { a })
        }
        #[inline(always)]
        pub fn sqrt(self) -> Self {
            Self(self.0.map(f32::sqrt))
        }
        #[inline(always)]
        pub fn neg(self) -> Self {
            Self(self.0.map(|x| -x))
        }
        #[inline(always)]
        pub fn abs(self) -> Self {
            Self(self.0.map(f32::abs))
        }
        #[inline(always)]
        pub fn floor(self) -> Self {
            Self(self.0.map(f32::floor))
        }
        #[inline(always)]
        pub fn ceil(self) -> Self {
            Self(self.0.map(f32::ceil))
        }
        #[inline(always)]
        pub fn trunc(self) -> Self {
            Self(self.0.map(f32::trunc))
        }
        #[inline(always)]
        pub fn round_even(self) -> Self {
            Self(self.0.map(f32::round_ties_even))
        }
        #[inline(always)]
        pub fn lt(self, o: Self) -> Self {
            lanes(self.0, o.0, |a, b| f32::from_bits(if a < b { u32::MAX } else { 0 }))
        }
        #[inline(always)]
        pub fn select(self, a: Self, b: Self) -> Self {
            Self(std::array::from_fn(|i| {
                let m = self.0[i].to_bits();
                f32::from_bits((a.0[i].to_bits() & m) | (b.0[i].to_bits() & !m))
            }))
        }
        #[inline(always)]
        pub fn and(self, o: Self) -> Self {
            Self(std::array::from_fn(|i| f32::from_bits(self.0[i].to_bits() & o.0[i].to_bits())))
        }
        #[inline(always)]
        pub fn andnot(self, o: Self) -> Self {
            Self(std::array::from_fn(|i| f32::from_bits(self.0[i].to_bits() & !o.0[i].to_bits())))
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            Self(std::array::from_fn(|i| f32::from_bits(self.0[i].to_bits() | o.0[i].to_bits())))
        }
        #[inline(always)]
        pub fn eq(self, o: Self) -> Self {
            lanes(self.0, o.0, |a, b| f32::from_bits(if a == b { u32::MAX } else { 0 }))
        }
        #[inline(always)]
        pub fn split_pow2(self, base: i32) -> (Self, Self) {
            let pow2 = |e: i32| f32::from_bits((e.wrapping_add(127) as u32) << 23);
            let n = self.0.map(|v| (v.to_bits() as i32).wrapping_sub(base));
            (Self(n.map(|n| pow2(n >> 1))), Self(n.map(|n| pow2(n.wrapping_sub(n >> 1)))))
        }
        #[inline(always)]
        pub fn hsum(self) -> f32 {
            let v = self.0;
            (v[0] + v[1]) + (v[2] + v[3])
        }
        #[inline(always)]
        pub fn deinterleave(self, o: Self) -> (Self, Self) {
            let (a, b) = (self.0, o.0);
            (Self([a[0], a[2], b[0], b[2]]), Self([a[1], a[3], b[1], b[3]]))
        }
        #[inline(always)]
        pub fn dup_lanes(self) -> (Self, Self) {
            let a = self.0;
            (Self([a[0], a[0], a[1], a[1]]), Self([a[2], a[2], a[3], a[3]]))
        }
        #[inline(always)]
        pub fn interleave(self, o: Self) -> (Self, Self) {
            let (a, b) = (self.0, o.0);
            (Self([a[0], b[0], a[1], b[1]]), Self([a[2], b[2], a[3], b[3]]))
        }
        #[inline(always)]
        pub fn transpose(r: [Self; 4]) -> [Self; 4] {
            std::array::from_fn(|i| Self(std::array::from_fn(|j| r[j].0[i])))
        }
    }
}

pub use imp::F32x4;

// Operators, so the op table's math reads the same on `f32` and `F32x4` (see `lanes.rs`).
macro_rules! vector_operators {
    ($($tr:ident :: $f:ident),*) => {$(
        impl std::ops::$tr for F32x4 {
            type Output = F32x4;
            #[inline(always)]
            fn $f(self, o: F32x4) -> F32x4 {
                F32x4::$f(self, o)
            }
        }
    )*};
}
vector_operators!(Add::add, Sub::sub, Mul::mul, Div::div);

impl std::ops::Neg for F32x4 {
    type Output = F32x4;
    #[inline(always)]
    fn neg(self) -> F32x4 {
        F32x4::neg(self)
    }
}

// Relaxed-SIMD builds (`--cfg ferrograd_relaxed`) enable the `relaxed-simd` feature on the
// register-tile kernels alone (`#[cfg_attr(.., target_feature(enable = "relaxed-simd"))]` on
// GEMM's macro tile and the convolution tiles' drivers), so `madd` becomes an FMA there. Not for
// the whole crate, on purpose: LLVM then also rewrites `f32x4.pmin`/`pmax` (the clamps of `exp`,
// relu) into `relaxed_min`/`relaxed_max`, whose NaN and -0 results are up to the host.

impl F32x4 {
    #[inline(always)]
    pub fn zero() -> Self {
        Self::splat(0.0)
    }
    /// `self + a * b`: rounded after the multiply and after the add, except in a relaxed-SIMD
    /// build (`--cfg ferrograd_relaxed`), where it is `f32x4.relaxed_madd` (one fused rounding
    /// on hosts with FMA). Only the register-tile kernels (GEMM, convolution) use it, on every
    /// element alike, so results stay independent of the thread count within a build; they
    /// enable the `relaxed-simd` feature for themselves alone (see below).
    #[inline(always)]
    pub fn madd(self, a: Self, b: Self) -> Self {
        #[cfg(all(target_arch = "wasm32", ferrograd_relaxed))]
        return self.relaxed_madd(a, b);
        #[cfg(not(all(target_arch = "wasm32", ferrograd_relaxed)))]
        self.add(a.mul(b))
    }
    /// The first four elements of `s`.
    #[inline(always)]
    pub fn from_slice(s: &[f32]) -> Self {
        assert!(s.len() >= 4);
        // SAFETY: asserted above.
        unsafe { Self::load(s.as_ptr()) }
    }
    /// Writes the four lanes to the start of `s`.
    #[inline(always)]
    pub fn write_to(self, s: &mut [f32]) {
        assert!(s.len() >= 4);
        // SAFETY: asserted above.
        unsafe { self.store(s.as_mut_ptr()) }
    }
    /// `self > o` lane-wise (a mask).
    #[inline(always)]
    pub fn gt(self, o: Self) -> Self {
        o.lt(self)
    }
    /// All-ones in the first `n` lanes, zero in the others (for [`F32x4::and`]).
    #[inline(always)]
    pub fn first_lanes(n: usize) -> Self {
        Self::from_slice(&[0.0, 1.0, 2.0, 3.0]).lt(Self::splat(n as f32))
    }
    /// Writes the first `n <= 4` lanes to `s`.
    #[inline(always)]
    pub fn write_partial(self, s: &mut [f32], n: usize) {
        let mut t = [0.0f32; 4];
        self.write_to(&mut t);
        // Element moves: a slice copy of a few floats would call out to memory.copy.
        for (d, &v) in s[..n].iter_mut().zip(&t) {
            *d = v;
        }
    }
}

/// Min/max that mean the same in every build. In relaxed-SIMD builds LLVM may lower any
/// compare-and-pick of the compared values (pmin/pmax, `select`, even a bitwise blend) to
/// `relaxed_min`/`relaxed_max`, whose result for a NaN or a ±0 tie is up to the host; these
/// take pmin/pmax for the ordinary lanes and then settle ties and NaNs from masks that compare
/// differently (a tie keeps `self`, as `std::max` / PyTorch's clamp; NaN as documented).
impl F32x4 {
    /// `self < o ? o : self`: a NaN in `self` and a tie keep `self`; a NaN `o` gives `self`.
    #[inline(always)]
    pub fn max_keep(self, o: Self) -> Self {
        self.eq(o).or(self.nan_mask()).select(self, self.pmax(o))
    }
    /// `o < self ? o : self`: a NaN in `self` and a tie keep `self`; a NaN `o` gives `self`.
    #[inline(always)]
    pub fn min_keep(self, o: Self) -> Self {
        self.eq(o).or(self.nan_mask()).select(self, self.pmin(o))
    }
    /// All-ones in the lanes that hold a NaN.
    #[inline(always)]
    pub fn nan_mask(self) -> Self {
        F32x4::splat(f32::from_bits(u32::MAX)).andnot(self.eq(self))
    }
}

/// `dst.fill(v)` for short rows, with vector stores instead of a call out to memory.fill.
#[inline(always)]
pub fn fill_row(dst: &mut [f32], v: f32) {
    let n = dst.len();
    if n < 4 {
        for d in dst.iter_mut() {
            *d = v;
        }
        return;
    }
    let vv = F32x4::splat(v);
    // SAFETY: every vector covers [i, i+4) with i + 4 <= n.
    unsafe {
        let d = dst.as_mut_ptr();
        let mut i = 0;
        while i + 4 < n {
            vv.store(d.add(i));
            i += 4;
        }
        vv.store(d.add(n - 4));
    }
}

/// `dst.copy_from_slice(src)` for short rows, with vector moves (the last one overlapping)
/// instead of a call out to the runtime's memory.copy, which costs more than a short row.
#[inline(always)]
pub fn copy_row(dst: &mut [f32], src: &[f32]) {
    let n = src.len();
    assert_eq!(dst.len(), n);
    if n < 4 {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = s;
        }
        return;
    }
    // SAFETY: every vector covers [i, i+4) with i + 4 <= n in both slices.
    unsafe {
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        let mut i = 0;
        while i + 4 < n {
            F32x4::load(s.add(i)).store(d.add(i));
            i += 4;
        }
        F32x4::load(s.add(n - 4)).store(d.add(n - 4));
    }
}

#[cfg(test)]
mod tests {
    use super::F32x4;

    fn arr(v: F32x4) -> [f32; 4] {
        let mut a = [0.0; 4];
        v.write_to(&mut a);
        a
    }

    #[test]
    fn lane_ops_match_scalar() {
        let a = F32x4::from_slice(&[1.5, -2.0, f32::NAN, 0.0]);
        let b = F32x4::from_slice(&[0.5, 3.0, 1.0, -0.0]);
        assert_eq!(arr(a.madd(a, b))[..2], [1.5 + 1.5 * 0.5, -2.0 + -2.0 * 3.0]);
        let mx = arr(a.pmax(b));
        assert_eq!(mx[..2], [1.5, 3.0]);
        assert!(mx[2].is_nan());
        assert_eq!(arr(a.pmin(b))[..2], [0.5, -2.0]);
        let (lo, hi) = F32x4::splat(f32::from_bits(1000 + 253)).split_pow2(1000);
        assert_eq!((arr(lo), arr(hi)), ([2f32.powi(126); 4], [2f32.powi(127); 4]));
        let (lo, hi) = F32x4::splat(f32::from_bits(1000 - 149)).split_pow2(1000);
        assert_eq!((arr(lo), arr(hi)), ([2f32.powi(-75); 4], [2f32.powi(-74); 4]));
        let (e, o) = F32x4::from_slice(&[1.0, 2.0, 3.0, 4.0]).deinterleave(F32x4::from_slice(&[5.0, 6.0, 7.0, 8.0]));
        assert_eq!((arr(e), arr(o)), ([1.0, 3.0, 5.0, 7.0], [2.0, 4.0, 6.0, 8.0]));
        let (lo, hi) = F32x4::from_slice(&[1.0, 2.0, 3.0, 4.0]).dup_lanes();
        assert_eq!((arr(lo), arr(hi)), ([1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0]));
        let m = F32x4::from_slice(&[1.0, 5.0, 0.0, 0.0]).lt(F32x4::splat(2.0));
        assert_eq!(arr(m.select(F32x4::splat(7.0), F32x4::splat(9.0))), [7.0, 9.0, 7.0, 7.0]);
        let v = F32x4::from_slice(&[1.0, f32::INFINITY, 3.0, f32::NAN]);
        assert_eq!(arr(v.and(F32x4::first_lanes(1))), [1.0, 0.0, 0.0, 0.0]);
        assert_eq!(arr(v.and(F32x4::first_lanes(3)))[2], 3.0);
        for n in 0..11 {
            let src: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let mut dst = vec![-1.0; n];
            super::copy_row(&mut dst, &src);
            assert_eq!(dst, src);
            super::fill_row(&mut dst, 2.5);
            assert_eq!(dst, vec![2.5; n]);
        }
    }
}
