// Pooling, max unpooling, adaptive average pooling and bilinear resize, forward and backward.
// Backward kernels gather (one thread per input element, looping over the outputs that read it)
// instead of scattering, so no float atomics are needed and sums keep the CPU's order.
// prm: [0] threads, [1] kind (POOL_MAX or POOL_AVG, constants generated from
// `PoolKind` in kernels.rs), [2] planes (n*c), [3] h, [4] w, [5] out_h,
// [6] out_w, [7] kh, [8] kw, [9] stride h, [10] stride w, [11] pad h, [12] pad w,
// [13] dilation h, [14] dilation w, [15] average divisor (DIV_* constants from `PoolDivisor`),
// [16] divisor_override.

fn p_h() -> u32 { return prm[3]; }
fn p_w() -> u32 { return prm[4]; }
fn p_oh() -> u32 { return prm[5]; }
fn p_ow() -> u32 { return prm[6]; }

// Taps [k0, k1) of output o along one axis that land in [0, len); tap k reads start + k*d.
// Returns (start, k0, k1).
fn taps(o: u32, stride: u32, pad: u32, k: u32, d: u32, len: u32) -> vec3<i32> {
    let start = i32(o * stride) - i32(pad);
    var k0 = 0;
    if (start < 0) {
        k0 = (-start + i32(d) - 1) / i32(d);
    }
    var k1 = 0;
    if (start < i32(len)) {
        k1 = min((i32(len) - start + i32(d) - 1) / i32(d), i32(k));
    }
    return vec3<i32>(start, min(k0, k1), k1);
}

fn taps_y(oy: u32) -> vec3<i32> { return taps(oy, prm[9], prm[11], prm[7], prm[13], p_h()); }
fn taps_x(ox: u32) -> vec3<i32> { return taps(ox, prm[10], prm[12], prm[8], prm[14], p_w()); }

// Plane index of the window's first maximum (a NaN wins), or -1 when it is all padding.
fn window_argmax(base: u32, oy: u32, ox: u32) -> i32 {
    let ty = taps_y(oy);
    let tx = taps_x(ox);
    var best = special(NEG_INF_BITS);
    var arg = -1;
    for (var ky = ty.y; ky < ty.z; ky++) {
        let y = ty.x + ky * i32(prm[13]);
        for (var kx = tx.y; kx < tx.z; kx++) {
            let i = y * i32(p_w()) + tx.x + kx * i32(prm[14]);
            let v = x0[base + u32(i)];
            if (arg < 0 || v > best || is_nan(v)) {
                best = v;
                arg = i;
                if (is_nan(v)) {
                    return arg;
                }
            }
        }
    }
    return arg;
}

// PyTorch's divide_factor for average-pooling output (oy, ox), as a reciprocal; 0 for a
// window without input.
fn avg_scale(oy: u32, ox: u32) -> f32 {
    let ys = i32(oy * prm[9]) - i32(prm[11]);
    let xs = i32(ox * prm[10]) - i32(prm[12]);
    let ye = min(ys + i32(prm[7]), i32(p_h() + prm[11]));
    let xe = min(xs + i32(prm[8]), i32(p_w() + prm[12]));
    var d = (ye - ys) * (xe - xs);
    if (prm[15] == DIV_EXCLUDE_PAD) {
        d = max(min(ye, i32(p_h())) - max(ys, 0), 0) * max(min(xe, i32(p_w())) - max(xs, 0), 0);
    } else if (prm[15] == DIV_OVERRIDE) {
        d = i32(prm[16]);
    }
    if (d == 0) {
        return 0.0;
    }
    return 1.0 / f32(d);
}

