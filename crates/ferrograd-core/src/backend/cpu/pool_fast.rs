//! Vectorised 2×2 stride-2 average pooling without padding (LeNet's), which the general
//! kernels in `pool.rs` handle one window at a time. The results are bit-identical to
//! `pool.rs`: the same additions in the same order, starting from +0.0 (so a window of -0.0
//! pools to +0.0 there and here), and the same `0 + g/4` for each input-gradient element.

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
}
