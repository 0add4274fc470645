// Weight gradient: per group, dW[co, (ci,ky,kx)] = sum over (image, oy, ox) of
// dY[image, co, oy, ox] * X_unfolded. x0 forward input, x1 grad_out. Batch b = group; K is
// split across workgroups (it spans the whole batch) and the partial sums added afterwards.

fn load_a(b: u32, m: u32, k: u32) -> f32 {
    let ohow = oh() * ow();
    return x1[((k / ohow) * c_out() + b * cog() + m) * ohow + k % ohow];
}

fn load_b(b: u32, k: u32, n: u32) -> f32 {
    let ohow = oh() * ow();
    let p = k % ohow;
    let khw = kh() * kw();
    let r = n % khw;
    return input_at(k / ohow, b * cig() + n / khw, p / ow(), p % ow(), r / kw(), r % kw());
}

fn store_c(b: u32, s: u32, m: u32, n: u32, v: f32) {
    dst[((s * groups() + b) * cog() + m) * prm[1] + n] = v;
}
