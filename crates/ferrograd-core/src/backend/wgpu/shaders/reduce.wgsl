// Reductions of a strided input. Kept and reduced dims are each collapsed to at most 8.
// prm: [0] outputs, [1] reduced count, [2] op (REDUCE_SUM, REDUCE_MAX or REDUCE_MIN, constants
// generated from `ReduceCode` in kernels.rs), [3] kept rank,
// [4] reduced rank, [5] input offset, [6] splits per output, [7] reduced elements per split,
// [8..16] kept sizes, [16..24] kept strides, [24..32] reduced sizes, [32..40] reduced strides.
//
// Sums are blocked pairwise (as the CPU's, though not the same bits): a thread combines a
// short run of values in order (a leaf), leaves merge in a binary counter (a stack of partial
// results, one per set bit of the leaf count), a workgroup's threads combine by a tree, and
// the per-split partials go through `reduce_thread` again. The error grows with log(n).

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
    if (op == REDUCE_MAX) {
        return special(NEG_INF_BITS);
    }
    if (op == REDUCE_MIN) {
        return special(POS_INF_BITS);
    }
    return 0.0;
}

// NaN wins max and min, as in the CPU kernels and PyTorch.
fn combine(op: u32, a: f32, b: f32) -> f32 {
    if (op == REDUCE_SUM) {
        return a + b;
    }
    if (is_nan(a)) {
        return a;
    }
    if (is_nan(b)) {
        return b;
    }
    if (op == REDUCE_MAX) {
        return max(a, b);
    }
    return min(a, b);
}

// Values per leaf: each of a workgroup's threads walks its split with stride WG; one thread
// per output (`reduce_thread`, also the pass over splits) walks its whole reduction.
const WG_LEAF: u32 = 32u;
const THREAD_LEAF: u32 = 8u;
// Stack entries: leaf counts stay below 2^32.
const LEVELS: u32 = 32u;

// Pushes `v` as leaf number `n` onto the `top` entries of `stack`, merging it with one entry
// per trailing one bit of `n` (equal-sized subtrees pair up); returns the new entry count.
fn push_leaf(op: u32, stack: ptr<function, array<f32, LEVELS>>, top: u32, n: u32, v: f32) -> u32 {
    var s = v;
    var t = top;
    var k = n;
    while ((k & 1u) == 1u) {
        t -= 1u;
        s = combine(op, (*stack)[t], s);
        k = k >> 1u;
    }
    (*stack)[t] = s;
    return t + 1u;
}

// The stack's total, folded from its top (the smallest, newest subtree) down.
fn fold_stack(op: u32, stack: ptr<function, array<f32, LEVELS>>, top: u32) -> f32 {
    if (top == 0u) {
        return init_value(op);
    }
    var acc = (*stack)[top - 1u];
    for (var i = top - 1u; i > 0u; i--) {
        acc = combine(op, (*stack)[i - 1u], acc);
    }
    return acc;
}

// The workgroup's values `v` (one per thread) combined by a tree; every thread gets the total.
// Every thread of the workgroup must call it (barriers).
fn workgroup_combine(op: u32, li: u32, v: f32) -> f32 {
    part[li] = v;
    workgroupBarrier();
    for (var w = WG / 2u; w > 0u; w = w >> 1u) {
        if (li < w) {
            part[li] = combine(op, part[li], part[li + w]);
        }
        workgroupBarrier();
    }
    let total = part[0];
    workgroupBarrier();
    return total;
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
    var stack: array<f32, LEVELS>;
    var top = 0u;
    var leaves = 0u;
    var acc = init_value(op);
    var fill = 0u;
    for (var r = r0 + li; r < r1; r += WG) {
        acc = combine(op, acc, x0[base + reduced_offset(r)]);
        fill += 1u;
        if (fill == WG_LEAF) {
            top = push_leaf(op, &stack, top, leaves, acc);
            leaves += 1u;
            acc = init_value(op);
            fill = 0u;
        }
    }
    if (fill > 0u) {
        top = push_leaf(op, &stack, top, leaves, acc);
    }
    let total = workgroup_combine(op, li, fold_stack(op, &stack, top));
    if (li == 0u) {
        dst[g] = total;
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
    var stack: array<f32, LEVELS>;
    var top = 0u;
    var leaves = 0u;
    var acc = init_value(op);
    var fill = 0u;
    for (var r = 0u; r < prm[1]; r++) {
        acc = combine(op, acc, x0[base + reduced_offset(r)]);
        fill += 1u;
        if (fill == THREAD_LEAF) {
            top = push_leaf(op, &stack, top, leaves, acc);
            leaves += 1u;
            acc = init_value(op);
            fill = 0u;
        }
    }
    if (fill > 0u) {
        top = push_leaf(op, &stack, top, leaves, acc);
    }
    dst[o] = fold_stack(op, &stack, top);
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
