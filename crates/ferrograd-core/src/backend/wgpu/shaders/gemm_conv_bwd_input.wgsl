// Input gradient: per (image, group), dX[ci, (iy,ix)] = sum over (co,ky,kx) of
// W[co, ci, ky, kx] * dY[co, oy, ox] where oy*stride = iy + pad - ky*dilation.
// x0 grad_out, x1 weight. Batch b = image * groups + group.

fn load_a(b: u32, m: u32, k: u32) -> f32 {
    let g = b % groups();
    let khw = kh() * kw();
    return x1[((g * cog() + k / khw) * cig() + m) * khw + k % khw];
}

fn load_b(b: u32, k: u32, n: u32) -> f32 {
    let g = b % groups();
    let khw = kh() * kw();
    let co = k / khw;
    let r = k % khw;
    let ty = i32(n / iw() + prm[16]) - i32((r / kw()) * prm[18]);
    let tx = i32(n % iw() + prm[17]) - i32((r % kw()) * prm[19]);
    if (ty < 0 || tx < 0) {
        return 0.0;
    }
    if (u32(ty) % prm[14] != 0u || u32(tx) % prm[15] != 0u) {
        return 0.0;
    }
    let oy = u32(ty) / prm[14];
    let ox = u32(tx) / prm[15];
    if (oy >= oh() || ox >= ow()) {
        return 0.0;
    }
    return x0[(((b / groups()) * c_out() + g * cog() + co) * oh() + oy) * ow() + ox];
}

fn store_c(b: u32, s: u32, m: u32, n: u32, v: f32) {
    let g = b % groups();
    dst[((b / groups()) * c_in() + g * cig() + m) * (ih() * iw()) + n] = v;
}
