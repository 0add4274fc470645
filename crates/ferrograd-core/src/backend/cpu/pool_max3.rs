//! 3×3 stride-2 max pooling (ResNet's and GoogLeNet's, padding 0 or 1), four outputs of a row
//! per vector where their windows lie inside the image; the other outputs go through
//! `pool.rs`'s window code. Bit-identical to `pool.rs`: the same first maximum (or first NaN) in
//! window order, and the backward pass adds each output's gradient to its maximum's input in the
//! same output order.

use super::parallel::for_each_plane;
use super::pool::{argmax, window_max, Windows};
use super::pool_fast::step;
use super::simd::F32x4;
use crate::backend::{Pool2dParams, PoolKind};

pub fn applies(p: &Pool2dParams) -> bool {
    p.kind == PoolKind::Max
        && (p.kh, p.kw, p.stride, p.dilation) == (3, 3, (2, 2), (1, 1))
        && p.padding.0 <= 1
        && p.padding.1 <= 1
}

/// The three taps of a window row for four outputs side by side (lane `l`'s window starts at
/// `r[2l]`).
///
/// # Safety
/// `r[0..10]` must be readable.
#[inline(always)]
unsafe fn row_taps(r: *const f32) -> [F32x4; 3] {
    let (c0, c1) = F32x4::load(r).deinterleave(F32x4::load(r.add(4)));
    let (c2, _) = F32x4::load(r.add(2)).deinterleave(F32x4::load(r.add(6)));
    [c0, c1, c2]
}

/// Where the four windows of outputs `(oy, ox..ox + 4)` start in the plane, when they lie inside
/// it with their rows' ten-value reads.
#[inline(always)]
fn interior(p: &Pool2dParams, oy: usize, ox: usize) -> Option<usize> {
    let (y0, x0) = ((2 * oy) as isize - p.padding.0 as isize, (2 * ox) as isize - p.padding.1 as isize);
    let inside = y0 >= 0 && y0 as usize + 3 <= p.h && x0 >= 0 && x0 as usize + 10 <= p.w && ox + 4 <= p.out_w;
    inside.then(|| y0 as usize * p.w + x0 as usize)
}

/// The nine taps of four windows starting at `base`, in window order.
#[inline(always)]
fn taps(plane: &[f32], w: usize, base: usize) -> [F32x4; 9] {
    assert!(base + 2 * w + 10 <= plane.len());
    // SAFETY: rows base + r·w, r < 3, are read up to base + 2w + 10 <= plane.len() (asserted).
    let rows = [0, 1, 2].map(|r| unsafe { row_taps(plane.as_ptr().add(base + r * w)) });
    let [a, b, c] = rows;
    [a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]]
}

pub fn forward(x: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut out = super::alloc::scratch(p.n * p.c * ohow);
    let wins = Windows::new(p);
    for_each_plane(&mut out, ohow, p.n * p.c * ohow * 9, |i, o| {
        let plane = &x[i * hw..][..hw];
        for oy in 0..p.out_h {
            let mut ox = 0;
            while ox < p.out_w {
                if let Some(base) = interior(p, oy, ox) {
                    let t = taps(plane, p.w, base);
                    let best = t[1..].iter().fold(t[0], |best, &v| step(best, v).1);
                    best.write_to(&mut o[oy * p.out_w + ox..]);
                    ox += 4;
                } else {
                    o[oy * p.out_w + ox] = window_max(plane, p, wins.at(oy, ox));
                    ox += 1;
                }
            }
        }
    });
    out
}

pub fn backward(x: &[f32], dy: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut dx = super::alloc::zeroed(p.n * p.c * hw);
    let wins = Windows::new(p);
    for_each_plane(&mut dx, hw, p.n * p.c * ohow * 9, |i, d| {
        let (plane, g) = (&x[i * hw..][..hw], &dy[i * ohow..][..ohow]);
        for oy in 0..p.out_h {
            let mut ox = 0;
            while ox < p.out_w {
                if let Some(base) = interior(p, oy, ox) {
                    let t = taps(plane, p.w, base);
                    let (mut best, mut idx) = (t[0], F32x4::zero());
                    for (k, &v) in t.iter().enumerate().skip(1) {
                        let (take, next) = step(best, v);
                        idx = take.select(F32x4::splat(k as f32), idx);
                        best = next;
                    }
                    let mut ks = [0.0f32; 4];
                    idx.write_to(&mut ks);
                    for (l, &k) in ks.iter().enumerate() {
                        let k = k as usize;
                        d[base + k / 3 * p.w + 2 * l + k % 3] += g[oy * p.out_w + ox + l];
                    }
                    ox += 4;
                } else {
                    if let Some(j) = argmax(plane, p, wins.at(oy, ox)) {
                        d[j] += g[oy * p.out_w + ox];
                    }
                    ox += 1;
                }
            }
        }
    });
    dx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::PoolDivisor;

    /// Ties, NaN, ±0 and infinities, both paddings, even and odd maps, rows of four windows
    /// inside beside edge windows, against `pool.rs` bit for bit.
    #[test]
    fn bit_identical_to_the_general_kernel() {
        let specials = [0.0f32, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.0];
        for pad in [0, 1] {
            for (h, w) in [(3, 3), (7, 9), (12, 12), (13, 25), (24, 24), (5, 31)] {
                let (n, c) = (2, 2);
                let len = n * c * h * w;
                let x: Vec<f32> =
                    (0..len)
                        .map(|i| {
                            if i % 9 == 0 {
                                specials[i / 9 % specials.len()]
                            } else {
                                (i * 37 % 11) as f32 / 4.0 - 1.0
                            }
                        })
                        .collect();
                let out = |l: usize| (l + 2 * pad - 3) / 2 + 1;
                let p = Pool2dParams {
                    kind: PoolKind::Max,
                    n,
                    c,
                    h,
                    w,
                    kh: 3,
                    kw: 3,
                    stride: (2, 2),
                    padding: (pad, pad),
                    dilation: (1, 1),
                    divisor: PoolDivisor::IncludePad,
                    out_h: out(h),
                    out_w: out(w),
                };
                assert!(applies(&p));
                let same = |a: &[f32], b: &[f32]| {
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
                };
                let fwd = forward(&x, &p);
                assert!(same(&fwd, &super::super::pool::forward(&x, &p)), "forward {h}x{w} pad {pad}");
                let dy: Vec<f32> =
                    (0..fwd.len()).map(|i| if i % 5 == 0 { -0.0 } else { i as f32 * 0.25 - 3.0 }).collect();
                let bwd = backward(&x, &dy, &p);
                assert!(same(&bwd, &super::super::pool::backward(&x, &dy, &p)), "backward {h}x{w} pad {pad}");
            }
        }
    }
}
