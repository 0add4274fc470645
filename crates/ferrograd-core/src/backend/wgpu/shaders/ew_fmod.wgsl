// Exact C `fmod` and the two divisions PyTorch builds on it (`remainder`, `floor_divide`), as
// the CPU's rows compute them. WGSL's `%` is `x - y * trunc(x / y)`, rounded twice, so fmod is
// done on the bits instead (musl's fmodf): the mantissas' long division, one bit per exponent
// step, which is exact. Operands are never NaN here (the row's `nan` case comes first), and
// infinities and zeros are told by their bits (compilers may assume floats are finite).

// The mantissa with its implicit bit, normalised for a subnormal (whose exponent `e` drops).
fn fmod_mantissa(bits: u32, e: ptr<function, i32>) -> u32 {
    if (*e != 0) {
        return (bits & 0x007fffffu) | 0x00800000u;
    }
    var i = bits << 9u;
    loop {
        if ((i >> 31u) != 0u) {
            break;
        }
        *e -= 1;
        i <<= 1u;
    }
    return bits << u32(1 - *e);
}

fn ffmod(x: f32, y: f32) -> f32 {
    let bx = bitcast<u32>(x);
    let by = bitcast<u32>(y);
    var ex = i32((bx >> 23u) & 0xffu);
    var ey = i32((by >> 23u) & 0xffu);
    let sx = bx & 0x80000000u;
    if ((by << 1u) == 0u || ex == 0xff) {
        // a zero divisor or an infinite dividend
        return special(NAN_BITS);
    }
    if ((bx << 1u) <= (by << 1u)) {
        // |x| <= |y| (an infinite y included): x, or a zero with x's sign
        if ((bx << 1u) == (by << 1u)) {
            return bitcast<f32>(sx);
        }
        return x;
    }
    var mx = fmod_mantissa(bx, &ex);
    let my = fmod_mantissa(by, &ey);
    loop {
        let i = mx - my;
        if ((i >> 31u) == 0u) {
            if (i == 0u) {
                return bitcast<f32>(sx);
            }
            mx = i;
        }
        if (ex <= ey) {
            break;
        }
        mx <<= 1u;
        ex -= 1;
    }
    loop {
        if ((mx >> 23u) != 0u) {
            break;
        }
        mx <<= 1u;
        ex -= 1;
    }
    if (ex > 0) {
        mx = (mx - 0x00800000u) | (u32(ex) << 23u);
    } else {
        mx >>= u32(1 - ex);
    }
    return bitcast<f32>(mx | sx);
}

// Whether the remainder `m` (non-zero) and the divisor have opposite signs, by their sign bits.
fn fmod_signs_differ(m: f32, y: f32) -> bool {
    return (bitcast<u32>(m) << 1u) != 0u && ((bitcast<u32>(m) ^ bitcast<u32>(y)) >> 31u) != 0u;
}

fn fremainder(x: f32, y: f32) -> f32 {
    let m = ffmod(x, y);
    if (fmod_signs_differ(m, y)) {
        return m + y;
    }
    return m;
}

fn ffloor_divide(x: f32, y: f32) -> f32 {
    let bx = bitcast<u32>(x);
    let by = bitcast<u32>(y);
    let sign = (bx ^ by) & 0x80000000u;
    if ((by << 1u) == 0u) {
        // x / ±0: NaN for a zero x, else an infinity with the quotient's sign
        if ((bx << 1u) == 0u) {
            return special(NAN_BITS);
        }
        return special(POS_INF_BITS | sign);
    }
    if (((bx >> 23u) & 0xffu) == 0xffu) {
        // an infinite dividend: fmod is NaN, and so is the quotient
        return special(NAN_BITS);
    }
    let m = ffmod(x, y);
    var d = (x - m) / y;
    if (fmod_signs_differ(m, y)) {
        d -= 1.0;
    }
    if ((bitcast<u32>(d) << 1u) == 0u) {
        return bitcast<f32>(sign);
    }
    let f = floor(d);
    return select(f, f + 1.0, d - f > 0.5);
}
