// Direct convolution for layers with few channels per group (LeNet's 1->6 and 6->16): one
// thread per output value, no tiles or barriers. With so few channels a GEMM tile would be
// mostly padding (tfjs-webgpu makes the same choice below 32 channels).
// prm: [0] threads (or weight count), then the convolution geometry of conv_common.wgsl.

// out[img, co, oy, ox]; x0 input, x1 weight, x2 bias.
@compute @workgroup_size(256)
fn direct_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let ohow = oh() * ow();
    let p = t % ohow;
    let co = (t / ohow) % c_out();
    let img = t / (ohow * c_out());
    let g = co / cog();
    let oy = p / ow();
    let ox = p % ow();
    var acc = 0.0;
    var wi = co * cig() * kh() * kw();
    for (var ci = 0u; ci < cig(); ci++) {
        for (var ky = 0u; ky < kh(); ky++) {
            for (var kx = 0u; kx < kw(); kx++) {
                acc += input_at(img, g * cig() + ci, oy, ox, ky, kx) * x1[wi];
                wi++;
            }
        }
    }
    if (prm[23] == 1u) {
        acc += x2[co];
    }
    dst[t] = acc;
}

// dX[img, ci, iy, ix]; x0 grad_out, x1 weight.
@compute @workgroup_size(256)
fn direct_bwd_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let hw = ih() * iw();
    let p = t % hw;
    let ci = (t / hw) % c_in();
    let img = t / (hw * c_in());
    let g = ci / cig();
    let cil = ci % cig();
    let iy = p / iw();
    let ix = p % iw();
    var acc = 0.0;
    for (var col = 0u; col < cog(); col++) {
        let co = g * cog() + col;
        let gbase = (img * c_out() + co) * oh();
        for (var ky = 0u; ky < kh(); ky++) {
            let ty = i32(iy + prm[16]) - i32(ky * prm[18]);
            if (ty < 0 || u32(ty) % prm[14] != 0u || u32(ty) / prm[14] >= oh()) {
                continue;
            }
            let oy = u32(ty) / prm[14];
            for (var kx = 0u; kx < kw(); kx++) {
                let tx = i32(ix + prm[17]) - i32(kx * prm[19]);
                if (tx < 0 || u32(tx) % prm[15] != 0u || u32(tx) / prm[15] >= ow()) {
                    continue;
                }
                let ox = u32(tx) / prm[15];
                acc += x0[(gbase + oy) * ow() + ox] * x1[((co * cig() + cil) * kh() + ky) * kw() + kx];
            }
        }
    }
    dst[t] = acc;
}

// Partial dW[co, ci, ky, kx] over one chunk of (image, oy, ox): one thread per (chunk,
// weight), no barriers; the chunks are summed afterwards. prm[0] chunks * weights, [1] weights,
// [2] chunk length, [7] batch. x0 forward input, x1 grad_out.
@compute @workgroup_size(256)
fn direct_bwd_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let wi = t % prm[1];
    let chunk = t / prm[1];
    let khw = kh() * kw();
    let kx = wi % kw();
    let ky = (wi / kw()) % kh();
    let cil = (wi / khw) % cig();
    let co = wi / (khw * cig());
    let ci = (co / cog()) * cig() + cil;
    let ohow = oh() * ow();
    let k0 = chunk * prm[2];
    let k1 = min(prm[7] * ohow, k0 + prm[2]);
    var acc = 0.0;
    for (var k = k0; k < k1; k++) {
        let img = k / ohow;
        let p = k % ohow;
        acc += x1[(img * c_out() + co) * ohow + p] * input_at(img, ci, p / ow(), p % ow(), ky, kx);
    }
    dst[t] = acc;
}
