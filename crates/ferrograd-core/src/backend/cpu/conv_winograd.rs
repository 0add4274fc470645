//! Winograd convolution for 3×3 stride-1 layers (every VGG conv, most of ResNet-18's), in two
//! tile sizes: F(2×2, 3×3) computes a 2×2 output tile from a 4×4 input tile with 16 multiplies
//! per channel pair where im2col does 36, F(4×4, 3×3) a 4×4 tile from a 6×6 one with 36 where
//! im2col does 144, so the GEMM does 2.25× or 4× less work. F(4×4)'s transforms have larger
//! coefficients and so larger rounding errors (measured in `conv_tests.rs`); `conv.rs` says which
//! layers use which.
//!
//! For a tile, `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` (Lavin & Gray, 2015). Per group: the weights are
//! transformed once into `A²` matrices `U[k]` (`cout × cin`), a chunk of input tiles into `A²`
//! matrices `V[k]` (`cin × tiles`), then `A²` GEMMs `M[k] = U[k] · V[k]` and the output
//! transform of `M`. Tiles run over the whole batch in chunks sized so `V` and `M` stay bounded.
//! The input gradient of a 3×3 stride-1 conv is such a convolution too (of the output gradient
//! with the flipped, transposed filter), so it runs here as well. The weight gradient is
//! Winograd's adjoint (`conv_winograd_wgrad.rs`).
//!
//! Every output element is computed by the same operations whatever the thread count (the
//! transforms split by channel, the GEMM by tile), so results stay bitwise identical.

use super::alloc;
use super::gemm::{gemm, MatRef};
use super::lanes::Lane;
use super::parallel::{for_each_task, SendPtr};
use super::simd::F32x4;
use crate::backend::Conv2dParams;
use std::array::from_fn;
use std::cell::RefCell;

/// Floats of `V` or `M` per chunk (16 MiB each).
pub(super) const BUDGET: usize = 1 << 22;

/// The output tile size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tile {
    /// F(2×2, 3×3)
    F2,
    /// F(4×4, 3×3)
    F4,
}

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

/// One tile size F(M×M, 3×3) with `A×A` input tiles (`A = M + 2`): its 1-D transforms, which
/// the 2-D ones apply to a tile's columns and then its rows.
pub(super) trait Variant<const M: usize, const A: usize> {
    /// `G g`: three filter taps to `A` values.
    fn g(g: [f32; 3]) -> [f32; A];
    /// `Bᵀ d`.
    fn bt<L: Lane>(d: [L; A]) -> [L; A];
    /// `Aᵀ m`.
    fn at<L: Lane>(m: [L; A]) -> [L; M];
    /// `A y`: `M` output-gradient values to `A` (the weight gradient's transform of `dY`).
    fn a<L: Lane>(y: [L; M]) -> [L; A];
    /// `Gᵀ u`: `A` values back to three filter taps (the weight gradient's last step).
    fn gt(u: [f32; A]) -> [f32; 3];
    /// Four tiles' output row (lane `l` of `y[j]` is tile `l`'s column `j`) as the `4M`
    /// consecutive values of the map's row.
    fn scatter(y: [F32x4; M]) -> [F32x4; M];
}

pub(super) struct F2;
pub(super) struct F4;

impl Variant<2, 4> for F2 {
    #[inline(always)]
    fn g([a, b, c]: [f32; 3]) -> [f32; 4] {
        [a, 0.5 * (a + b + c), 0.5 * (a - b + c), c]
    }
    #[inline(always)]
    fn bt<L: Lane>([d0, d1, d2, d3]: [L; 4]) -> [L; 4] {
        [d0 - d2, d1 + d2, d2 - d1, d1 - d3]
    }
    #[inline(always)]
    fn at<L: Lane>([m0, m1, m2, m3]: [L; 4]) -> [L; 2] {
        [m0 + m1 + m2, m1 - m2 - m3]
    }
    #[inline(always)]
    fn a<L: Lane>([y0, y1]: [L; 2]) -> [L; 4] {
        [y0, y0 + y1, y0 - y1, -y1]
    }
    #[inline(always)]
    fn gt([u0, u1, u2, u3]: [f32; 4]) -> [f32; 3] {
        [u0 + 0.5 * u1 + 0.5 * u2, 0.5 * u1 - 0.5 * u2, 0.5 * u1 + 0.5 * u2 + u3]
    }
    #[inline(always)]
    fn scatter([y0, y1]: [F32x4; 2]) -> [F32x4; 2] {
        let (lo, hi) = y0.interleave(y1);
        [lo, hi]
    }
}

