// Math helpers of the elementwise ops' WGSL (see optable.rs, whose rows call them).

// x^y with the sign rules of powf: integer exponents by repeated squaring (exact for small
// ones), others through exp2/log2 of |x|.
fn fpow(x: f32, y: f32) -> f32 {
    if (y == 0.0) {
        return 1.0;
    }
    let yi = floor(y);
    if (yi == y && abs(y) <= 64.0) {
        var e = u32(abs(y));
        var base = x;
        var r = 1.0;
        loop {
            if ((e & 1u) == 1u) {
                r *= base;
            }
            e = e >> 1u;
            if (e == 0u) {
                break;
            }
            base *= base;
        }
        if (y < 0.0) {
            return 1.0 / r;
        }
        return r;
    }
    if (x == 0.0) {
        if (y > 0.0) {
            return 0.0;
        }
        return special(POS_INF_BITS);
    }
    let r = exp2(y * log2(abs(x)));
    if (x < 0.0) {
        if (yi != y) {
            return special(NAN_BITS);
        }
        if (floor(y * 0.5) != y * 0.5) {
            return -r;
        }
    }
    return r;
}

fn ftanh(x: f32) -> f32 {
    // tanh() itself overflows to NaN for large |x| on some drivers.
    if (abs(x) < 0.04) {
        let x2 = x * x;
        return x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0)));
    }
    return 1.0 - 2.0 / (exp(2.0 * x) + 1.0);
}

fn fpow_scalar(x: f32, p: f32) -> f32 {
    if (p == 2.0) {
        return x * x;
    }
    return fpow(x, p);
}
