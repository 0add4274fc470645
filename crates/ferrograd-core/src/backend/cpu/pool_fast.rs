//! Vectorised 2×2 stride-2 pooling without padding (LeNet's average pools, VGG's max pools),
//! which the general kernels in `pool.rs` handle one window at a time. The results are
//! bit-identical to `pool.rs`: for averages the same additions in the same order, starting from
//! +0.0 (so a window of -0.0 pools to +0.0 there and here), and the same `0 + g/4` for each
//! input-gradient element; for maxima the same first maximum (or first NaN) in window order,
//! and `0 + g` routed to it.

use super::parallel::for_each_plane;
use super::simd::F32x4;
use crate::backend::{Pool2dParams, PoolDivisor, PoolKind};

/// 1 / (kh·kw), as `pool.rs` computes it.
const INV: f32 = 1.0 / 4.0;

/// Whether `p` is a 2×2, stride-2, unpadded average pool over even-sized planes (windows tile
/// the input exactly, so both counting rules divide by 4).
pub fn applies(p: &Pool2dParams) -> bool {
    p.kind == PoolKind::Avg
        && (p.kh, p.kw, p.stride, p.padding, p.dilation) == (2, 2, (2, 2), (0, 0), (1, 1))
        && matches!(p.divisor, PoolDivisor::IncludePad | PoolDivisor::ExcludePad)
        && (2 * p.out_h, 2 * p.out_w) == (p.h, p.w)
        && p.h.is_multiple_of(2)
        && p.w.is_multiple_of(2)
        && p.w > 0
}

pub fn avg2x2_forward(x: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (w, ow) = (p.w, p.out_w);
    let rows = p.n * p.c * p.out_h;
    assert!(x.len() >= rows * 2 * w);
    let mut out = super::alloc::scratch(rows * ow);
    let (zero, inv) = (F32x4::zero(), F32x4::splat(INV));
    for_each_plane(&mut out, ow, rows * 2 * w, |r, o| {
        let (r0, r1) = (&x[2 * r * w..][..w], &x[(2 * r + 1) * w..][..w]);
        let mut j = 0;
        // SAFETY: output vector j..j+4 reads input columns 2j..2j+8 <= 2·ow = w of both rows
        // and writes o[j..j+4] within ow.
        unsafe {
            let (p0, p1, d) = (r0.as_ptr(), r1.as_ptr(), o.as_mut_ptr());
            while j + 4 <= ow {
                let (a, b) = F32x4::load(p0.add(2 * j)).deinterleave(F32x4::load(p0.add(2 * j + 4)));
                let (c, e) = F32x4::load(p1.add(2 * j)).deinterleave(F32x4::load(p1.add(2 * j + 4)));
                zero.add(a).add(b).add(c).add(e).mul(inv).store(d.add(j));
                j += 4;
            }
        }
        for (j, v) in o.iter_mut().enumerate().skip(j) {
            *v = (0.0 + r0[2 * j] + r0[2 * j + 1] + r1[2 * j] + r1[2 * j + 1]) * INV;
        }
    });
    out
}

pub fn avg2x2_backward(dy: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (w, ow) = (p.w, p.out_w);
    let mut dx = super::alloc::scratch(p.n * p.c * p.h * w);
    let (zero, inv) = (F32x4::zero(), F32x4::splat(INV));
    for_each_plane(&mut dx, 2 * w, p.n * p.c * p.h * w, |r, d| {
        let g = &dy[r * ow..][..ow];
        let mut j = 0;
        // SAFETY: gradient vector j..j+4 is within the ow-long row g, and its two duplicated
        // halves go to columns 2j..2j+8 <= w of the two w-long rows of d.
        unsafe {
            let (gp, d0) = (g.as_ptr(), d.as_mut_ptr());
            let d1 = d0.add(w);
            while j + 4 <= ow {
                let (lo, hi) = zero.add(F32x4::load(gp.add(j)).mul(inv)).dup_lanes();
                for row in [d0, d1] {
                    lo.store(row.add(2 * j));
                    hi.store(row.add(2 * j + 4));
                }
                j += 4;
            }
        }
        let (d0, d1) = d.split_at_mut(w);
        for (j, &gv) in g.iter().enumerate().skip(j) {
            let v = 0.0 + gv * INV;
            d0[2 * j..2 * j + 2].fill(v);
            d1[2 * j..2 * j + 2].fill(v);
        }
    });
    dx
}

