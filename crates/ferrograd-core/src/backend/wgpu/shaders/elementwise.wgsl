// Elementwise kernels over strided layouts collapsed to at most 8 dims.
// prm: [0] n, [1] rank, [2] unused, [3] f0, [4] f1, [5] offset of operand 0, [6] offset of
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
