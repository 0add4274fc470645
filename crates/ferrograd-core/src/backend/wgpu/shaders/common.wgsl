// Constants and helpers every kernel may use (after the bindings).

const WG: u32 = 256u;
const NAN_BITS: u32 = 0x7fc00000u;
const POS_INF_BITS: u32 = 0x7f800000u;
const NEG_INF_BITS: u32 = 0xff800000u;

// Launches fold large grids into 2-D; this rebuilds the linear workgroup index.
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y * nwg.x + wid.x;
}

// By bits: WGSL lets compilers assume floats are finite, so `x != x` may be folded away.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > POS_INF_BITS;
}

fn prmf(i: u32) -> f32 {
    return bitcast<f32>(prm[i]);
}

// NaN or an infinity from its bits. Tint rejects them as constant expressions, so the value
// is made to depend on a buffer load it cannot fold.
fn special(bits: u32) -> f32 {
    return bitcast<f32>(bits | (prm[0] & 0u));
}