impl Variant<4, 6> for F4 {
    #[inline(always)]
    fn g([a, b, c]: [f32; 3]) -> [f32; 6] {
        [
            0.25 * a,
            (a + b + c) * (-1.0 / 6.0),
            (a - b + c) * (-1.0 / 6.0),
            (a + 2.0 * b + 4.0 * c) * (1.0 / 24.0),
            (a - 2.0 * b + 4.0 * c) * (1.0 / 24.0),
            c,
        ]
    }
    #[inline(always)]
    fn bt<L: Lane>([d0, d1, d2, d3, d4, d5]: [L; 6]) -> [L; 6] {
        let k = L::splat;
        let (s42, s31) = (d4 - d2, d3 - d1);
        [
            k(4.0) * d0 - k(5.0) * d2 + d4,
            (d3 + d4) - k(4.0) * (d1 + d2),
            (d4 - d3) + k(4.0) * (d1 - d2),
            s42 + k(2.0) * s31,
            s42 - k(2.0) * s31,
            k(4.0) * d1 - k(5.0) * d3 + d5,
        ]
    }
    #[inline(always)]
    fn at<L: Lane>([m0, m1, m2, m3, m4, m5]: [L; 6]) -> [L; 4] {
        let k = L::splat;
        let (s12, d12, s34, d34) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4);
        [m0 + s12 + s34, d12 + k(2.0) * d34, s12 + k(4.0) * s34, d12 + k(8.0) * d34 + m5]
    }
    #[inline(always)]
    fn a<L: Lane>([y0, y1, y2, y3]: [L; 4]) -> [L; 6] {
        let k = L::splat;
        let (e, o) = (y0 + y2, y1 + y3);
        let (e2, o2) = (y0 + k(4.0) * y2, k(2.0) * y1 + k(8.0) * y3);
        [y0, e + o, e - o, e2 + o2, e2 - o2, y3]
    }
    #[inline(always)]
    fn gt([u0, u1, u2, u3, u4, u5]: [f32; 6]) -> [f32; 3] {
        let (s12, d12, s34, d34) = (u1 + u2, u2 - u1, u3 + u4, u3 - u4);
        [
            0.25 * u0 - s12 * (1.0 / 6.0) + s34 * (1.0 / 24.0),
            d12 * (1.0 / 6.0) + d34 * (1.0 / 12.0),
            (s34 - s12) * (1.0 / 6.0) + u5,
        ]
    }
    #[inline(always)]
    fn scatter(y: [F32x4; 4]) -> [F32x4; 4] {
        F32x4::transpose(y)
    }
}

/// `U[k][co][ci] = (G g Gᵀ)[k]` for the filters of group `grp` (`w` is `[c_out, cig, 3, 3]`).
fn transform_weights<V: Variant<M, A>, const M: usize, const A: usize>(
    w: &[f32],
    cig: usize,
    cog: usize,
    grp: usize,
) -> Vec<f32> {
    let mut u = alloc::scratch(A * A * cog * cig);
    for co in 0..cog {
        for ci in 0..cig {
            let g = &w[((grp * cog + co) * cig + ci) * 9..][..9];
            // t[j] = G (column j of g), so t[j][i] = (G g)[i][j]; then G applied to each row
            let t: [[f32; A]; 3] = from_fn(|j| V::g([g[j], g[3 + j], g[6 + j]]));
            for i in 0..A {
                for (j, v) in V::g([t[0][i], t[1][i], t[2][i]]).into_iter().enumerate() {
                    u[((i * A + j) * cog + co) * cig + ci] = v;
                }
            }
        }
    }
    u
}

/// A chunk of tiles `t0..t0 + nt` of group `grp`: what each transform works on.
pub(super) struct Chunk<'a> {
    pub(super) p: &'a Conv2dParams,
    pub(super) tiles: &'a Tiles,
    pub(super) grp: usize,
    pub(super) t0: usize,
    pub(super) nt: usize,
}

