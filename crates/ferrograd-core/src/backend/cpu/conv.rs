//! Convolution: each pass (forward, input gradient, weight gradient) picks between the direct
//! stride-1 kernels of `conv_direct.rs`, Winograd F(2×2, 3×3) or F(4×4, 3×3) for 3×3 stride-1
//! layers (`conv_winograd.rs`, the weight gradient in `conv_winograd_wgrad.rs`) and im2col +
//! GEMM, by shape.
//!
//! im2col + GEMM works over chunks of the batch: one GEMM spans several images, so small
//! layers still give the micro-kernel long rows. The chunk keeps the column buffer bounded
//! whatever the batch size. 1×1 stride-1 unpadded convolutions skip im2col: the input already
//! is the column matrix.

use super::conv_direct as direct;
use super::conv_wgrad;
use super::conv_winograd::{self as winograd, Tile};
use super::conv_winograd_wgrad as winograd_wgrad;
use super::gemm::{gemm, MatRef};
use super::parallel::for_each_chunk_mut;
use super::simd::{copy_row, fill_row, F32x4};
use crate::backend::Conv2dParams;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, Ordering};

/// Which kernel computes a convolution pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algo {
    /// Chosen by shape.
    Auto,
    Im2col,
    /// The direct stride-1 kernels; passes they cannot do fall back to im2col.
    Direct,
    /// Winograd F(2×2, 3×3) for every pass of 3×3 stride-1 layers; other shapes fall back to
    /// im2col.
    Winograd,
    /// Winograd F(4×4, 3×3) for every pass of 3×3 stride-1 layers; other shapes fall back to
    /// im2col.
    Winograd4,
}

/// The kernel a pass runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    Im2col,
    Direct,
    Winograd(Tile),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    Forward,
    BackwardInput,
    BackwardWeight,
}

/// Whether the direct kernels beat im2col + GEMM, as measured in Node on x86-64 (see
/// docs/benchmarks.md). They win whenever the filter is short (LeNet: im2col's column buffer
/// and GEMM's packing cost more than the arithmetic there) and, for wide layers, while the maps
/// are wide enough to fill their 8- and 16-pixel tiles (ResNet-18 at 96×96: 24² and 12²
/// maps); on 6² and 3² maps GEMM's cache blocking wins.
fn prefer_direct(pass: Pass, p: &Conv2dParams) -> bool {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let short = |c: usize| c * p.kh * p.kw <= 400;
    direct::supports(p)
        && match pass {
            Pass::Forward => short(cig) || p.out_w >= 8,
            // a correlation of the output gradient: its channels make the filter
            Pass::BackwardInput => direct::supports_backward_input(p) && (short(cog) || p.w >= 8),
            Pass::BackwardWeight => short(cig) || p.out_w >= 16,
        }
}

/// Which Winograd tile beats the direct kernels and im2col, from `npm run bench -- --only conv
/// --conv-algos` (Node 20, 1 and 2 threads, forward ms; docs/benchmarks.md), for the forward
/// pass and the input gradient (the map a pass writes: the output, or the input):
/// - F(4×4, 3×3) where its 4×4 tiles cover that map with at most 35% waste and the layer is not
///   tiny (`cin·cout >= 512`): every VGG conv (16→32 at 112²: 77 vs 100 ms direct; 64→64 at 56²:
///   115 vs 183 ms; 128→128 at 14², 31% waste: 38 vs 40 ms F(2×2)) and ResNet-18's 24² and 12²
///   convs (64→64 at 24²: 21.5 vs 31 ms direct, 35.5 F(2×2));
/// - else F(2×2, 3×3) on wide layers, `cin·cout >= 8192` (ResNet-18's 256→256 at 6², where 4×4
///   tiles waste 78%: 23 vs 31 ms F(4×4), 41 ms im2col); narrower layers on small maps tie with
///   the direct kernels or lose.
///
/// The weight gradient's tiles cover the output map, and its GEMMs are `cin × cout` summed over
/// the tiles: the same rule where `cin >= 32` and the tiles waste at most 35% (forward +
/// backward ms, 1 thread, the forward and input gradient the same either way: VGG 64→64 at 56²
/// 309 vs 437 direct, 128→128 at 28² 265 vs 362, 64→128 at 28² 153 vs 208, 32→64 at 56² 225 vs
/// 243; ResNet-18's 128→128 at 12² 74 vs 114, 256→256 at 6² by F(2×2) 72 vs 79). Narrow inputs
/// lose (VGG 16→32 at 112²: 416 vs 348) and so do maps the tiles overhang (512→512 at 3²: 153
/// F(2×2) vs 125). It also wants at least 64 tiles in the batch: the GEMMs' sums run over them,
/// and over one or two F(4×4) tiles the adjoint transforms' rounding (up to 1.5e-5 of the summed
/// magnitudes, `conv_tests.rs`) is not yet averaged out.
pub(super) fn prefer_winograd(pass: Pass, p: &Conv2dParams) -> Option<Tile> {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let (mh, mw) = match pass {
        Pass::Forward | Pass::BackwardWeight => (p.out_h, p.out_w),
        Pass::BackwardInput => (p.h, p.w),
    };
    let tiles = |m: usize| p.n * mh.div_ceil(m) * mw.div_ceil(m);
    if !winograd::supports(p) || (pass == Pass::BackwardWeight && (cig < 32 || tiles(4) < 64)) {
        return None;
    }
    // m×m tiles over an mh×mw map: covered area / map area <= 1.35
    let fits = |m: usize| mh.div_ceil(m) * m * mw.div_ceil(m) * m * 100 <= mh * mw * 135;
    if cig * cog >= 512 && fits(4) {
        Some(Tile::F4)
    } else if cig * cog >= 8192 && (pass != Pass::BackwardWeight || fits(2)) {
        Some(Tile::F2)
    } else {
        None
    }
}

