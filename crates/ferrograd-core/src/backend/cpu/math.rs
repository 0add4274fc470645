//! Branch-free f32 transcendental approximations (wasm SIMD128 has no exp; calling libm per
//! element costs more than the whole conv layer). Each is written once over [`Lane`], so the
//! scalar (`f32`) and four-lane (`F32x4`) forms perform the same operations in the same order
//! and vectorised loops and their scalar tails agree bit for bit.

use super::lanes::{abs, lt, select, Lane};

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
pub fn exp<L: Lane>(x: L) -> L {
    let x = x.clamp(EXP_LO, EXP_HI);
    let t = x * L::splat(LOG2E) + L::splat(ROUND);
    let n = t - L::splat(ROUND);
    let r = x - n * L::splat(LN2_HI) - n * L::splat(LN2_LO);
    let mut p = L::splat(EXP_POLY[0]);
    for &c in &EXP_POLY[1..] {
        p = p * r + L::splat(c);
    }
    let y = p * r * r + r + L::splat(1.0);
    let (lo, hi) = t.split_pow2(ROUND_BITS);
    y * lo * hi
}

#[inline(always)]
pub fn sigmoid<L: Lane>(x: L) -> L {
    let one = L::splat(1.0);
    one / (one + exp(-x))
}

/// Below `TANH_SERIES` the odd series, else `1 - 2/(e^2x + 1)` (both computed, one picked).
#[inline(always)]
pub fn tanh<L: Lane>(x: L) -> L {
    let one = L::splat(1.0);
    let x2 = x * x;
    let series = x * (one - x2 * (L::splat(1.0 / 3.0) - x2 * L::splat(2.0 / 15.0)));
    let two = L::splat(2.0);
    let big = one - two / (exp(two * x) + one);
    select(lt(abs(x), L::splat(TANH_SERIES)), series, big)
}

#[cfg(test)]
mod tests {
    use super::super::simd::F32x4;
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
            let (a, b) = (exp(x) as f64, (x as f64).exp());
            worst = worst.max(((a - b) / b).abs());
            x += 0.0137;
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        // subnormal results: within a few units of the smallest subnormal
        let mut x = -103.9f32;
        while x < -87.3 {
            let (a, b) = (exp(x) as f64, (x as f64).exp());
            assert!((a - b).abs() <= 2.0 * f32::from_bits(1) as f64 + 4e-7 * b, "exp({x}) = {a}, want {b}");
            x += 0.0131;
        }
        assert_eq!(exp::<f32>(-105.0), 0.0);
        assert!(exp::<f32>(88.72).is_finite() && exp::<f32>(88.73) == f32::INFINITY);
        assert_eq!(exp::<f32>(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp::<f32>(1e30), f32::INFINITY);
        assert_eq!(exp::<f32>(f32::NEG_INFINITY), 0.0);
        assert!((exp::<f32>(-87.5) as f64 / (-87.5f64).exp() - 1.0).abs() < 1e-4);
        assert!(exp::<f32>(f32::NAN).is_nan());
    }

    #[test]
    fn tanh_and_sigmoid_match_std() {
        let mut x = -20.0f32;
        while x < 20.0 {
            assert!((tanh::<f32>(x) - x.tanh()).abs() < 3e-7, "tanh({x})");
            let s = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!((sigmoid::<f32>(x) as f64 - s).abs() < 3e-7, "sigmoid({x})");
            x += 0.00731;
        }
    }

    #[test]
    fn vector_forms_match_scalar_bitwise() {
        type Pair = (fn(f32) -> f32, fn(F32x4) -> F32x4, &'static str);
        let fns: [Pair; 3] = [
            (exp::<f32>, exp::<F32x4>, "exp"),
            (sigmoid::<f32>, sigmoid::<F32x4>, "sigmoid"),
            (tanh::<f32>, tanh::<F32x4>, "tanh"),
        ];
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