@compute @workgroup_size(256)
fn pool_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let ohow = p_oh() * p_ow();
    let plane = t / ohow;
    let oy = (t % ohow) / p_ow();
    let ox = t % p_ow();
    let base = plane * p_h() * p_w();
    if (prm[1] == POOL_MAX) {
        let a = window_argmax(base, oy, ox);
        dst[t] = select(x0[base + u32(max(a, 0))], special(NEG_INF_BITS), a < 0);
        return;
    }
    // average pooling has no dilation
    let ty = taps_y(oy);
    let tx = taps_x(ox);
    var s = 0.0;
    for (var y = ty.x + ty.y; y < ty.x + ty.z; y++) {
        for (var x = tx.x + tx.y; x < tx.x + tx.z; x++) {
            s += x0[base + u32(y * i32(p_w()) + x)];
        }
    }
    dst[t] = s * avg_scale(oy, ox);
}

// The plane index of each output's maximum (return_indices), -1 for a window in padding.
@compute @workgroup_size(256)
fn pool_indices(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let ohow = p_oh() * p_ow();
    let plane = t / ohow;
    dst[t] = f32(window_argmax(plane * p_h() * p_w(), (t % ohow) / p_ow(), t % p_ow()));
}

// Outputs o along one axis whose window (span (k-1)*d+1) can hold input i: [o0, o1].
fn readers(i: i32, stride: u32, pad: u32, k: u32, d: u32, outs: u32) -> vec2<i32> {
    let s = i32(stride);
    let t = i + i32(pad) - i32((k - 1u) * d);
    let o0 = select((t + s - 1) / s, 0, t <= 0);
    let o1 = min(i32(outs) - 1, (i + i32(pad)) / s);
    return vec2<i32>(o0, o1);
}

// x0: forward input, x1: grad_out.
@compute @workgroup_size(256)
fn pool_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let hw = p_h() * p_w();
    let plane = t / hw;
    let iy = i32((t % hw) / p_w());
    let ix = i32(t % p_w());
    let base = plane * hw;
    let gbase = plane * p_oh() * p_ow();
    let ry = readers(iy, prm[9], prm[11], prm[7], prm[13], p_oh());
    let rx = readers(ix, prm[10], prm[12], prm[8], prm[14], p_ow());
    var acc = 0.0;
    for (var oy = ry.x; oy <= ry.y; oy++) {
        for (var ox = rx.x; ox <= rx.y; ox++) {
            let g = x1[gbase + u32(oy) * p_ow() + u32(ox)];
            if (prm[1] == POOL_MAX) {
                if (window_argmax(base, u32(oy), u32(ox)) == iy * i32(p_w()) + ix) {
                    acc += g;
                }
            } else {
                acc += g * avg_scale(u32(oy), u32(ox));
            }
        }
    }
    dst[t] = acc;
}

// PyTorch's adaptive window of output i: [floor(i*in/out), ceil((i+1)*in/out)).
fn win_start(i: u32, inp: u32, outp: u32) -> u32 {
    return (i * inp) / outp;
}
fn win_end(i: u32, inp: u32, outp: u32) -> u32 {
    return ((i + 1u) * inp + outp - 1u) / outp;
}

@compute @workgroup_size(256)
fn adaptive_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let ohow = p_oh() * p_ow();
    let plane = t / ohow;
    let oy = (t % ohow) / p_ow();
    let ox = t % p_ow();
    let base = plane * p_h() * p_w();
    let y0 = win_start(oy, p_h(), p_oh());
    let y1 = win_end(oy, p_h(), p_oh());
    let xa = win_start(ox, p_w(), p_ow());
    let xb = win_end(ox, p_w(), p_ow());
    var s = 0.0;
    for (var y = y0; y < y1; y++) {
        for (var x = xa; x < xb; x++) {
            s += x0[base + y * p_w() + x];
        }
    }
    dst[t] = s / f32((y1 - y0) * (xb - xa));
}

