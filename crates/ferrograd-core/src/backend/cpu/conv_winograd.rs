//! Winograd F(2×2, 3×3) convolution for 3×3 stride-1 layers (every VGG conv, most of
//! ResNet-18's): each 2×2 output tile costs 16 multiplies per channel pair instead of 36, so
//! the GEMM does 2.25× less work than im2col's.
//!
//! For a tile, `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` (Lavin & Gray, 2015). Per group: the weights are
//! transformed once into 16 matrices `U[k]` (`cout × cin`), a chunk of input tiles into 16
//! matrices `V[k]` (`cin × tiles`), then 16 GEMMs `M[k] = U[k] · V[k]` and the output transform
//! of `M`. Tiles run over the whole batch in chunks sized so `V` and `M` stay bounded. The input
//! gradient of a 3×3 stride-1 conv is such a convolution too (of the output gradient with the
//! flipped, transposed filter), so it runs here as well. The weight gradient is Winograd's
//! adjoint: `dU[k] = Σ_tiles (A dY Aᵀ)[k] · V[k]` by 16 GEMMs over the tiles, then `Gᵀ dU G`.
//!
//! Every output element is computed by the same operations whatever the thread count (the
//! transforms split by channel, the GEMM by tile), so results stay bitwise identical.

use super::alloc;
use super::gemm::{gemm, MatRef};
use super::lanes::Lane;
use super::parallel::{for_each_task, SendPtr};
use super::simd::F32x4;
use crate::backend::Conv2dParams;

/// Floats of `V` or `M` per chunk (16 MiB each).
const BUDGET: usize = 1 << 22;

/// 3×3, stride 1, no dilation, padding at most 2 (so every tile reads a window of the input).
pub fn supports(p: &Conv2dParams) -> bool {
    p.kh == 3
        && p.kw == 3
        && p.stride == (1, 1)
        && p.dilation == (1, 1)
        && p.padding.0 <= 2
        && p.padding.1 <= 2
        && p.out_h > 0
        && p.out_w > 0
}

/// `U[k][co][ci] = (G g Gᵀ)[k]` for the filters of group `grp` (`w` is `[c_out, cig, 3, 3]`).
fn transform_weights(w: &[f32], cig: usize, cog: usize, grp: usize) -> Vec<f32> {
    let mut u = alloc::scratch(16 * cog * cig);
    for co in 0..cog {
        for ci in 0..cig {
            let g = &w[((grp * cog + co) * cig + ci) * 9..][..9];
            // t = G g (4×3), then U = t Gᵀ (4×4)
            let mut t = [[0.0f32; 3]; 4];
            for j in 0..3 {
                let (a, b, c) = (g[j], g[3 + j], g[6 + j]);
                t[0][j] = a;
                t[1][j] = 0.5 * (a + b + c);
                t[2][j] = 0.5 * (a - b + c);
                t[3][j] = c;
            }
            for (i, row) in t.iter().enumerate() {
                let (a, b, c) = (row[0], row[1], row[2]);
                let r = [a, 0.5 * (a + b + c), 0.5 * (a - b + c), c];
                for (j, &v) in r.iter().enumerate() {
                    u[((i * 4 + j) * cog + co) * cig + ci] = v;
                }
            }
        }
    }
    u
}

/// A chunk of tiles `t0..t0 + nt` of group `grp`: what each transform works on.
struct Chunk<'a> {
    p: &'a Conv2dParams,
    tiles: &'a Tiles,
    grp: usize,
    t0: usize,
    nt: usize,
}

/// Where the tiles of a chunk are.
struct Tiles {
    /// Tiles per row and per image.
    tw: usize,
    per_image: usize,
}

impl Tiles {
    /// (image, tile row, tile column) of global tile `t`.
    #[inline(always)]
    fn at(&self, t: usize) -> (usize, usize, usize) {
        let (n, r) = (t / self.per_image, t % self.per_image);
        (n, r / self.tw, r % self.tw)
    }
}

/// `Bᵀ d B` of one 4×4 input tile (or four, one per lane), in `k = 4i + j` order.
#[inline(always)]
fn input_tile<L: Lane>(d: &[[L; 4]; 4]) -> [L; 16] {
    // t = Bᵀ d (rows), then V = t B (columns)
    let t: [[L; 4]; 4] =
        std::array::from_fn(|c| [d[0][c] - d[2][c], d[1][c] + d[2][c], d[2][c] - d[1][c], d[1][c] - d[3][c]]);
    // t is transposed here: t[c][i]
    std::array::from_fn(|k| {
        let (i, j) = (k / 4, k % 4);
        let r = |c: usize| t[c][i];
        match j {
            0 => r(0) - r(2),
            1 => r(1) + r(2),
            2 => r(2) - r(1),
            _ => r(1) - r(3),
        }
    })
}

