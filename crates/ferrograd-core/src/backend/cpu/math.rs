//! Branch-free f32 transcendental approximations (wasm SIMD128 has no exp; calling libm per
//! element costs more than the whole conv layer). Each function has a scalar and a four-lane
//! form performing the same operations in the same order, so vectorised loops and their scalar
//! tails agree bit for bit.

use super::simd::F32x4;

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// e^x rounds to +0 below about -103.97 (half the smallest subnormal) ...
const EXP_LO: f32 = -104.0;
/// ... and overflows to +inf above ln(f32::MAX) ≈ 88.7228.
const EXP_HI: f32 = 89.0;
/// 1.5 · 2^23: adding it rounds a float of magnitude < 2^22 to the nearest integer, which then
/// sits in the low mantissa bits.
const ROUND: f32 = 12_582_912.0;
const ROUND_BITS: i32 = ROUND.to_bits() as i32;
/// Cephes' minimax polynomial for e^r - 1 - r on |r| <= ln2/2, highest degree first.
const EXP_POLY: [f32; 6] = [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5];
/// Below this |x|, tanh uses its odd series: 1 - 2/(e^2x + 1) would lose relative precision.
const TANH_SERIES: f32 = 0.04;

/// exp(x) to ~1 ulp over the whole f32 range, subnormal results and overflow included (Cephes
/// polynomial): x = n·ln2 + r and e^x = e^r · 2^n, where n in [-150, 128] is applied as two
/// normal powers of two, 2^⌊n/2⌋ · 2^⌈n/2⌉, so the only rounding past e^r is the final one.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(EXP_LO, EXP_HI);
    let t = x * LOG2E + ROUND;
    let n = t - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = EXP_POLY[0];
    for c in &EXP_POLY[1..] {
        p = p * r + c;
    }
    let y = p * r * r + r + 1.0;
    let ni = (t.to_bits() as i32).wrapping_sub(ROUND_BITS);
    let half = ni >> 1;
    let pow2 = |e: i32| f32::from_bits((e.wrapping_add(127) as u32) << 23);
    y * pow2(half) * pow2(ni.wrapping_sub(half))
}

/// [`exp`] on four lanes.
#[inline(always)]
pub fn exp_v(x: F32x4) -> F32x4 {
    // pmin/pmax in this order keep NaN and -0 exactly as f32::clamp does.
    let clamped = x.pmin(F32x4::splat(EXP_HI)).pmax(F32x4::splat(EXP_LO));
    // Relaxed-SIMD builds: LLVM may emit relaxed_min/max for pmin/pmax, which can drop a NaN;
    // put NaN lanes back (the bounds are not zero, so no other input differs).
    #[cfg(ferrograd_relaxed)]
    let clamped = x.nan_mask().select(x, clamped);
    let x = clamped;
    let t = x.mul(F32x4::splat(LOG2E)).add(F32x4::splat(ROUND));
    let n = t.sub(F32x4::splat(ROUND));
    let r = x.sub(n.mul(F32x4::splat(LN2_HI))).sub(n.mul(F32x4::splat(LN2_LO)));
    let mut p = F32x4::splat(EXP_POLY[0]);
    for &c in &EXP_POLY[1..] {
        p = p.mul(r).add(F32x4::splat(c));
    }
    let y = p.mul(r).mul(r).add(r).add(F32x4::splat(1.0));
    let (lo, hi) = t.split_pow2(ROUND_BITS);
    y.mul(lo).mul(hi)
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[inline(always)]
pub fn sigmoid_v(x: F32x4) -> F32x4 {
    let one = F32x4::splat(1.0);
    one.div(one.add(exp_v(x.neg())))
}

#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    if x.abs() < TANH_SERIES {
        let x2 = x * x;
        x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0)))
    } else {
        1.0 - 2.0 / (exp(2.0 * x) + 1.0)
    }
}

#[inline(always)]
pub fn tanh_v(x: F32x4) -> F32x4 {
    let one = F32x4::splat(1.0);
    let x2 = x.mul(x);
    let series = x.mul(one.sub(x2.mul(F32x4::splat(1.0 / 3.0).sub(x2.mul(F32x4::splat(2.0 / 15.0))))));
    let two = F32x4::splat(2.0);
    let big = one.sub(two.div(exp_v(two.mul(x)).add(one)));
    x.abs().lt(F32x4::splat(TANH_SERIES)).select(series, big)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs covering the clamps, the series switch, signed zeros and non-finite values.
    fn inputs() -> Vec<f32> {
        let mut v: Vec<f32> = (-20_000..20_000).map(|i| i as f32 * 0.0071).collect();
        v.extend([
            0.0, -0.0, 0.039_999, 0.04, -0.04, 88.72, 88.73, 88.8, 89.5, -88.0, -89.0, -103.9, -104.5, 1e30, -1e30,
        ]);
        v.extend([f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::MIN_POSITIVE, -f32::MIN_POSITIVE]);
        v
    }

    fn same(a: f32, b: f32) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn exp_matches_std() {
        let mut worst = 0.0f64;
        let mut x = -87.3f32;
        while x < 88.72 {
            let (a, b) = (super::exp(x) as f64, (x as f64).exp());
            worst = worst.max(((a - b) / b).abs());
            x += 0.0137;
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        // subnormal results: within a few units of the smallest subnormal
        let mut x = -103.9f32;
        while x < -87.3 {
            let (a, b) = (super::exp(x) as f64, (x as f64).exp());
            assert!((a - b).abs() <= 2.0 * f32::from_bits(1) as f64 + 4e-7 * b, "exp({x}) = {a}, want {b}");
            x += 0.0131;
        }
        assert_eq!(super::exp(-105.0), 0.0);
        assert!(super::exp(88.72).is_finite() && super::exp(88.73) == f32::INFINITY);
        assert_eq!(super::exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(super::exp(1e30), f32::INFINITY);
        assert_eq!(super::exp(f32::NEG_INFINITY), 0.0);
        assert!((super::exp(-87.5) as f64 / (-87.5f64).exp() - 1.0).abs() < 1e-4);
        assert!(super::exp(f32::NAN).is_nan());
    }

    #[test]
    fn tanh_and_sigmoid_match_std() {
        let mut x = -20.0f32;
        while x < 20.0 {
            assert!((super::tanh(x) - x.tanh()).abs() < 3e-7, "tanh({x})");
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!((super::sigmoid(x) as f64 - s).abs() < 3e-7, "sigmoid({x})");
            x += 0.00731;
        }
    }

    #[test]
    fn vector_forms_match_scalar_bitwise() {
        type Pair = (fn(f32) -> f32, fn(F32x4) -> F32x4, &'static str);
        let fns: [Pair; 3] = [(exp, exp_v, "exp"), (sigmoid, sigmoid_v, "sigmoid"), (tanh, tanh_v, "tanh")];
        let xs = inputs();
        for (s, v, name) in fns {
            for c in xs.chunks_exact(4) {
                let mut out = [0.0f32; 4];
                v(F32x4::from_slice(c)).write_to(&mut out);
                for (&x, &o) in c.iter().zip(&out) {
                    assert!(same(o, s(x)), "{name}({x}): vector {o} vs scalar {}", s(x));
                }
            }
        }
    }
}