// x0: grad_out.
@compute @workgroup_size(256)
fn adaptive_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let hw = p_h() * p_w();
    let plane = t / hw;
    let iy = (t % hw) / p_w();
    let ix = t % p_w();
    let gbase = plane * p_oh() * p_ow();
    let oy0 = (iy * p_oh()) / p_h();
    let oy1 = min(p_oh(), ((iy + 1u) * p_oh() + p_h() - 1u) / p_h());
    let ox0 = (ix * p_ow()) / p_w();
    let ox1 = min(p_ow(), ((ix + 1u) * p_ow() + p_w() - 1u) / p_w());
    var acc = 0.0;
    for (var oy = oy0; oy < oy1; oy++) {
        let y0 = win_start(oy, p_h(), p_oh());
        let y1 = win_end(oy, p_h(), p_oh());
        if (iy < y0 || iy >= y1) {
            continue;
        }
        for (var ox = ox0; ox < ox1; ox++) {
            let xa = win_start(ox, p_w(), p_ow());
            let xb = win_end(ox, p_w(), p_ow());
            if (ix < xa || ix >= xb) {
                continue;
            }
            acc += x0[gbase + oy * p_ow() + ox] / f32((y1 - y0) * (xb - xa));
        }
    }
    dst[t] = acc;
}

// Bilinear taps of output o (align_corners=False): lower index, upper index, upper weight.
fn tap(o: u32, inp: u32, outp: u32) -> vec3<f32> {
    let scale = f32(inp) / f32(outp);
    let src = max(scale * (f32(o) + 0.5) - 0.5, 0.0);
    let i0 = min(u32(src), inp - 1u);
    let i1 = select(i0, i0 + 1u, i0 < inp - 1u);
    return vec3<f32>(f32(i0), f32(i1), src - f32(i0));
}

@compute @workgroup_size(256)
fn resize_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let ohow = p_oh() * p_ow();
    let plane = t / ohow;
    let ty = tap((t % ohow) / p_ow(), p_h(), p_oh());
    let tx = tap(t % p_ow(), p_w(), p_ow());
    let base = plane * p_h() * p_w();
    let r0 = base + u32(ty.x) * p_w();
    let r1 = base + u32(ty.y) * p_w();
    let top = (1.0 - tx.z) * x0[r0 + u32(tx.x)] + tx.z * x0[r0 + u32(tx.y)];
    let bot = (1.0 - tx.z) * x0[r1 + u32(tx.x)] + tx.z * x0[r1 + u32(tx.y)];
    dst[t] = (1.0 - ty.z) * top + ty.z * bot;
}

// Weight of input index i in output o's interpolation along one axis.
fn tap_weight(o: u32, i: u32, inp: u32, outp: u32) -> f32 {
    let tp = tap(o, inp, outp);
    var wgt = 0.0;
    if (u32(tp.x) == i) {
        wgt += 1.0 - tp.z;
    }
    if (u32(tp.y) == i) {
        wgt += tp.z;
    }
    return wgt;
}

// Outputs whose taps may include input index i (a superset; tap_weight filters).
fn tap_range(i: u32, inp: u32, outp: u32) -> vec2<u32> {
    let inv = f32(outp) / f32(inp);
    let lo = i32(floor((f32(i) - 0.5) * inv - 0.5)) - 1;
    let hi = i32(ceil((f32(i) + 1.5) * inv - 0.5)) + 1;
    return vec2<u32>(u32(max(lo, 0)), u32(clamp(hi, 0, i32(outp) - 1)));
}

// x0: grad_out.
@compute @workgroup_size(256)
fn resize_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let hw = p_h() * p_w();
    let plane = t / hw;
    let iy = (t % hw) / p_w();
    let ix = t % p_w();
    let gbase = plane * p_oh() * p_ow();
    let ry = tap_range(iy, p_h(), p_oh());
    let rx = tap_range(ix, p_w(), p_ow());
    var acc = 0.0;
    for (var oy = ry.x; oy <= ry.y; oy++) {
        let wy = tap_weight(oy, iy, p_h(), p_oh());
        if (wy == 0.0) {
            continue;
        }
        for (var ox = rx.x; ox <= rx.y; ox++) {
            let wx = tap_weight(ox, ix, p_w(), p_ow());
            if (wx != 0.0) {
                acc += wy * wx * x0[gbase + oy * p_ow() + ox];
            }
        }
    }
    dst[t] = acc;
}
