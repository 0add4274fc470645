//! Max / average pooling (PyTorch semantics: max pads with -inf and routes the gradient to the
//! first maximum of each window; average counts padding), and adaptive average pooling.

//!
//! Planes (one image's channel) are independent: tasks own whole output planes.

use super::parallel::for_each_plane;
use crate::backend::{AdaptivePoolParams, Pool2dParams, PoolKind};

/// Clipped input window `[y0, y1) × [x0, x1)` of output cell (oy, ox).
#[inline]
fn window(p: &Pool2dParams, oy: usize, ox: usize) -> (usize, usize, usize, usize) {
    let y = (oy * p.stride.0) as isize - p.padding.0 as isize;
    let x = (ox * p.stride.1) as isize - p.padding.1 as isize;
    let y0 = y.max(0) as usize;
    let x0 = x.max(0) as usize;
    let y1 = ((y + p.kh as isize).min(p.h as isize)).max(0) as usize;
    let x1 = ((x + p.kw as isize).min(p.w as isize)).max(0) as usize;
    (y0, y1.max(y0), x0, x1.max(x0))
}

/// Index (within the plane) of the first maximum of the window, or of its first NaN (PyTorch
/// propagates NaN); `None` when the window lies entirely in padding.
#[inline]
fn argmax(plane: &[f32], w: usize, (y0, y1, x0, x1): (usize, usize, usize, usize)) -> Option<usize> {
    if y0 == y1 || x0 == x1 {
        return None;
    }
    let mut arg = y0 * w + x0;
    let mut best = plane[arg];
    for y in y0..y1 {
        for (i, &v) in plane[y * w + x0..y * w + x1].iter().enumerate() {
            // Selects, not branches: on real activations `v > best` is a coin toss, and the
            // mispredictions made pooling cost more than a convolution. Once `best` is NaN
            // nothing replaces it, so the first NaN wins, as the first maximum does otherwise.
            let take = !best.is_nan() && (v > best || v.is_nan());
            best = if take { v } else { best };
            arg = if take { y * w + x0 + i } else { arg };
        }
    }
    Some(arg)
}

/// The value [`argmax`] picks (the same comparisons, without the index); -inf for an empty window.
#[inline]
fn window_max(plane: &[f32], w: usize, (y0, y1, x0, x1): (usize, usize, usize, usize)) -> f32 {
    if y0 == y1 || x0 == x1 {
        return f32::NEG_INFINITY;
    }
    let mut best = plane[y0 * w + x0];
    for y in y0..y1 {
        for &v in &plane[y * w + x0..y * w + x1] {
            best = if !best.is_nan() && (v > best || v.is_nan()) { v } else { best };
        }
    }
    best
}

pub fn forward(x: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut out = super::alloc::zeroed(p.n * p.c * ohow);
    let inv = 1.0 / (p.kh * p.kw) as f32;
    for_each_plane(&mut out, ohow, p.n * p.c * ohow * p.kh * p.kw, |i, o| {
        let plane = &x[i * hw..][..hw];
        for oy in 0..p.out_h {
            for ox in 0..p.out_w {
                let win = window(p, oy, ox);
                o[oy * p.out_w + ox] = match p.kind {
                    PoolKind::Max => window_max(plane, p.w, win),
                    PoolKind::Avg => {
                        let (y0, y1, x0, x1) = win;
                        let mut s = 0.0;
                        for y in y0..y1 {
                            for v in &plane[y * p.w + x0..y * p.w + x1] {
                                s += v;
                            }
                        }
                        s * inv
                    }
                };
            }
        }
    });
    out
}

pub fn backward(x: &[f32], dy: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut dx = super::alloc::zeroed(p.n * p.c * hw);
    let inv = 1.0 / (p.kh * p.kw) as f32;
    for_each_plane(&mut dx, hw, p.n * p.c * ohow * p.kh * p.kw, |i, d| {
        let (plane, g) = (&x[i * hw..][..hw], &dy[i * ohow..][..ohow]);
        for oy in 0..p.out_h {
            for ox in 0..p.out_w {
                let win = window(p, oy, ox);
                let gv = g[oy * p.out_w + ox];
                match p.kind {
                    PoolKind::Max => {
                        if let Some(i) = argmax(plane, p.w, win) {
                            d[i] += gv;
                        }
                    }
                    PoolKind::Avg => {
                        let (y0, y1, x0, x1) = win;
                        for y in y0..y1 {
                            for v in &mut d[y * p.w + x0..y * p.w + x1] {
                                *v += gv * inv;
                            }
                        }
                    }
                }
            }
        }
    });
    dx
}

