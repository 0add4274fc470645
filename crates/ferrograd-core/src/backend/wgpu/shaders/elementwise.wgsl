// Elementwise kernels over strided layouts collapsed to at most 8 dims.
// prm: [0] n, [1] rank, [2] op, [3] f0, [4] f1, [5] offset of operand 0, [6] offset of
// operand 1 (or of a strided destination), [8..16] sizes, [16..24] strides of operand 0,
// [24..32] strides of operand 1 / the destination. Sizes are outermost first.

fn offsets(i: u32) -> vec2<u32> {
    var rem = i;
    var o0 = prm[5];
    var o1 = prm[6];
    for (var d = prm[1]; d > 0u; d--) {
        let k = d - 1u;
        let size = prm[8u + k];
        let idx = rem % size;
        rem = rem / size;
        o0 += idx * prm[16u + k];
        o1 += idx * prm[24u + k];
    }
    return vec2<u32>(o0, o1);
}

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

// NaN inputs are settled first, as the CPU (IEEE) does: drivers may assume finite floats and
// fold exp(NaN) or NaN comparisons into ordinary numbers.
fn unary_nan(op: u32, x: f32, a: f32) -> f32 {
    switch op {
        case 9u, 10u, 15u, 16u, 17u: { return 0.0; }
        case 12u: { return select(x, 1.0, a == 0.0); }
        default: { return x; }
    }
}

fn binary_nan(op: u32, x: f32, y: f32) -> f32 {
    if (op >= 7u) {
        return 0.0;
    }
    if (op == 4u && (y == 0.0 || x == 1.0)) {
        return 1.0;
    }
    return special(NAN_BITS);
}

fn unary_op(op: u32, x: f32, a: f32, b: f32) -> f32 {
    if (is_nan(x)) {
        return unary_nan(op, x, a);
    }
    switch op {
        case 0u: { return -x; }
        case 1u: { return exp(x); }
        case 2u: { return log(x); }
        case 3u: { return sqrt(x); }
        case 4u: { return abs(x); }
        case 5u: { return 1.0 / x; }
        case 6u: { return select(x, 0.0, x < 0.0); }
        case 7u: { return 1.0 / (1.0 + exp(-x)); }
        case 8u: { return ftanh(x); }
        case 9u: { return select(0.0, 1.0, x > 0.0); }
        case 10u: {
            if (x > 0.0) { return 1.0; }
            if (x < 0.0) { return -1.0; }
            return 0.0;
        }
        case 11u: { return x * a + b; }
        case 12u: {
            if (a == 2.0) { return x * x; }
            return fpow(x, a);
        }
        case 13u: { return select(max(x, a), x, is_nan(x)); }
        case 14u: { return select(min(x, a), x, is_nan(x)); }
        case 15u: { return select(0.0, 1.0, x > a); }
        case 16u: { return select(0.0, 1.0, x < a); }
        case 17u: { return select(0.0, 1.0, x == a); }
        default: { return x; }
    }
}

fn binary_op(op: u32, x: f32, y: f32) -> f32 {
    if (is_nan(x) || is_nan(y)) {
        return binary_nan(op, x, y);
    }
    switch op {
        case 0u: { return x + y; }
        case 1u: { return x - y; }
        case 2u: { return x * y; }
        case 3u: { return x / y; }
        case 4u: { return fpow(x, y); }
        case 5u: {
            if (is_nan(x) || is_nan(y)) { return special(NAN_BITS); }
            return max(x, y);
        }
        case 6u: {
            if (is_nan(x) || is_nan(y)) { return special(NAN_BITS); }
            return min(x, y);
        }
        case 7u: { return select(0.0, 1.0, x > y); }
        case 8u: { return select(0.0, 1.0, x < y); }
        case 9u: { return select(0.0, 1.0, x >= y); }
        case 10u: { return select(0.0, 1.0, x <= y); }
        default: { return select(0.0, 1.0, x == y); }
    }
}

@compute @workgroup_size(256)
fn unary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = group_index(wid, nwg) * WG + li;
    if (i >= prm[0]) {
        return;
    }
    dst[i] = unary_op(prm[2], x0[offsets(i).x], prmf(3u), prmf(4u));
}

@compute @workgroup_size(256)
fn binary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = group_index(wid, nwg) * WG + li;
    if (i >= prm[0]) {
        return;
    }
    let o = offsets(i);
    dst[i] = binary_op(prm[2], x0[o.x], x1[o.y]);
}

// dst[strided] = x0[strided]
@compute @workgroup_size(256)
fn copy(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = group_index(wid, nwg) * WG + li;
    if (i >= prm[0]) {
        return;
    }
    let o = offsets(i);
    dst[o.y] = x0[o.x];
}

@compute @workgroup_size(256)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = group_index(wid, nwg) * WG + li;
    if (i >= prm[0]) {
        return;
    }
    dst[i] = prmf(3u);
}

// dst = dst * f0 + x0 * f1 over whole buffers (optimizer updates).
@compute @workgroup_size(256)
fn axpby(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = group_index(wid, nwg) * WG + li;
    if (i >= prm[0]) {
        return;
    }
    dst[i] = dst[i] * prmf(3u) + x0[i] * prmf(4u);
}
