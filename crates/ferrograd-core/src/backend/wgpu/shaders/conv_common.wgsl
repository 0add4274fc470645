// Convolution geometry, prm from [8]: c_in, h, w, c_out, kh, kw, stride h/w, padding h/w,
// dilation h/w, groups, out_h, out_w, has_bias, c_in/groups, c_out/groups.
fn c_in() -> u32 { return prm[8]; }
fn ih() -> u32 { return prm[9]; }
fn iw() -> u32 { return prm[10]; }
fn c_out() -> u32 { return prm[11]; }
fn kh() -> u32 { return prm[12]; }
fn kw() -> u32 { return prm[13]; }
fn groups() -> u32 { return prm[20]; }
fn oh() -> u32 { return prm[21]; }
fn ow() -> u32 { return prm[22]; }
fn cig() -> u32 { return prm[24]; }
fn cog() -> u32 { return prm[25]; }

// Input value at output position (oy, ox) and tap (ky, kx), or 0 in the padding.
fn input_at(img: u32, ci: u32, oy: u32, ox: u32, ky: u32, kx: u32) -> f32 {
    let iy = i32(oy * prm[14] + ky * prm[18]) - i32(prm[16]);
    let ix = i32(ox * prm[15] + kx * prm[19]) - i32(prm[17]);
    if (iy < 0 || ix < 0 || iy >= i32(ih()) || ix >= i32(iw())) {
        return 0.0;
    }
    return x0[((img * c_in() + ci) * ih() + u32(iy)) * iw() + u32(ix)];
}
