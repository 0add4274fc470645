// Batch norm on a contiguous [n, c, s] tensor, in the default composite's arithmetic
// (backend/fused.rs), with fewer passes (wgpu/norm.rs). Per-channel operands come packed
// (bn_pack, bn_dx_prep), as a kernel binds three inputs.
//
// The normalisation with a fused activation, one pass: dst = act(((x - mean) · inv_std) ·
// weight + bias). prm: [0] elements, [1] c, [2] s, [3] flags (1 weight, 2 bias), [4]
// activation code (kernels.rs act_code; bn_act is generated from the op table's WGSL).

// dst[2i] = x0[i], dst[2i + 1] = x1[i] for i < prm[0]
@compute @workgroup_size(256)
fn bn_pack(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = group_index(wid, nwg) * WG + li;
    if (i >= prm[0]) {
        return;
    }
    dst[2u * i] = x0[i];
    dst[2u * i + 1u] = x1[i];
}

// x0 the input, x1 (mean, inv_std) pairs, x2 (weight, bias) pairs
@compute @workgroup_size(256)
fn bn_apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = group_index(wid, nwg) * WG + li;
    if (i >= prm[0]) {
        return;
    }
    let ch = (i / prm[2]) % prm[1];
    var y = (x0[i] - x1[2u * ch]) * x1[2u * ch + 1u];
    if ((prm[3] & 1u) != 0u) {
        y = y * x2[2u * ch];
    }
    if ((prm[3] & 2u) != 0u) {
        y = y + x2[2u * ch + 1u];
    }
    dst[i] = bn_act(y);
}

// Statistics and gradient sums: one workgroup per channel. prm: [0] n, [1] c, [2] s, [3] flags
// (bn_dx_prep: 1 weight; bn_dx: 2 batch statistics), [5] 1 / (n·s) as bits (the composite's
// mean is `sum · (1 / count) + 0`).

// Term `which` of element e (0 .. n·s) of channel ch: 0 x, 1 (x - mean)², 2 g, 3 g·x̂ with
// x in x0, g in x1.
fn bn_term(which: u32, ch: u32, e: u32, mean: f32, inv_std: f32) -> f32 {
    let s = prm[2];
    let i = (e / s) * prm[1] * s + ch * s + e % s;
    if (which == 0u) {
        return x0[i];
    }
    if (which == 1u) {
        let d = x0[i] - mean;
        return d * d;
    }
    if (which == 2u) {
        return x1[i];
    }
    return x1[i] * ((x0[i] - mean) * inv_std);
}

// The channel's sum of a term, blocked pairwise as reduce_wg sums (leaves of WG_LEAF values per
// thread merged by push_leaf, then workgroup_combine's tree); every thread gets the total.
fn bn_channel_sum(which: u32, ch: u32, li: u32, mean: f32, inv_std: f32) -> f32 {
    let count = prm[0] * prm[2];
    var stack: array<f32, LEVELS>;
    var top = 0u;
    var leaves = 0u;
    var acc = 0.0;
    var fill = 0u;
    for (var e = li; e < count; e += WG) {
        acc += bn_term(which, ch, e, mean, inv_std);
        fill += 1u;
        if (fill == WG_LEAF) {
            top = push_leaf(REDUCE_SUM, &stack, top, leaves, acc);
            leaves += 1u;
            acc = 0.0;
            fill = 0u;
        }
    }
    if (fill > 0u) {
        top = push_leaf(REDUCE_SUM, &stack, top, leaves, acc);
    }
    return workgroup_combine(REDUCE_SUM, li, fold_stack(REDUCE_SUM, &stack, top));
}

// dst[ch] = mean, dst[c + ch] = biased variance (two-pass, as the composite) of x0.
@compute @workgroup_size(256)
fn bn_stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let ch = group_index(wid, nwg);
    if (ch >= prm[1]) {
        return;
    }
    let inv_count = prmf(5u);
    let mean = bn_channel_sum(0u, ch, li, 0.0, 0.0) * inv_count + 0.0;
    let v = bn_channel_sum(1u, ch, li, mean, 0.0) * inv_count + 0.0;
    if (li == 0u) {
        dst[ch] = mean;
        dst[prm[1] + ch] = v;
    }
}

// x0 x, x1 g, x2 (mean, inv_std) pairs: dst[ch] = Σ g (dbias), dst[c + ch] = Σ g·x̂ (dweight).
@compute @workgroup_size(256)
fn bn_bwd_sums(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let ch = group_index(wid, nwg);
    if (ch >= prm[1]) {
        return;
    }
    let mean = x2[2u * ch];
    let inv_std = x2[2u * ch + 1u];
    let sg = bn_channel_sum(2u, ch, li, mean, inv_std);
    let sgx = bn_channel_sum(3u, ch, li, mean, inv_std);
    if (li == 0u) {
        dst[ch] = sg;
        dst[prm[1] + ch] = sgx;
    }
}

// One thread per channel: x0 the sums (dbias, dweight), x1 (mean, inv_std) pairs, x2 the weight
// (flag 1). dst, five [c] rows: mean, inv_std, k = weight·inv_std (or inv_std), Σg / count,
// Σg·x̂ / count.
@compute @workgroup_size(256)
fn bn_dx_prep(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let ch = group_index(wid, nwg) * WG + li;
    let c = prm[1];
    if (ch >= c) {
        return;
    }
    let inv_count = prmf(5u);
    let inv_std = x1[2u * ch + 1u];
    dst[ch] = x1[2u * ch];
    dst[c + ch] = inv_std;
    dst[2u * c + ch] = select(inv_std, x2[ch] * inv_std, (prm[3] & 1u) != 0u);
    dst[3u * c + ch] = x0[ch] * inv_count + 0.0;
    dst[4u * c + ch] = x0[c + ch] * inv_count + 0.0;
}

// dx, one thread per element: x0 g, x1 x, x2 bn_dx_prep's rows. With batch statistics
// ((g - Σg/count) - x̂·Σg·x̂/count)·k, else g·k.
@compute @workgroup_size(256)
fn bn_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = group_index(wid, nwg) * WG + li;
    let c = prm[1];
    if (i >= prm[0] * c * prm[2]) {
        return;
    }
    let ch = (i / prm[2]) % c;
    let k = x2[2u * c + ch];
    if ((prm[3] & 2u) == 0u) {
        dst[i] = x0[i] * k;
        return;
    }
    let xhat = (x1[i] - x2[ch]) * x2[c + ch];
    dst[i] = ((x0[i] - x2[3u * c + ch]) - xhat * x2[4u * c + ch]) * k;
}