/// `Aᵀ M A` of one tile's 16 products (or four tiles'), plus `bias`: `y[i][j]`.
#[inline(always)]
fn output_tile<L: Lane>(m: &[L; 16], bias: L) -> [[L; 2]; 2] {
    // s = Aᵀ M (rows), then Y = s A (columns)
    let s: [[L; 4]; 2] =
        [std::array::from_fn(|c| m[c] + m[4 + c] + m[8 + c]), std::array::from_fn(|c| m[4 + c] - m[8 + c] - m[12 + c])];
    s.map(|r| [r[0] + r[1] + r[2] + bias, r[1] - r[2] - r[3] + bias])
}

/// `V[k][ci][t] = (Bᵀ d B)[k]` for the input tiles `t0..t0 + nt` of group `grp`. Four tiles of
/// one row at a time where their 4×10 window lies inside the image (one vector lane per tile),
/// one at a time elsewhere: the same operations either way.
fn transform_input(x: &[f32], c: &Chunk, cig: usize, v: &mut [f32]) {
    let (p, tiles, grp, t0, nt) = (c.p, c.tiles, c.grp, c.t0, c.nt);
    let hw = p.h * p.w;
    let (ph, pw) = (p.padding.0 as isize, p.padding.1 as isize);
    let vp = SendPtr(v.as_mut_ptr());
    assert!(v.len() >= 16 * cig * nt);
    let inside =
        |y0: isize, x0: isize, cols: isize| y0 >= 0 && x0 >= 0 && y0 + 4 <= p.h as isize && x0 + cols <= p.w as isize;
    for_each_task(cig, cig * nt * 48, |ci| {
        let mut t = 0;
        while t < nt {
            let (n, ty, tx) = tiles.at(t0 + t);
            let plane = &x[(n * p.c_in + grp * cig + ci) * hw..][..hw];
            let (y0, x0) = (2 * ty as isize - ph, 2 * tx as isize - pw);
            if t + 4 <= nt && tx + 4 <= tiles.tw && inside(y0, x0, 10) {
                let d: [[F32x4; 4]; 4] = std::array::from_fn(|r| {
                    let row = &plane[(y0 as usize + r) * p.w + x0 as usize..][..10];
                    let (e0, o0) = F32x4::from_slice(row).deinterleave(F32x4::from_slice(&row[4..]));
                    let (e2, o2) = F32x4::from_slice(&row[2..]).deinterleave(F32x4::from_slice(&row[6..]));
                    [e0, o0, e2, o2]
                });
                for (k, val) in input_tile(&d).iter().enumerate() {
                    // SAFETY: (k·cig + ci)·nt + t + 4 <= 16·cig·nt <= v.len() (asserted); task ci
                    // alone writes channel ci's elements, and `v` is borrowed mutably throughout.
                    unsafe { val.store(vp.get().add((k * cig + ci) * nt + t)) };
                }
                t += 4;
                continue;
            }
            let mut d = [[0.0f32; 4]; 4];
            if inside(y0, x0, 4) {
                for (r, row) in d.iter_mut().enumerate() {
                    row.copy_from_slice(&plane[(y0 as usize + r) * p.w + x0 as usize..][..4]);
                }
            } else {
                for (r, row) in d.iter_mut().enumerate() {
                    let iy = y0 + r as isize;
                    if iy < 0 || iy >= p.h as isize {
                        continue;
                    }
                    for (c, e) in row.iter_mut().enumerate() {
                        let ix = x0 + c as isize;
                        if ix >= 0 && ix < p.w as isize {
                            *e = plane[iy as usize * p.w + ix as usize];
                        }
                    }
                }
            }
            for (k, &val) in input_tile(&d).iter().enumerate() {
                // SAFETY: as above, one element.
                unsafe { *vp.get().add((k * cig + ci) * nt + t) = val };
            }
            t += 1;
        }
    });
}