pub fn adaptive_avg_forward(x: &[f32], p: &AdaptivePoolParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut out = super::alloc::zeroed(p.n * p.c * ohow);
    for_each_plane(&mut out, ohow, p.n * p.c * hw, |i, o| {
        let plane = &x[i * hw..][..hw];
        for oy in 0..p.out_h {
            let (y0, y1) = AdaptivePoolParams::window(oy, p.h, p.out_h);
            for ox in 0..p.out_w {
                let (x0, x1) = AdaptivePoolParams::window(ox, p.w, p.out_w);
                let mut s = 0.0;
                for y in y0..y1 {
                    for v in &plane[y * p.w + x0..y * p.w + x1] {
                        s += v;
                    }
                }
                o[oy * p.out_w + ox] = s / ((y1 - y0) * (x1 - x0)) as f32;
            }
        }
    });
    out
}

pub fn adaptive_avg_backward(dy: &[f32], p: &AdaptivePoolParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut dx = super::alloc::zeroed(p.n * p.c * hw);
    for_each_plane(&mut dx, hw, p.n * p.c * hw, |i, d| {
        let g = &dy[i * ohow..][..ohow];
        for oy in 0..p.out_h {
            let (y0, y1) = AdaptivePoolParams::window(oy, p.h, p.out_h);
            for ox in 0..p.out_w {
                let (x0, x1) = AdaptivePoolParams::window(ox, p.w, p.out_w);
                let gv = g[oy * p.out_w + ox] / ((y1 - y0) * (x1 - x0)) as f32;
                for y in y0..y1 {
                    for v in &mut d[y * p.w + x0..y * p.w + x1] {
                        *v += gv;
                    }
                }
            }
        }
    });
    dx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain reading of PyTorch's rule: the first maximum, or the first NaN.
    fn argmax_reference(plane: &[f32], w: usize, (y0, y1, x0, x1): (usize, usize, usize, usize)) -> Option<usize> {
        let mut best = f32::NEG_INFINITY;
        let mut arg = None;
        for y in y0..y1 {
            for x in x0..x1 {
                let v = plane[y * w + x];
                if arg.is_none() || v > best || v.is_nan() {
                    best = v;
                    arg = Some(y * w + x);
                    if v.is_nan() {
                        return arg;
                    }
                }
            }
        }
        arg
    }

    #[test]
    fn max_pooling_picks_the_first_maximum_or_the_first_nan() {
        // ties, signed zeros, infinities and NaNs with distinct payloads, windows in padding
        let specials = [0.0f32, -0.0, f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 2.0, 2.0];
        let (n, c, h, w) = (2, 3, 7, 9);
        let x: Vec<f32> = (0..n * c * h * w)
            .map(|i| if i % 3 == 0 { specials[i / 3 % specials.len()] } else { (i * 37 % 11) as f32 - 5.0 })
            .collect();
        for (k, stride, padding) in [((3, 3), (2, 2), (1, 1)), ((2, 3), (1, 2), (0, 1)), ((3, 2), (3, 1), (1, 0))] {
            let out = |len: usize, k: usize, s: usize, p: usize| (len + 2 * p - k) / s + 1;
            let p = Pool2dParams {
                kind: PoolKind::Max,
                n,
                c,
                h,
                w,
                kh: k.0,
                kw: k.1,
                stride,
                padding,
                out_h: out(h, k.0, stride.0, padding.0),
                out_w: out(w, k.1, stride.1, padding.1),
            };
            let fwd = forward(&x, &p);
            let dy: Vec<f32> = (0..fwd.len()).map(|i| i as f32 + 1.0).collect();
            let bwd = backward(&x, &dy, &p);
            let (hw, ohow) = (h * w, p.out_h * p.out_w);
            let mut want_dx = vec![0.0f32; x.len()];
            for i in 0..n * c {
                let plane = &x[i * hw..][..hw];
                for oy in 0..p.out_h {
                    for ox in 0..p.out_w {
                        let o = i * ohow + oy * p.out_w + ox;
                        let want = argmax_reference(plane, w, window(&p, oy, ox));
                        assert_eq!(argmax(plane, w, window(&p, oy, ox)), want, "{k:?} {stride:?} {padding:?} at {o}");
                        let v = want.map_or(f32::NEG_INFINITY, |j| plane[j]);
                        assert_eq!(fwd[o].to_bits(), v.to_bits(), "forward {k:?} {stride:?} {padding:?} at {o}");
                        if let Some(j) = want {
                            want_dx[i * hw + j] += dy[o];
                        }
                    }
                }
            }
            assert!(bwd.iter().zip(&want_dx).all(|(a, b)| a.to_bits() == b.to_bits()), "backward {k:?}");
        }
    }
}
