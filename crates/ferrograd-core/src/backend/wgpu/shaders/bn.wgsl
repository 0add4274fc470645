// Batch norm's normalisation with a fused activation, one pass over a contiguous [n, c, s]
// tensor: dst = act(((x - mean) · inv_std) · weight + bias), in the default composite's order.
// The per-channel operands come packed in pairs (bn_pack), as a kernel binds three inputs.
// prm: [0] elements, [1] c, [2] s, [3] flags (1 weight, 2 bias), [4] activation code
// (kernels.rs act_code; bn_act is generated from the op table's WGSL).

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