fn pick(algo: Algo, pass: Pass, p: &Conv2dParams) -> Kernel {
    let direct = |ok: bool| if ok { Kernel::Direct } else { Kernel::Im2col };
    match algo {
        Algo::Auto => match prefer_winograd(pass, p) {
            Some(tile) => Kernel::Winograd(tile),
            None => direct(prefer_direct(pass, p)),
        },
        Algo::Im2col => Kernel::Im2col,
        Algo::Direct => direct(match pass {
            Pass::BackwardInput => direct::supports_backward_input(p),
            Pass::Forward | Pass::BackwardWeight => direct::supports(p),
        }),
        Algo::Winograd if winograd::supports(p) => Kernel::Winograd(Tile::F2),
        Algo::Winograd4 if winograd::supports(p) => Kernel::Winograd(Tile::F4),
        Algo::Winograd | Algo::Winograd4 => Kernel::Im2col,
    }
}

/// The algorithm `forward`, `backward_input` and `backward_weight` use: [`Algo::Auto`] unless
/// a benchmark forces one ([`set_algorithm`]).
static ALGO: AtomicU8 = AtomicU8::new(0);
const ALGOS: [Algo; 5] = [Algo::Auto, Algo::Im2col, Algo::Direct, Algo::Winograd, Algo::Winograd4];

/// Forces one algorithm for every convolution (benchmarks compare them); `Auto` restores the
/// shape rule. Results differ between algorithms only by rounding.
pub fn set_algorithm(a: Algo) {
    ALGO.store(ALGOS.iter().position(|&x| x == a).unwrap_or(0) as u8, Ordering::Relaxed);
}

fn algorithm() -> Algo {
    ALGOS[ALGO.load(Ordering::Relaxed) as usize % ALGOS.len()]
}

pub fn forward(x: &[f32], w: &[f32], bias: Option<&[f32]>, p: &Conv2dParams) -> Vec<f32> {
    forward_with(algorithm(), x, w, bias, p)
}

pub fn forward_with(algo: Algo, x: &[f32], w: &[f32], bias: Option<&[f32]>, p: &Conv2dParams) -> Vec<f32> {
    match pick(algo, Pass::Forward, p) {
        Kernel::Direct => direct::forward(x, w, bias, p),
        Kernel::Winograd(tile) => winograd::forward(tile, x, w, bias, p),
        Kernel::Im2col => forward_im2col(x, w, bias, p),
    }
}

pub fn backward_input(dy: &[f32], w: &[f32], p: &Conv2dParams) -> Vec<f32> {
    backward_input_with(algorithm(), dy, w, p)
}

pub fn backward_input_with(algo: Algo, dy: &[f32], w: &[f32], p: &Conv2dParams) -> Vec<f32> {
    match pick(algo, Pass::BackwardInput, p) {
        Kernel::Direct => direct::backward_input(dy, w, p),
        Kernel::Winograd(tile) => winograd::backward_input(tile, dy, w, p),
        Kernel::Im2col => backward_input_im2col(dy, w, p),
    }
}

pub fn backward_weight(x: &[f32], dy: &[f32], p: &Conv2dParams) -> Vec<f32> {
    backward_weight_with(algorithm(), x, dy, p)
}