/// `out[n, grp·cog + co] = Aᵀ M A (+ bias)` for the tiles `t0..t0 + nt`: four tiles of a row at
/// a time where their 2×8 outputs lie inside the map, else one at a time.
fn transform_output(m: &[f32], c: &Chunk, cog: usize, bias: Option<&[f32]>, out: &mut [f32]) {
    let (p, tiles, grp, t0, nt) = (c.p, c.tiles, c.grp, c.t0, c.nt);
    let ohow = p.out_h * p.out_w;
    let op = SendPtr(out.as_mut_ptr());
    assert!(out.len() >= p.n * p.c_out * ohow && m.len() >= 16 * cog * nt);
    for_each_task(cog, cog * nt * 40, |co| {
        let oc = grp * cog + co;
        let b = bias.map_or(0.0, |b| b[oc]);
        let mut t = 0;
        while t < nt {
            let (n, ty, tx) = tiles.at(t0 + t);
            let base = (n * p.c_out + oc) * ohow;
            let (oy, ox) = (2 * ty, 2 * tx);
            if t + 4 <= nt && tx + 4 <= tiles.tw && oy + 2 <= p.out_h && ox + 8 <= p.out_w {
                let mm: [F32x4; 16] = std::array::from_fn(|k| F32x4::from_slice(&m[(k * cog + co) * nt + t..]));
                for (i, y) in output_tile(&mm, F32x4::splat(b)).iter().enumerate() {
                    let (lo, hi) = y[0].interleave(y[1]);
                    // SAFETY: base + (oy + i)·ow + ox + 8 <= n·c_out·ohow (checked above and
                    // asserted); task co alone writes channel oc, and `out` is borrowed mutably.
                    unsafe {
                        let d = op.get().add(base + (oy + i) * p.out_w + ox);
                        lo.store(d);
                        hi.store(d.add(4));
                    }
                }
                t += 4;
                continue;
            }
            let mm: [f32; 16] = std::array::from_fn(|k| m[(k * cog + co) * nt + t]);
            for (i, y) in output_tile(&mm, b).iter().enumerate() {
                if oy + i >= p.out_h {
                    break;
                }
                for (j, &val) in y.iter().enumerate() {
                    if ox + j < p.out_w {
                        // SAFETY: in bounds (as above); one element of channel oc.
                        unsafe { *op.get().add(base + (oy + i) * p.out_w + ox + j) = val };
                    }
                }
            }
            t += 1;
        }
    });
}

/// The forward convolution (`p` must satisfy [`supports`]).
pub fn forward(x: &[f32], w: &[f32], bias: Option<&[f32]>, p: &Conv2dParams) -> Vec<f32> {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let (th, tw) = (p.out_h.div_ceil(2), p.out_w.div_ceil(2));
    let tiles = Tiles { tw, per_image: th * tw };
    let total = p.n * th * tw;
    // Every element of `out` is written by the output transform.
    let mut out = alloc::scratch(p.n * p.c_out * p.out_h * p.out_w);
    if total == 0 || cig == 0 || cog == 0 {
        if cig == 0 {
            // no input channels: the bias alone
            for (i, o) in out.iter_mut().enumerate() {
                *o = bias.map_or(0.0, |b| b[i / (p.out_h * p.out_w) % p.c_out]);
            }
        }
        return out;
    }
    let chunk = (BUDGET / (16 * cig.max(cog))).max(16).min(total);
    let mut v = alloc::scratch(16 * cig * chunk);
    let mut m = alloc::scratch(16 * cog * chunk);
    for grp in 0..p.groups {
        let u = transform_weights(w, cig, cog, grp);
        for t0 in (0..total).step_by(chunk) {
            let nt = chunk.min(total - t0);
            let c = Chunk { p, tiles: &tiles, grp, t0, nt };
            transform_input(x, &c, cig, &mut v);
            for k in 0..16 {
                let a = MatRef { data: &u, offset: k * cog * cig, rs: cig, cs: 1 };
                let b = MatRef { data: &v, offset: k * cig * nt, rs: nt, cs: 1 };
                gemm(cog, nt, cig, a, b, &mut m, k * cog * nt, nt, false);
            }
            transform_output(&m, &c, cog, bias, &mut out);
        }
        alloc::recycle(u);
    }
    alloc::recycle(v);
    alloc::recycle(m);
    out
}

/// The input gradient: the convolution of `dy` with the flipped filter, its channels swapped,
/// padded by `2 - padding` (so it has the input's size).
pub fn backward_input(dy: &[f32], w: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let mut wt = alloc::scratch(w.len());
    for grp in 0..p.groups {
        for co in 0..cog {
            for ci in 0..cig {
                let src = &w[((grp * cog + co) * cig + ci) * 9..][..9];
                let dst = &mut wt[((grp * cig + ci) * cog + co) * 9..][..9];
                for (k, d) in dst.iter_mut().enumerate() {
                    *d = src[8 - k];
                }
            }
        }
    }
    let q = Conv2dParams {
        n: p.n,
        c_in: p.c_out,
        h: p.out_h,
        w: p.out_w,
        c_out: p.c_in,
        kh: 3,
        kw: 3,
        stride: (1, 1),
        padding: (2 - p.padding.0, 2 - p.padding.1),
        dilation: (1, 1),
        groups: p.groups,
        out_h: p.h,
        out_w: p.w,
    };
    let dx = forward(dy, &wt, None, &q);
    alloc::recycle(wt);
    dx
}

