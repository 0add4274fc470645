//! The Winograd weight gradient of a 3×3 stride-1 conv, in both tile sizes: the adjoint of the
//! forward pass (`conv_winograd.rs`). With `V[k]` the transformed input tiles (as the forward
//! pass makes them) and `W[k] = (A dY Aᵀ)[k]` the transformed output-gradient tiles,
//! `dU[k] = Σ_tiles V[k] · W[k]ᵀ` (`A²` GEMMs of `cin × cout` over the tiles: F(4×4) does
//! 36 multiplies per 16 outputs and channel pair where im2col does 144), then
//! `dW = Gᵀ dU G` per filter.
//!
//! The `A²` GEMMs are small in `cin × cout` and long in the tiles, so they run side by side, one
//! task each (a GEMM's own split would leave threads idle at 64 × 64), and the chunks of tiles
//! are summed in order: every element comes from the same operations whatever the thread count.

use super::alloc;
use super::conv_winograd::{transform_input, transform_tiles, Chunk, Source, Tile, Tiles, Variant, BUDGET, F2, F4};
use super::gemm::{gemm, MatRef};
use super::lanes::Lane;
use super::parallel::for_each_chunk_mut;
use super::simd::F32x4;
use crate::backend::Conv2dParams;
use std::array::from_fn;

/// `A g Aᵀ` of one output-gradient tile (or four, one per lane): `w[i][j]`, `k = A·i + j`.
#[inline(always)]
fn grad_tile<V: Variant<M, A>, L: Lane, const M: usize, const A: usize>(g: &[[L; M]; M]) -> [[L; A]; A] {
    // s[c] = A (column c of g), so s[c][i] = (A g)[i][c]; then A applied to each row
    let s: [[L; A]; M] = from_fn(|c| V::a(from_fn(|r| g[r][c])));
    from_fn(|i| V::a(from_fn(|c| s[c][i])))
}

/// `W[k][co][t] = (A dY Aᵀ)[k]` of the output-gradient tiles `t0..t0 + nt` of group `grp` (an
/// M×M tile, zero past the map's edge; two extra columns, as F(2×2)'s rows are read four
/// values at a time).
fn transform_grad<V: Variant<M, A>, const M: usize, const A: usize>(dy: &[f32], c: &Chunk, cog: usize, w: &mut [f32]) {
    let p = c.p;
    let src = Source { data: dy, c_total: p.c_out, ch0: c.grp * cog, hw: (p.out_h, p.out_w), at: (0, 0), extra: 2 };
    transform_tiles::<M, M, A>(&src, c, cog, w, grad_tile::<V, F32x4, M, A>);
}

/// The weight gradient `[c_out, cig, 3, 3]` (`p` must satisfy `conv_winograd::supports`).
pub fn backward_weight(tile: Tile, x: &[f32], dy: &[f32], p: &Conv2dParams) -> Vec<f32> {
    match tile {
        Tile::F2 => backward_weight_with::<F2, 2, 4>(x, dy, p),
        Tile::F4 => backward_weight_with::<F4, 4, 6>(x, dy, p),
    }
}

fn backward_weight_with<V: Variant<M, A>, const M: usize, const A: usize>(
    x: &[f32],
    dy: &[f32],
    p: &Conv2dParams,
) -> Vec<f32> {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let tiles = Tiles::new(p, M);
    let total = p.n * tiles.per_image;
    let mut dw = alloc::zeroed(p.c_out * cig * 9);
    if total == 0 || cig == 0 || cog == 0 {
        return dw;
    }
    let chunk = (BUDGET / (A * A * cig.max(cog))).max(16).min(total);
    let mut v = alloc::scratch(A * A * cig * chunk);
    let mut g = alloc::scratch(A * A * cog * chunk);
    // dU[k][ci][co], summed over the chunks in order
    let mut du = alloc::scratch(A * A * cig * cog);
    for grp in 0..p.groups {
        for t0 in (0..total).step_by(chunk) {
            let nt = chunk.min(total - t0);
            let c = Chunk { p, tiles: &tiles, grp, t0, nt };
            transform_input::<V, M, A>(x, &c, cig, &mut v);
            transform_grad::<V, M, A>(dy, &c, cog, &mut g);
            let (vr, gr) = (&v[..], &g[..]);
            for_each_chunk_mut(&mut du, cig * cog, A * A * cig * cog * nt, |k, dst| {
                let a = MatRef { data: vr, offset: k * cig * nt, rs: nt, cs: 1 };
                let b = MatRef { data: gr, offset: k * cog * nt, rs: 1, cs: nt };
                gemm(cig, cog, nt, a, b, dst, 0, cog, t0 > 0);
            });
        }
        // dW = Gᵀ dU G per (co, ci): r[b] = Gᵀ (column b of dU), then Gᵀ of each row of r
        for co in 0..cog {
            for ci in 0..cig {
                let u = |a: usize, b: usize| du[((a * A + b) * cig + ci) * cog + co];
                let r: [[f32; 3]; A] = from_fn(|b| V::gt(from_fn(|a| u(a, b))));
                let out = &mut dw[((grp * cog + co) * cig + ci) * 9..][..9];
                for i in 0..3 {
                    out[i * 3..i * 3 + 3].copy_from_slice(&V::gt(from_fn(|b| r[b][i])));
                }
            }
        }
    }
    alloc::recycle(v);
    alloc::recycle(g);
    alloc::recycle(du);
    dw
}