pub fn backward_weight_with(algo: Algo, x: &[f32], dy: &[f32], p: &Conv2dParams) -> Vec<f32> {
    match pick(algo, Pass::BackwardWeight, p) {
        Kernel::Winograd(tile) => return winograd_wgrad::backward_weight(tile, x, dy, p),
        Kernel::Direct => {
            if let Some(dw) = conv_wgrad::backward_weight(x, dy, p) {
                return dw;
            }
        }
        Kernel::Im2col => {}
    }
    backward_weight_im2col(x, dy, p)
}

/// Column buffer budget in floats (8 MiB).
const COL_BUDGET: usize = 2 << 20;

thread_local! {
    static BUFS: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

struct Geometry {
    cig: usize,
    cog: usize,
    k: usize,
    hw: usize,
    ohow: usize,
    pointwise: bool,
}

fn geometry(p: &Conv2dParams) -> Geometry {
    let cig = p.c_in / p.groups;
    Geometry {
        cig,
        cog: p.c_out / p.groups,
        k: cig * p.kh * p.kw,
        hw: p.h * p.w,
        ohow: p.out_h * p.out_w,
        pointwise: p.kh == 1 && p.kw == 1 && p.stride == (1, 1) && p.padding == (0, 0),
    }
}

fn chunk(p: &Conv2dParams, g: &Geometry) -> usize {
    (COL_BUDGET / (g.k * g.ohow).max(1)).clamp(1, p.n.max(1))
}

/// Column-matrix rows per im2col task.
const IM2COL_ROWS: usize = 4;

/// Writes the column matrix of images `n0..n0+nb`, group `grp`, into `col` (`k` rows of length
/// `ld = nb·ohow`; image `s` fills columns `s·ohow..`). Tasks are groups of rows, each row one
/// filter tap `(c, ki, kj)` over every image.
#[allow(clippy::too_many_arguments)]
fn im2col(x: &[f32], p: &Conv2dParams, g: &Geometry, grp: usize, n0: usize, nb: usize, col: &mut [f32], ld: usize) {
    let img = p.c_in * g.hw;
    for_each_chunk_mut(&mut col[..g.k * ld], IM2COL_ROWS * ld, g.k * ld, |t, rows| {
        for (r, dst) in rows.chunks_exact_mut(ld).enumerate() {
            let row = t * IM2COL_ROWS + r;
            let (c, kk) = (row / (p.kh * p.kw), row % (p.kh * p.kw));
            for s in 0..nb {
                let plane = &x[(n0 + s) * img + (grp * g.cig + c) * g.hw..][..g.hw];
                im2col_row(plane, p, kk / p.kw, kk % p.kw, &mut dst[s * g.ohow..][..g.ohow]);
            }
        }
    });
}

/// One tap `(ki, kj)` of one input plane: `dst[oy·ow + ox] = plane[oy·sh + ki·dh - ph][ox·sw + kj·dw - pw]`
/// (zero outside the plane).
fn im2col_row(plane: &[f32], p: &Conv2dParams, ki: usize, kj: usize, dst: &mut [f32]) {
    let (sh, sw) = p.stride;
    let (ph, pw) = p.padding;
    let (dh, dw) = p.dilation;
    let xoff = (kj * dw) as isize - pw as isize;
    // ox range whose input column lies inside the image
    let lo = ((-xoff).max(0) as usize).div_ceil(sw).min(p.out_w);
    let hi =
        if (p.w as isize - xoff) <= 0 { 0 } else { ((p.w as isize - xoff) as usize).div_ceil(sw).min(p.out_w) }.max(lo);
    for oy in 0..p.out_h {
        let iy = (oy * sh + ki * dh) as isize - ph as isize;
        let d = &mut dst[oy * p.out_w..(oy + 1) * p.out_w];
        // Short rows: vector moves, not calls out to memory.fill / memory.copy.
        if iy < 0 || iy >= p.h as isize {
            fill_row(d, 0.0);
            continue;
        }
        let src = &plane[iy as usize * p.w..(iy as usize + 1) * p.w];
        fill_row(&mut d[..lo], 0.0);
        fill_row(&mut d[hi..], 0.0);
        // An empty range (padding wider than the output) has no valid start offset.
        if hi == lo {
            continue;
        }
        if sw == 1 {
            let s0 = (lo as isize + xoff) as usize;
            copy_row(&mut d[lo..hi], &src[s0..s0 + (hi - lo)]);
        } else {
            gather_strided(&mut d[lo..hi], src, ((lo * sw) as isize + xoff) as usize, sw);
        }
    }
}

/// `dst[i] = src[s0 + i·step]`: a strided row of im2col (stride-2 layers).
fn gather_strided(dst: &mut [f32], src: &[f32], s0: usize, step: usize) {
    let n = dst.len();
    if n == 0 {
        return;
    }
    assert!(s0 + (n - 1) * step < src.len());
    let mut i = 0;
    if step == 2 {
        // Even lanes of two vectors; only while all 8 loaded floats lie inside the row.
        while i + 4 <= n && s0 + 2 * i + 8 <= src.len() {
            let (even, _) =
                F32x4::from_slice(&src[s0 + 2 * i..]).deinterleave(F32x4::from_slice(&src[s0 + 2 * i + 4..]));
            even.write_to(&mut dst[i..]);
            i += 4;
        }
    }
    for (k, d) in dst.iter_mut().enumerate().skip(i) {
        *d = src[s0 + k * step];
    }
}

/// Adds columns back into image gradient `dx` (`[cig, H, W]` slab): the adjoint of [`im2col`].
fn col2im(col: &[f32], p: &Conv2dParams, g: &Geometry, ld: usize, col0: usize, dx: &mut [f32]) {
    let (sh, sw) = p.stride;
    let (ph, pw) = p.padding;
    let (dh, dw) = p.dilation;
    for c in 0..g.cig {
        let plane = &mut dx[c * g.hw..(c + 1) * g.hw];
        for ki in 0..p.kh {
            for kj in 0..p.kw {
                let row = (c * p.kh + ki) * p.kw + kj;
                let src = &col[row * ld + col0..row * ld + col0 + g.ohow];
                let xoff = (kj * dw) as isize - pw as isize;
                for oy in 0..p.out_h {
                    let iy = (oy * sh + ki * dh) as isize - ph as isize;
                    if iy < 0 || iy >= p.h as isize {
                        continue;
                    }
                    let d = &mut plane[iy as usize * p.w..(iy as usize + 1) * p.w];
                    let s = &src[oy * p.out_w..(oy + 1) * p.out_w];
                    for (ox, &v) in s.iter().enumerate() {
                        let ix = (ox * sw) as isize + xoff;
                        if ix >= 0 && ix < p.w as isize {
                            d[ix as usize] += v;
                        }
                    }
                }
            }
        }
    }
}

fn forward_im2col(x: &[f32], w: &[f32], bias: Option<&[f32]>, p: &Conv2dParams) -> Vec<f32> {
    let g = geometry(p);
    // Every element is written: by the pointwise GEMM or copied from the chunk's GEMM output.
    let mut out = super::alloc::scratch(p.n * p.c_out * g.ohow);
    let img = p.c_in * g.hw;
    let oimg = p.c_out * g.ohow;
    BUFS.with(|b| {
        let (col, tmp) = &mut *b.borrow_mut();
        for grp in 0..p.groups {
            let wg = MatRef { data: w, offset: grp * g.cog * g.k, rs: g.k, cs: 1 };
            if g.pointwise {
                for n in 0..p.n {
                    let xin = MatRef { data: x, offset: n * img + grp * g.cig * g.hw, rs: g.hw, cs: 1 };
                    gemm(g.cog, g.ohow, g.k, wg, xin, &mut out, n * oimg + grp * g.cog * g.ohow, g.ohow, false);
                }
                continue;
            }
            let nb = chunk(p, &g);
            for n0 in (0..p.n).step_by(nb) {
                let nb = nb.min(p.n - n0);
                let ld = nb * g.ohow;
                col.resize(g.k * ld, 0.0);
                tmp.resize(g.cog * ld, 0.0);
                im2col(x, p, &g, grp, n0, nb, col, ld);
                gemm(g.cog, ld, g.k, wg, MatRef { data: col, offset: 0, rs: ld, cs: 1 }, tmp, 0, ld, false);
                // Back to NCHW, one task per image, adding the bias on the way.
                let tmp = &*tmp;
                let imgs = &mut out[n0 * oimg..(n0 + nb) * oimg];
                for_each_chunk_mut(imgs, oimg, nb * oimg, |s, o| {
                    for co in 0..g.cog {
                        let ch = grp * g.cog + co;
                        let dst = &mut o[ch * g.ohow..][..g.ohow];
                        let src = &tmp[co * ld + s * g.ohow..][..g.ohow];
                        match bias {
                            Some(b) => add_row(dst, src, b[ch]),
                            None => dst.copy_from_slice(src),
                        }
                    }
                });
            }
        }
    });
    if let (Some(b), true) = (bias, g.pointwise) {
        for_each_chunk_mut(&mut out, oimg, p.n * oimg, |_, o| {
            for (co, &bv) in b.iter().enumerate() {
                for v in &mut o[co * g.ohow..][..g.ohow] {
                    *v += bv;
                }
            }
        });
    }
    out
}

/// `dst = src + b`.
fn add_row(dst: &mut [f32], src: &[f32], b: f32) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s + b;
    }
}

