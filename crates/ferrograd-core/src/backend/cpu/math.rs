//! Branch-free f32 transcendental approximations written so LLVM vectorises loops over them
//! (wasm SIMD128 has no exp; calling libm per element costs more than the whole conv layer).

const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;

/// exp(x) with ~1 ulp error over the normal range (Cephes polynomial).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-88.0, 88.72);
    let n = (x * LOG2E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let y = p * r * r + r + 1.0;
    // 2^n via the exponent bits; n = -127 gives +0, the right limit for very negative x.
    let scale = f32::from_bits(((n as i32 + 127).max(0) as u32) << 23);
    y * scale
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    // Small |x| would lose relative precision in 1 - 2/(e^2x + 1); use the odd series there.
    if x.abs() < 0.04 {
        let x2 = x * x;
        x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0)))
    } else {
        1.0 - 2.0 / (exp(2.0 * x) + 1.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn exp_matches_std() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (a, b) = (super::exp(x) as f64, (x as f64).exp());
            worst = worst.max(((a - b) / b).abs());
            x += 0.0137;
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        assert_eq!(super::exp(f32::NEG_INFINITY), 0.0);
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
}
