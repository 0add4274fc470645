// One binary op's kernel: `binary_fn` is generated from the op's row of the op table
// (optable.rs) and appended to this module, one pipeline per op.

@compute @workgroup_size(256)
fn binary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let i = group_index(wid, nwg) * WG + li;
    if (i >= prm[0]) {
        return;
    }
    let o = offsets(i);
    dst[i] = binary_fn(x0[o.x], x1[o.y], prmf(3u), prmf(4u));
}
