// Forward: per (image, group), C[co, p] = act(W[co, (ci,ky,kx)] * X_unfolded[(ci,ky,kx), p] + bias).
// x0 input, x1 weight, x2 bias. Batch b = image * groups + group. conv_act (generated in
// kernels.rs) applies the fused activation prm[26] names, or none.

fn load_a(b: u32, m: u32, k: u32) -> f32 {
    let g = b % groups();
    return x1[(g * cog() + m) * prm[2] + k];
}

fn load_b(b: u32, k: u32, n: u32) -> f32 {
    let g = b % groups();
    let khw = kh() * kw();
    let r = k % khw;
    return input_at(b / groups(), g * cig() + k / khw, n / ow(), n % ow(), r / kw(), r % kw());
}

fn store_c(b: u32, s: u32, m: u32, n: u32, v: f32) {
    let co = (b % groups()) * cog() + m;
    var r = v;
    if (prm[23] == 1u) {
        r += x2[co];
    }
    dst[((b / groups()) * c_out() + co) * (oh() * ow()) + n] = conv_act(r);
}