/// Where the tiles of a chunk are.
pub(super) struct Tiles {
    /// Tiles per row and per image.
    pub(super) tw: usize,
    pub(super) per_image: usize,
}

impl Tiles {
    pub(super) fn new(p: &Conv2dParams, m: usize) -> Tiles {
        let tw = p.out_w.div_ceil(m);
        Tiles { tw, per_image: p.out_h.div_ceil(m) * tw }
    }
    /// (image, tile row, tile column) of global tile `t`.
    #[inline(always)]
    pub(super) fn at(&self, t: usize) -> (usize, usize, usize) {
        let (n, r) = (t / self.per_image, t % self.per_image);
        (n, r / self.tw, r % self.tw)
    }
}

/// `Bᵀ d B` of one input tile (or four, one per lane): `v[i][j]`, `k = A·i + j`.
#[inline(always)]
fn input_tile<V: Variant<M, A>, L: Lane, const M: usize, const A: usize>(d: &[[L; A]; A]) -> [[L; A]; A] {
    // t[c] = Bᵀ (column c of d), so t[c][i] = (Bᵀ d)[i][c]; then Bᵀ applied to each row
    let t: [[L; A]; A] = from_fn(|c| V::bt(from_fn(|r| d[r][c])));
    from_fn(|i| V::bt(from_fn(|c| t[c][i])))
}

/// `Aᵀ m A` of one tile's products (or four tiles'), plus `bias`: `y[i][j]`.
#[inline(always)]
fn output_tile<V: Variant<M, A>, L: Lane, const M: usize, const A: usize>(m: &[[L; A]; A], bias: L) -> [[L; M]; M] {
    // s[c] = Aᵀ (column c of m), so s[c][i] = (Aᵀ m)[i][c]; then Aᵀ applied to each row
    let s: [[L; M]; A] = from_fn(|c| V::at(from_fn(|r| m[r][c])));
    from_fn(|i| V::at(from_fn(|c| s[c][i])).map(|y| y + bias))
}

/// Lane `l` of column `j` is `rows[l][j]`, for the first `N <= 8` columns of four rows (each
/// row at least `max(N, 4)` long): one or two 4×4 transposes.
#[inline(always)]
fn columns<const N: usize>(rows: [&[f32]; 4]) -> [F32x4; N] {
    let at = |o: usize| F32x4::transpose(from_fn(|l| F32x4::from_slice(&rows[l][o..])));
    let lo = at(0);
    if N <= 4 {
        return from_fn(|j| lo[j]);
    }
    let hi = at(N - 4);
    from_fn(|j| if j < 4 { lo[j] } else { hi[j + 4 - N] })
}

thread_local! {
    /// A task's staged planes (see [`stage`]).
    static STAGE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// The staged planes of one channel for the images a chunk's tiles touch, with a zero border:
/// every tile's window is inside, so all tiles go through the four-lane transforms, four
/// consecutive tiles at a time whatever row or image each is in.
struct Staged<'a> {
    buf: &'a [f32],
    /// The first image, and a plane's rows and row length.
    n0: usize,
    hp: usize,
    wp: usize,
}

impl Staged<'_> {
    /// Where tile `t` of `tiles` (`m×m` output tiles) starts.
    #[inline(always)]
    fn tile(&self, tiles: &Tiles, t: usize, m: usize) -> usize {
        let (n, ty, tx) = tiles.at(t);
        ((n - self.n0) * self.hp + m * ty) * self.wp + m * tx
    }
    /// The start of each of four tiles (the last repeated past `count`).
    #[inline(always)]
    fn four(&self, tiles: &Tiles, t: usize, count: usize, m: usize) -> [usize; 4] {
        from_fn(|l| self.tile(tiles, t + l.min(count - 1), m))
    }
}

/// What a chunk's four-lane transforms read: channel `ch0 + i` of `data` (`[n, c_total, h, w]`)
/// for transform task `i`, each plane placed at row and column `at` of a zeroed plane `extra`
/// rows and columns larger than the tile grid.
pub(super) struct Source<'a> {
    pub(super) data: &'a [f32],
    pub(super) c_total: usize,
    pub(super) ch0: usize,
    pub(super) hw: (usize, usize),
    pub(super) at: (usize, usize),
    pub(super) extra: usize,
}