/// Gathers `dy` rows of group `grp` for samples `n0..n0+nb` into a `[cog, nb*ohow]` matrix,
/// one task per output channel.
fn gather_dy(dy: &[f32], p: &Conv2dParams, g: &Geometry, grp: usize, n0: usize, nb: usize, tmp: &mut Vec<f32>) {
    let ld = nb * g.ohow;
    tmp.resize(g.cog * ld, 0.0);
    for_each_chunk_mut(&mut tmp[..g.cog * ld], ld, g.cog * ld, |co, row| {
        for s in 0..nb {
            let src = &dy[(n0 + s) * p.c_out * g.ohow + (grp * g.cog + co) * g.ohow..][..g.ohow];
            row[s * g.ohow..][..g.ohow].copy_from_slice(src);
        }
    });
}

fn backward_input_im2col(dy: &[f32], w: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let g = geometry(p);
    let img = p.c_in * g.hw;
    let mut dx = super::alloc::zeroed(p.n * img);
    BUFS.with(|b| {
        let (col, tmp) = &mut *b.borrow_mut();
        for grp in 0..p.groups {
            // W_g^T: [k, cog] view of the [cog, k] weight block
            let wt = MatRef { data: w, offset: grp * g.cog * g.k, rs: 1, cs: g.k };
            if g.pointwise {
                for n in 0..p.n {
                    let dyn_ =
                        MatRef { data: dy, offset: n * p.c_out * g.ohow + grp * g.cog * g.ohow, rs: g.ohow, cs: 1 };
                    gemm(g.k, g.ohow, g.cog, wt, dyn_, &mut dx, n * img + grp * g.cig * g.hw, g.hw, false);
                }
                continue;
            }
            let nb = chunk(p, &g);
            for n0 in (0..p.n).step_by(nb) {
                let nb = nb.min(p.n - n0);
                let ld = nb * g.ohow;
                gather_dy(dy, p, &g, grp, n0, nb, tmp);
                col.resize(g.k * ld, 0.0);
                gemm(g.k, ld, g.cog, wt, MatRef { data: tmp, offset: 0, rs: ld, cs: 1 }, col, 0, ld, false);
                let col = &*col;
                let imgs = &mut dx[n0 * img..(n0 + nb) * img];
                for_each_chunk_mut(imgs, img, nb * g.k * g.ohow, |s, d| {
                    col2im(col, p, &g, ld, s * g.ohow, &mut d[grp * g.cig * g.hw..][..g.cig * g.hw]);
                });
            }
        }
    });
    dx
}

