// Pooling, adaptive average pooling and bilinear resize, forward and backward. Backward
// kernels gather (one thread per input element, looping over the outputs that read it)
// instead of scattering, so no float atomics are needed and sums keep the CPU's order.
// prm: [0] threads, [1] kind (POOL_MAX or POOL_AVG, constants generated from
// `PoolKind` in kernels.rs), [2] planes (n*c), [3] h, [4] w, [5] out_h,
// [6] out_w, [7] kh, [8] kw, [9] stride h, [10] stride w, [11] pad h, [12] pad w.

fn p_h() -> u32 { return prm[3]; }
fn p_w() -> u32 { return prm[4]; }
fn p_oh() -> u32 { return prm[5]; }
fn p_ow() -> u32 { return prm[6]; }

// Clipped window [y0, y1) x [x0, x1) of output (oy, ox).
fn window(oy: u32, ox: u32) -> vec4<i32> {
    let y = i32(oy * prm[9]) - i32(prm[11]);
    let x = i32(ox * prm[10]) - i32(prm[12]);
    let y0 = max(y, 0);
    let x0v = max(x, 0);
    let y1 = max(min(y + i32(prm[7]), i32(p_h())), y0);
    let x1v = max(min(x + i32(prm[8]), i32(p_w())), x0v);
    return vec4<i32>(y0, y1, x0v, x1v);
}

// Plane index of the window's first maximum (a NaN wins), or -1 when it is all padding.
fn window_argmax(base: u32, win: vec4<i32>) -> i32 {
    var best = special(NEG_INF_BITS);
    var arg = -1;
    for (var y = win.x; y < win.y; y++) {
        for (var x = win.z; x < win.w; x++) {
            let i = y * i32(p_w()) + x;
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
    let win = window(oy, ox);
    if (prm[1] == POOL_MAX) {
        let a = window_argmax(base, win);
        dst[t] = select(x0[base + u32(max(a, 0))], special(NEG_INF_BITS), a < 0);
        return;
    }
    var s = 0.0;
    for (var y = win.x; y < win.y; y++) {
        for (var x = win.z; x < win.w; x++) {
            s += x0[base + u32(y * i32(p_w()) + x)];
        }
    }
    dst[t] = s * (1.0 / f32(prm[7] * prm[8]));
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
    let sh = i32(prm[9]);
    let sw = i32(prm[10]);
    let ty = iy + i32(prm[11]) - i32(prm[7]) + 1;
    let tx = ix + i32(prm[12]) - i32(prm[8]) + 1;
    let oy0 = select((ty + sh - 1) / sh, 0, ty <= 0);
    let ox0 = select((tx + sw - 1) / sw, 0, tx <= 0);
    let oy1 = min(i32(p_oh()) - 1, (iy + i32(prm[11])) / sh);
    let ox1 = min(i32(p_ow()) - 1, (ix + i32(prm[12])) / sw);
    let inv = 1.0 / f32(prm[7] * prm[8]);
    var acc = 0.0;
    for (var oy = oy0; oy <= oy1; oy++) {
        for (var ox = ox0; ox <= ox1; ox++) {
            let g = x1[gbase + u32(oy) * p_ow() + u32(ox)];
            if (prm[1] == POOL_MAX) {
                if (window_argmax(base, window(u32(oy), u32(ox))) == iy * i32(p_w()) + ix) {
                    acc += g;
                }
            } else {
                acc += g * inv;
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