/// Whether `p` is a 2×2, stride-2, unpadded max pool without ceil mode (an odd last row or
/// column is left out, as PyTorch's floor rule does).
pub fn applies_max(p: &Pool2dParams) -> bool {
    p.kind == PoolKind::Max
        && (p.kh, p.kw, p.stride, p.padding, p.dilation) == (2, 2, (2, 2), (0, 0), (1, 1))
        && (p.out_h, p.out_w) == (p.h / 2, p.w / 2)
        && p.out_w > 0
}

/// The window's next tap `v` replaces the running maximum `best` (as `pool.rs`: a greater value
/// or a NaN, unless `best` is already NaN), and the new maximum. The maximum is `max_keep`'s
/// (a tie keeps `best`), with a NaN `v` let through: no compare-and-pick a relaxed-SIMD build
/// could turn into a host-dependent `relaxed_max`.
#[inline(always)]
pub(super) fn step(best: F32x4, v: F32x4) -> (F32x4, F32x4) {
    let nan_in = v.nan_mask().andnot(best.nan_mask());
    let take = v.gt(best).andnot(best.nan_mask()).or(nan_in);
    (take, nan_in.select(v, best.max_keep(v)))
}

#[inline(always)]
fn step_scalar(best: f32, v: f32) -> bool {
    !best.is_nan() && (v > best || v.is_nan())
}

/// The four taps of the windows of output columns `j..j+4` of output row `oy` (row-major plane
/// of width `w`), in window order.
///
/// # Safety
/// Columns `2j..2j+8` of input rows `2oy` and `2oy+1` must be inside `plane`.
#[inline(always)]
unsafe fn taps(plane: *const f32, w: usize, oy: usize, j: usize) -> [F32x4; 4] {
    let (r0, r1) = (plane.add(2 * oy * w + 2 * j), plane.add((2 * oy + 1) * w + 2 * j));
    let (a, b) = F32x4::load(r0).deinterleave(F32x4::load(r0.add(4)));
    let (c, e) = F32x4::load(r1).deinterleave(F32x4::load(r1.add(4)));
    [a, b, c, e]
}

pub fn max2x2_forward(x: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (hw, ow, ohow) = (p.h * p.w, p.out_w, p.out_h * p.out_w);
    assert!(x.len() >= p.n * p.c * hw);
    let mut out = super::alloc::scratch(p.n * p.c * ohow);
    for_each_plane(&mut out, ohow, p.n * p.c * hw, |i, o| {
        let plane = &x[i * hw..][..hw];
        for oy in 0..p.out_h {
            let row = &mut o[oy * ow..][..ow];
            let mut j = 0;
            while j + 4 <= ow {
                // SAFETY: 2j + 8 <= 2·ow <= w, and rows 2oy + 1 < h, inside the plane.
                let [a, b, c, e] = unsafe { taps(plane.as_ptr(), p.w, oy, j) };
                let best = [b, c, e].into_iter().fold(a, |best, v| step(best, v).1);
                best.write_to(&mut row[j..]);
                j += 4;
            }
            for (jj, v) in row.iter_mut().enumerate().skip(j) {
                let t = [0, 1, p.w, p.w + 1].map(|d| plane[2 * oy * p.w + 2 * jj + d]);
                *v = t[1..].iter().fold(t[0], |best, &v| if step_scalar(best, v) { v } else { best });
            }
        }
    });
    out
}