fn backward_weight_im2col(x: &[f32], dy: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let g = geometry(p);
    let img = p.c_in * g.hw;
    let mut dw = super::alloc::zeroed(p.c_out * g.k);
    BUFS.with(|b| {
        let (col, tmp) = &mut *b.borrow_mut();
        for grp in 0..p.groups {
            let off = grp * g.cog * g.k;
            if g.pointwise {
                for n in 0..p.n {
                    let dyn_ =
                        MatRef { data: dy, offset: n * p.c_out * g.ohow + grp * g.cog * g.ohow, rs: g.ohow, cs: 1 };
                    // x^T: [ohow, cig] view of the [cig, hw] slab
                    let xt = MatRef { data: x, offset: n * img + grp * g.cig * g.hw, rs: 1, cs: g.hw };
                    gemm(g.cog, g.k, g.ohow, dyn_, xt, &mut dw, off, g.k, n > 0);
                }
                continue;
            }
            let nb = chunk(p, &g);
            for n0 in (0..p.n).step_by(nb) {
                let nb = nb.min(p.n - n0);
                let ld = nb * g.ohow;
                gather_dy(dy, p, &g, grp, n0, nb, tmp);
                col.resize(g.k * ld, 0.0);
                im2col(x, p, &g, grp, n0, nb, col, ld);
                let dyr = MatRef { data: tmp, offset: 0, rs: ld, cs: 1 };
                let colt = MatRef { data: col, offset: 0, rs: 1, cs: ld };
                gemm(g.cog, g.k, ld, dyr, colt, &mut dw, off, g.k, n0 > 0);
            }
        }
    });
    dw
}