/// Runs `f` on the staged planes of channel `ch0 + i` of `src` for the images of the chunk's
/// tiles (`m×m` output tiles).
fn stage<R>(src: &Source, i: usize, c: &Chunk, m: usize, f: impl FnOnce(&Staged) -> R) -> R {
    let ((h, w), (top, left)) = (src.hw, src.at);
    let (n0, n1) = (c.tiles.at(c.t0).0, c.tiles.at(c.t0 + c.nt - 1).0 + 1);
    let (hp, wp) = (m * (c.tiles.per_image / c.tiles.tw) + src.extra, m * c.tiles.tw + src.extra);
    STAGE.with(|s| {
        let buf = &mut *s.borrow_mut();
        buf.clear();
        buf.resize((n1 - n0) * hp * wp, 0.0);
        for n in n0..n1 {
            let plane = &src.data[(n * src.c_total + src.ch0 + i) * h * w..][..h * w];
            for (y, row) in plane.chunks_exact(w).enumerate() {
                buf[((n - n0) * hp + top + y) * wp + left..][..w].copy_from_slice(row);
            }
        }
        f(&Staged { buf, n0, hp, wp })
    })
}

/// `out[k][i][t]`: the `A×A` results of `tile` for the chunk's tiles `t` of each of `channels`
/// channels `i` of `src` (one task per channel), four tiles at a time, `tile` given the `R×R`
/// window at each of four tiles' starts in the staged planes (lane `l`: tile `t + l`).
pub(super) fn transform_tiles<const M: usize, const R: usize, const A: usize>(
    src: &Source,
    c: &Chunk,
    channels: usize,
    out: &mut [f32],
    tile: impl Fn(&[[F32x4; R]; R]) -> [[F32x4; A]; A] + Sync,
) {
    let nt = c.nt;
    let op = SendPtr(out.as_mut_ptr());
    assert!(out.len() >= A * A * channels * nt);
    for_each_task(channels, channels * nt * 3 * A * A, |i| {
        stage(src, i, c, M, |st| {
            for t in (0..nt).step_by(4) {
                let count = (nt - t).min(4);
                let b = st.four(c.tiles, c.t0 + t, count, M);
                let d: [[F32x4; R]; R] = from_fn(|r| columns(from_fn(|l| &st.buf[b[l] + r * st.wp..])));
                for (k, &val) in tile(&d).iter().flatten().enumerate() {
                    // (k·channels + i)·nt + t + count <= A²·channels·nt <= out.len() (asserted);
                    // task i alone writes channel i's elements, and `out` is borrowed mutably.
                    store_lanes(val, op, (k * channels + i) * nt + t, count);
                }
            }
        })
    });
}

/// Stores the four lanes of `val` at `dst[off..]`, or the first `count` of them.
#[inline(always)]
fn store_lanes(val: F32x4, dst: SendPtr<f32>, off: usize, count: usize) {
    let mut t = [0.0f32; 4];
    val.write_to(&mut t);
    if count == 4 {
        // SAFETY: the callers' bounds (each asserts its output holds every tile's values).
        unsafe { val.store(dst.get().add(off)) };
    } else {
        for (l, &e) in t[..count].iter().enumerate() {
            // SAFETY: as above, one element.
            unsafe { *dst.get().add(off + l) = e };
        }
    }
}

/// `V[k][ci][t] = (Bᵀ d B)[k]` for the input tiles `t0..t0 + nt` of group `grp`, from the
/// zero-bordered (padded) input: tile (ty, tx)'s window starts at row M·ty, column M·tx.
pub(super) fn transform_input<V: Variant<M, A>, const M: usize, const A: usize>(
    x: &[f32],
    c: &Chunk,
    cig: usize,
    v: &mut [f32],
) {
    let p = c.p;
    let src = Source { data: x, c_total: p.c_in, ch0: c.grp * cig, hw: (p.h, p.w), at: p.padding, extra: A - M };
    transform_tiles::<M, A, A>(&src, c, cig, v, input_tile::<V, F32x4, M, A>);
}