pub fn max2x2_backward(x: &[f32], dy: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (hw, ow, ohow) = (p.h * p.w, p.out_w, p.out_h * p.out_w);
    assert!(x.len() >= p.n * p.c * hw && dy.len() >= p.n * p.c * ohow);
    // an odd last row or column gets no gradient
    let covered = p.h.is_multiple_of(2) && p.w.is_multiple_of(2);
    let mut dx = if covered { super::alloc::scratch(p.n * p.c * hw) } else { super::alloc::zeroed(p.n * p.c * hw) };
    let zero = F32x4::zero();
    for_each_plane(&mut dx, hw, p.n * p.c * hw, |i, d| {
        let (plane, g) = (&x[i * hw..][..hw], &dy[i * ohow..][..ohow]);
        for oy in 0..p.out_h {
            let (d0, d1) = d[2 * oy * p.w..][..2 * p.w].split_at_mut(p.w);
            let mut j = 0;
            while j + 4 <= ow {
                // SAFETY: as in the forward pass.
                let t = unsafe { taps(plane.as_ptr(), p.w, oy, j) };
                let mut best = t[0];
                let mut idx = zero;
                for (k, &v) in t.iter().enumerate().skip(1) {
                    let (take, next) = step(best, v);
                    idx = take.select(F32x4::splat(k as f32), idx);
                    best = next;
                }
                let gv = F32x4::from_slice(&g[oy * ow + j..]);
                let at = |k: f32| zero.add(gv.and(idx.eq(F32x4::splat(k))));
                let (lo0, hi0) = at(0.0).interleave(at(1.0));
                let (lo1, hi1) = at(2.0).interleave(at(3.0));
                lo0.write_to(&mut d0[2 * j..]);
                hi0.write_to(&mut d0[2 * j + 4..]);
                lo1.write_to(&mut d1[2 * j..]);
                hi1.write_to(&mut d1[2 * j + 4..]);
                j += 4;
            }
            for jj in j..ow {
                let t = [0, 1, p.w, p.w + 1].map(|o| plane[2 * oy * p.w + 2 * jj + o]);
                let mut k = 0;
                for q in 1..4 {
                    if step_scalar(t[k], t[q]) {
                        k = q;
                    }
                }
                let gv = 0.0 + g[oy * ow + jj];
                let val = |q: usize| if q == k { gv } else { 0.0 };
                (d0[2 * jj], d0[2 * jj + 1], d1[2 * jj], d1[2 * jj + 1]) = (val(0), val(1), val(2), val(3));
            }
        }
    });
    dx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_identical_to_the_general_kernel() {
        let specials = [0.0f32, -0.0, f32::NAN, f32::INFINITY, -1e-40, 3.0e38];
        for (h, w) in [(2, 2), (4, 6), (10, 10), (28, 28), (6, 18)] {
            let (n, c) = (2, 3);
            let len = n * c * h * w;
            let x: Vec<f32> = (0..len)
                .map(
                    |i| if i % 11 == 0 { specials[i / 11 % specials.len()] } else { (i * 37 % 101) as f32 / 7.0 - 7.0 },
                )
                .collect();
            let p = Pool2dParams {
                kind: PoolKind::Avg,
                n,
                c,
                h,
                w,
                kh: 2,
                kw: 2,
                stride: (2, 2),
                padding: (0, 0),
                dilation: (1, 1),
                divisor: PoolDivisor::IncludePad,
                out_h: h / 2,
                out_w: w / 2,
            };
            assert!(applies(&p));
            let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            let fwd = avg2x2_forward(&x, &p);
            assert!(same(&fwd, &super::super::pool::forward(&x, &p)), "forward {h}x{w}");
            let dy: Vec<f32> = fwd.iter().enumerate().map(|(i, &v)| if i % 5 == 0 { -0.0 } else { v }).collect();
            let bwd = avg2x2_backward(&dy, &p);
            assert!(same(&bwd, &super::super::pool::backward(&x, &dy, &p)), "backward {h}x{w}");
        }
    }

    /// Ties (the first maximum), NaN (the first NaN), ±0, odd sizes (the last row or column
    /// left out) and rows whose width is not a multiple of four windows.
    #[test]
    fn max_bit_identical_to_the_general_kernel() {
        let specials = [0.0f32, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 3.0e38, 1.0];
        for (h, w) in [(2, 2), (4, 6), (10, 10), (28, 28), (6, 18), (5, 7), (7, 17), (3, 9)] {
            let (n, c) = (2, 3);
            let len = n * c * h * w;
            let x: Vec<f32> = (0..len)
                .map(|i| if i % 7 == 0 { specials[i / 7 % specials.len()] } else { (i * 37 % 13) as f32 / 4.0 - 1.0 })
                .collect();
            let p = Pool2dParams {
                kind: PoolKind::Max,
                n,
                c,
                h,
                w,
                kh: 2,
                kw: 2,
                stride: (2, 2),
                padding: (0, 0),
                dilation: (1, 1),
                divisor: PoolDivisor::IncludePad,
                out_h: h / 2,
                out_w: w / 2,
            };
            assert!(applies_max(&p) && !applies(&p));
            let same =
                |a: &[f32], b: &[f32]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            let fwd = max2x2_forward(&x, &p);
            assert!(same(&fwd, &super::super::pool::forward(&x, &p)), "forward {h}x{w}");
            let dy: Vec<f32> = (0..fwd.len()).map(|i| if i % 5 == 0 { -0.0 } else { i as f32 * 0.5 - 3.0 }).collect();
            // a recycled buffer of NaN: every element of the gradient must be written
            super::super::alloc::recycle(vec![f32::NAN; len]);
            let bwd = max2x2_backward(&x, &dy, &p);
            assert!(same(&bwd, &super::super::pool::backward(&x, &dy, &p)), "backward {h}x{w}");
        }
    }
}
