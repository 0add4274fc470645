// gather_cols / scatter_cols. Indices are user data that cannot be checked on the host
// without a readback: a bad one (out of range, fractional, NaN) yields NaN and raises a flag
// that the next read reports as an error. prm: [0] rows, [1] cols.

@group(0) @binding(5) var<storage, read_write> flags: array<atomic<u32>>;

fn class_index(r: u32) -> i32 {
    let v = x1[r];
    if (is_nan(v) || v < 0.0 || v >= f32(prm[1]) || floor(v) != v) {
        atomicOr(&flags[0], 1u);
        return -1;
    }
    return i32(v);
}

// dst[r] = x0[r, idx[r]]
@compute @workgroup_size(256)
fn gather(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let r = group_index(wid, nwg) * WG + li;
    if (r >= prm[0]) {
        return;
    }
    let c = class_index(r);
    if (c < 0) {
        dst[r] = special(NAN_BITS);
        return;
    }
    dst[r] = x0[r * prm[1] + u32(c)];
}

// dst[r, c] = (c == idx[r]) ? x0[r] : 0
@compute @workgroup_size(256)
fn scatter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0] * prm[1]) {
        return;
    }
    let r = t / prm[1];
    let c = class_index(r);
    if (c < 0) {
        dst[t] = special(NAN_BITS);
        return;
    }
    dst[t] = select(0.0, x0[r], u32(c) == t % prm[1]);
}

// max_unpool2d, x1 holding each input's index into its output plane. A bad index raises
// flag bit 2 (the read reports it). prm: [0] inputs (planes * hw), [1] hw, [2] out_h * out_w.
fn unpool_index(t: u32) -> i32 {
    let v = x1[t];
    if (is_nan(v) || v < 0.0 || v >= f32(prm[2]) || floor(v) != v) {
        atomicOr(&flags[0], 2u);
        return -1;
    }
    return i32(v);
}

// dst (cleared by the host) [plane, idx[t]] = x0[t]; one thread per input.
@compute @workgroup_size(256)
fn unpool(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let j = unpool_index(t);
    if (j >= 0) {
        dst[(t / prm[1]) * prm[2] + u32(j)] = x0[t];
    }
}

// dst[t] = grad_out[plane, idx[t]], x0 being grad_out.
@compute @workgroup_size(256)
fn unpool_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let t = group_index(wid, nwg) * WG + li;
    if (t >= prm[0]) {
        return;
    }
    let j = unpool_index(t);
    if (j < 0) {
        dst[t] = special(NAN_BITS);
        return;
    }
    dst[t] = x0[(t / prm[1]) * prm[2] + u32(j)];
}
