// Reductions of a strided input. Kept and reduced dims are each collapsed to at most 8.
// prm: [0] outputs, [1] reduced count, [2] op (0 sum, 1 max, 2 min), [3] kept rank,
// [4] reduced rank, [5] input offset, [6] splits per output, [7] reduced elements per split,
// [8..16] kept sizes, [16..24] kept strides, [24..32] reduced sizes, [32..40] reduced strides.

var<workgroup> part: array<f32, 256>;

// Offset of the i-th element of a row-major walk over `ndim` dims whose sizes start at
// prm[shape_at] and strides at prm[stride_at], from `base`.
fn walk_offset(i: u32, ndim: u32, shape_at: u32, stride_at: u32, base: u32) -> u32 {
    var rem = i;
    var off = base;
    for (var d = ndim; d > 0u; d--) {
        let k = d - 1u;
        off += (rem % prm[shape_at + k]) * prm[stride_at + k];
        rem = rem / prm[shape_at + k];
    }
    return off;
}

fn kept_offset(o: u32) -> u32 {
    return walk_offset(o, prm[3], 8u, 16u, prm[5]);
}

fn reduced_offset(r: u32) -> u32 {
    return walk_offset(r, prm[4], 24u, 32u, 0u);
}

fn init_value(op: u32) -> f32 {
    if (op == 1u) {
        return special(NEG_INF_BITS);
    }
    if (op == 2u) {
        return special(POS_INF_BITS);
    }
    return 0.0;
}

// NaN wins max and min, as in the CPU kernels and PyTorch.
fn combine(op: u32, a: f32, b: f32) -> f32 {
    if (op == 0u) {
        return a + b;
    }
    if (is_nan(a)) {
        return a;
    }
    if (is_nan(b)) {
        return b;
    }
    if (op == 1u) {
        return max(a, b);
    }
    return min(a, b);
}

// One workgroup per (output, split): long reductions (batch-norm statistics, bias gradients).
@compute @workgroup_size(256)
fn reduce_wg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let g = group_index(wid, nwg);
    let splits = prm[6];
    if (g >= prm[0] * splits) {
        return;
    }
    let op = prm[2];
    let base = kept_offset(g / splits);
    let r0 = (g % splits) * prm[7];
    let r1 = min(prm[1], r0 + prm[7]);
    var acc = init_value(op);
    for (var r = r0 + li; r < r1; r += WG) {
        acc = combine(op, acc, x0[base + reduced_offset(r)]);
    }
    part[li] = acc;
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w = w >> 1u) {
        if (li < w) {
            part[li] = combine(op, part[li], part[li + w]);
        }
        workgroupBarrier();
    }
    if (li == 0u) {
        dst[g] = part[0];
    }
}

// One thread per output: many short reductions (softmax rows).
@compute @workgroup_size(256)
fn reduce_thread(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let o = group_index(wid, nwg) * WG + li;
    if (o >= prm[0]) {
        return;
    }
    let op = prm[2];
    let base = kept_offset(o);
    var acc = init_value(op);
    for (var r = 0u; r < prm[1]; r++) {
        acc = combine(op, acc, x0[base + reduced_offset(r)]);
    }
    dst[o] = acc;
}

// Index of the first maximum (a NaN counts as the maximum), as f32.
@compute @workgroup_size(256)
fn argmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let o = group_index(wid, nwg) * WG + li;
    if (o >= prm[0]) {
        return;
    }
    let base = kept_offset(o);
    var best = special(NEG_INF_BITS);
    var arg = 0u;
    for (var r = 0u; r < prm[1]; r++) {
        let v = x0[base + reduced_offset(r)];
        if (v > best || (is_nan(v) && !is_nan(best))) {
            best = v;
            arg = r;
        }
    }
    dst[o] = f32(arg);
}