/// `T[k][t][co] = (A dY Aᵀ)[k]` of the output-gradient tiles `t0..t0 + nt` of group `grp` (a
/// 2×2 tile, zero past the map's edge, to 4×4), laid out so the weight GEMM reads it row-major.
fn transform_grad(dy: &[f32], c: &Chunk, cog: usize, out: &mut [f32]) {
    let (p, tiles, grp, t0, nt) = (c.p, c.tiles, c.grp, c.t0, c.nt);
    let ohow = p.out_h * p.out_w;
    let tp = SendPtr(out.as_mut_ptr());
    assert!(out.len() >= 16 * nt * cog);
    for_each_task(cog, cog * nt * 40, |co| {
        for t in 0..nt {
            let (n, ty, tx) = tiles.at(t0 + t);
            let plane = &dy[(n * p.c_out + grp * cog + co) * ohow..][..ohow];
            let at = |i: usize, j: usize| {
                let (oy, ox) = (2 * ty + i, 2 * tx + j);
                if oy < p.out_h && ox < p.out_w {
                    plane[oy * p.out_w + ox]
                } else {
                    0.0
                }
            };
            let g = [[at(0, 0), at(0, 1)], [at(1, 0), at(1, 1)]];
            // P = A g (4×2), then T = P Aᵀ (4×4); A = [[1,0],[1,1],[1,-1],[0,-1]]
            let pr = [
                g[0],
                [g[0][0] + g[1][0], g[0][1] + g[1][1]],
                [g[0][0] - g[1][0], g[0][1] - g[1][1]],
                [-g[1][0], -g[1][1]],
            ];
            for (i, r) in pr.iter().enumerate() {
                let vals = [r[0], r[0] + r[1], r[0] - r[1], -r[1]];
                for (j, &val) in vals.iter().enumerate() {
                    // SAFETY: ((4i + j)·nt + t)·cog + co < 16·nt·cog <= out.len() (asserted);
                    // task co alone writes column co, and `out` is borrowed mutably throughout.
                    unsafe { *tp.get().add(((i * 4 + j) * nt + t) * cog + co) = val };
                }
            }
        }
    });
}

/// The weight gradient `[c_out, cig, 3, 3]` (`p` must satisfy [`supports`]).
pub fn backward_weight(x: &[f32], dy: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let (th, tw) = (p.out_h.div_ceil(2), p.out_w.div_ceil(2));
    let tiles = Tiles { tw, per_image: th * tw };
    let total = p.n * th * tw;
    let mut dw = alloc::zeroed(p.c_out * cig * 9);
    if total == 0 || cig == 0 || cog == 0 {
        return dw;
    }
    let chunk = (BUDGET / (16 * cig.max(cog))).max(16).min(total);
    let mut v = alloc::scratch(16 * cig * chunk);
    let mut g = alloc::scratch(16 * cog * chunk);
    // dUᵀ[k][ci][co], summed over the chunks in order
    let mut du = alloc::scratch(16 * cig * cog);
    for grp in 0..p.groups {
        for t0 in (0..total).step_by(chunk) {
            let nt = chunk.min(total - t0);
            let c = Chunk { p, tiles: &tiles, grp, t0, nt };
            transform_input(x, &c, cig, &mut v);
            transform_grad(dy, &c, cog, &mut g);
            for k in 0..16 {
                let a = MatRef { data: &v, offset: k * cig * nt, rs: nt, cs: 1 };
                let b = MatRef { data: &g, offset: k * nt * cog, rs: cog, cs: 1 };
                gemm(cig, cog, nt, a, b, &mut du, k * cig * cog, cog, t0 > 0);
            }
        }
        // dW = Gᵀ dU G per (co, ci)
        for co in 0..cog {
            for ci in 0..cig {
                let u = |a: usize, b: usize| du[((a * 4 + b) * cig + ci) * cog + co];
                // r = Gᵀ dU (3×4), then dW = r G (3×3)
                let r: [[f32; 4]; 3] = std::array::from_fn(|i| {
                    std::array::from_fn(|b| match i {
                        0 => u(0, b) + 0.5 * u(1, b) + 0.5 * u(2, b),
                        1 => 0.5 * u(1, b) - 0.5 * u(2, b),
                        _ => 0.5 * u(1, b) + 0.5 * u(2, b) + u(3, b),
                    })
                });
                let out = &mut dw[((grp * cog + co) * cig + ci) * 9..][..9];
                for (i, row) in r.iter().enumerate() {
                    out[i * 3] = row[0] + 0.5 * row[1] + 0.5 * row[2];
                    out[i * 3 + 1] = 0.5 * row[1] - 0.5 * row[2];
                    out[i * 3 + 2] = 0.5 * row[1] + 0.5 * row[2] + row[3];
                }
            }
        }
    }
    alloc::recycle(v);
    alloc::recycle(g);
    alloc::recycle(du);
    dw
}