/// `out[n, grp·cog + co] = Aᵀ M A (+ bias)` for the tiles `t0..t0 + nt`, four tiles at a time;
/// each tile's rows are cut at the map's edge.
fn transform_output<V: Variant<M, A>, const M: usize, const A: usize>(
    m: &[f32],
    c: &Chunk,
    cog: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    let (p, tiles, grp, t0, nt) = (c.p, c.tiles, c.grp, c.t0, c.nt);
    let ohow = p.out_h * p.out_w;
    let op = SendPtr(out.as_mut_ptr());
    assert!(out.len() >= p.n * p.c_out * ohow && m.len() >= A * A * cog * nt);
    for_each_task(cog, cog * nt * 5 * A * A / 2, |co| {
        let oc = grp * cog + co;
        let b = bias.map_or(0.0, |b| b[oc]);
        for t in (0..nt).step_by(4) {
            let count = (nt - t).min(4);
            let mm: [[F32x4; A]; A] = from_fn(|r| {
                from_fn(|c| {
                    let row = &m[((r * A + c) * cog + co) * nt + t..];
                    if count == 4 {
                        F32x4::from_slice(row)
                    } else {
                        F32x4::from_slice(&from_fn::<f32, 4, _>(|l| row[l.min(count - 1)]))
                    }
                })
            });
            for (i, y) in output_tile::<V, _, M, A>(&mm, F32x4::splat(b)).into_iter().enumerate() {
                // the 4M values of the four tiles' row i, tile l's at M·l
                let mut vals = [0.0f32; 16];
                for (q, v) in V::scatter(y).into_iter().enumerate() {
                    v.write_to(&mut vals[4 * q..]);
                }
                for l in 0..count {
                    let (n, ty, tx) = tiles.at(t0 + t + l);
                    let (oy, ox) = (M * ty + i, M * tx);
                    if oy >= p.out_h {
                        continue;
                    }
                    let dst = (n * p.c_out + oc) * ohow + oy * p.out_w + ox;
                    for (j, &e) in vals[M * l..M * l + M].iter().enumerate().take(p.out_w - ox) {
                        // SAFETY: dst + j < n·c_out·ohow (oy < out_h, ox + j < out_w; asserted
                        // above); task co alone writes channel oc, and `out` is borrowed mutably.
                        unsafe { *op.get().add(dst + j) = e };
                    }
                }
            }
        }
    });
}

/// The forward convolution (`p` must satisfy [`supports`]).
pub fn forward(tile: Tile, x: &[f32], w: &[f32], bias: Option<&[f32]>, p: &Conv2dParams) -> Vec<f32> {
    match tile {
        Tile::F2 => forward_with::<F2, 2, 4>(x, w, bias, p),
        Tile::F4 => forward_with::<F4, 4, 6>(x, w, bias, p),
    }
}

fn forward_with<V: Variant<M, A>, const M: usize, const A: usize>(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    p: &Conv2dParams,
) -> Vec<f32> {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let tiles = Tiles::new(p, M);
    let total = p.n * tiles.per_image;
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
    let chunk = (BUDGET / (A * A * cig.max(cog))).max(16).min(total);
    let mut v = alloc::scratch(A * A * cig * chunk);
    let mut m = alloc::scratch(A * A * cog * chunk);
    for grp in 0..p.groups {
        let u = transform_weights::<V, M, A>(w, cig, cog, grp);
        for t0 in (0..total).step_by(chunk) {
            let nt = chunk.min(total - t0);
            let c = Chunk { p, tiles: &tiles, grp, t0, nt };
            transform_input::<V, M, A>(x, &c, cig, &mut v);
            for k in 0..A * A {
                let a = MatRef { data: &u, offset: k * cog * cig, rs: cig, cs: 1 };
                let b = MatRef { data: &v, offset: k * cig * nt, rs: nt, cs: 1 };
                gemm(cog, nt, cig, a, b, &mut m, k * cog * nt, nt, false);
            }
            transform_output::<V, M, A>(&m, &c, cog, bias, &mut out);
        }
        alloc::recycle(u);
    }
    alloc::recycle(v);
    alloc::recycle(m);
    out
}

/// The input gradient: the convolution of `dy` with the flipped filter, its channels swapped,
/// padded by `2 - padding` (so it has the input's size).
pub fn backward_input(tile: Tile, dy: &[f32], w: &[f32], p: &Conv2dParams) -> Vec<f32> {
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
    let dx = forward(tile, dy, &wt, None, &q);
    alloc::recycle(wt);
    dx
}
