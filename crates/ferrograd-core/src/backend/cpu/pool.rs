//! Max / average pooling (PyTorch semantics: max pads with -inf, takes dilated windows and
//! routes the gradient to the first maximum of each window; average divides by PyTorch's
//! `divide_factor`), max unpooling, and adaptive average pooling.

//!
//! Planes (one image's channel) are independent: tasks own whole output planes.

use super::parallel::for_each_plane;
use crate::backend::{AdaptivePoolParams, Pool2dParams, PoolKind, Unpool2dParams};

/// Taps of output cell (oy, ox): tap (ky, kx) for ky in `ky`, kx in `kx` reads input
/// `(y + ky·dh, x + kx·dw)`; only taps inside the image are listed.
#[derive(Clone, Copy)]
pub(super) struct Window {
    y: isize,
    ky: (usize, usize),
    x: isize,
    kx: (usize, usize),
}

/// The taps of every output row and column, computed once per call (not per output cell).
pub(super) struct Windows {
    rows: Vec<(isize, usize, usize)>,
    cols: Vec<(isize, usize, usize)>,
}

impl Windows {
    pub(super) fn new(p: &Pool2dParams) -> Windows {
        let rows = (0..p.out_h).map(|o| Pool2dParams::taps(o, p.stride.0, p.padding.0, p.kh, p.dilation.0, p.h));
        let cols = (0..p.out_w).map(|o| Pool2dParams::taps(o, p.stride.1, p.padding.1, p.kw, p.dilation.1, p.w));
        Windows { rows: rows.collect(), cols: cols.collect() }
    }
    #[inline(always)]
    pub(super) fn at(&self, oy: usize, ox: usize) -> Window {
        let ((y, ky0, ky1), (x, kx0, kx1)) = (self.rows[oy], self.cols[ox]);
        Window { y, ky: (ky0, ky1), x, kx: (kx0, kx1) }
    }
}

impl Window {
    fn is_empty(&self) -> bool {
        self.ky.0 == self.ky.1 || self.kx.0 == self.kx.1
    }

    /// Calls `f(plane index)` for every tap, row by row.
    #[inline(always)]
    fn for_each(&self, p: &Pool2dParams, mut f: impl FnMut(usize)) {
        if self.is_empty() {
            return;
        }
        let (dh, dw) = p.dilation;
        let x0 = (self.x + (self.kx.0 * dw) as isize) as usize;
        let x1 = (self.x + ((self.kx.1 - 1) * dw) as isize) as usize + 1;
        for ky in self.ky.0..self.ky.1 {
            let row = (self.y + (ky * dh) as isize) as usize * p.w;
            if dw == 1 {
                // the common case, without step_by's general stepping
                (row + x0..row + x1).for_each(&mut f);
            } else {
                (row + x0..row + x1).step_by(dw).for_each(&mut f);
            }
        }
    }
}

/// Index (within the plane) of the first maximum of the window, or of its first NaN (PyTorch
/// propagates NaN); `None` when the window lies entirely in padding.
#[inline]
pub(super) fn argmax(plane: &[f32], p: &Pool2dParams, win: Window) -> Option<usize> {
    if win.is_empty() {
        return None;
    }
    let mut arg = usize::MAX;
    let mut best = f32::NEG_INFINITY;
    win.for_each(p, |i| {
        let v = plane[i];
        // Selects, not branches: on real activations `v > best` is a coin toss, and the
        // mispredictions made pooling cost more than a convolution. Once `best` is NaN
        // nothing replaces it, so the first NaN wins, as the first maximum does otherwise.
        let take = arg == usize::MAX || (!best.is_nan() && (v > best || v.is_nan()));
        best = if take { v } else { best };
        arg = if take { i } else { arg };
    });
    Some(arg)
}

/// The value [`argmax`] picks (the same comparisons, without the index); -inf for an empty window.
#[inline]
pub(super) fn window_max(plane: &[f32], p: &Pool2dParams, win: Window) -> f32 {
    let mut first = true;
    let mut best = f32::NEG_INFINITY;
    win.for_each(p, |i| {
        let v = plane[i];
        best = if first || (!best.is_nan() && (v > best || v.is_nan())) { v } else { best };
        first = false;
    });
    best
}

/// 1 / the divisor of average-pooling output (oy, ox); 0 for a window without input (its sum
/// is 0, and PyTorch writes 0 there).
#[inline]
fn avg_scale(p: &Pool2dParams, oy: usize, ox: usize) -> f32 {
    match p.avg_divisor(oy, ox) {
        0 => 0.0,
        d => 1.0 / d as f32,
    }
}

pub fn forward(x: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut out = super::alloc::zeroed(p.n * p.c * ohow);
    let wins = Windows::new(p);
    for_each_plane(&mut out, ohow, p.n * p.c * ohow * p.kh * p.kw, |i, o| {
        let plane = &x[i * hw..][..hw];
        for oy in 0..p.out_h {
            for ox in 0..p.out_w {
                let win = wins.at(oy, ox);
                o[oy * p.out_w + ox] = match p.kind {
                    PoolKind::Max => window_max(plane, p, win),
                    PoolKind::Avg => {
                        let mut s = 0.0;
                        win.for_each(p, |j| s += plane[j]);
                        s * avg_scale(p, oy, ox)
                    }
                };
            }
        }
    });
    out
}

/// The plane index of each output's maximum (PyTorch's `return_indices=True`), as f32; -1 for a
/// window entirely in padding.
pub fn max_indices(x: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut out = super::alloc::zeroed(p.n * p.c * ohow);
    let wins = Windows::new(p);
    for_each_plane(&mut out, ohow, p.n * p.c * ohow * p.kh * p.kw, |i, o| {
        let plane = &x[i * hw..][..hw];
        for oy in 0..p.out_h {
            for ox in 0..p.out_w {
                o[oy * p.out_w + ox] = argmax(plane, p, wins.at(oy, ox)).map_or(-1.0, |a| a as f32);
            }
        }
    });
    out
}

pub fn backward(x: &[f32], dy: &[f32], p: &Pool2dParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut dx = super::alloc::zeroed(p.n * p.c * hw);
    let wins = Windows::new(p);
    for_each_plane(&mut dx, hw, p.n * p.c * ohow * p.kh * p.kw, |i, d| {
        let (plane, g) = (&x[i * hw..][..hw], &dy[i * ohow..][..ohow]);
        for oy in 0..p.out_h {
            for ox in 0..p.out_w {
                let win = wins.at(oy, ox);
                let gv = g[oy * p.out_w + ox];
                match p.kind {
                    PoolKind::Max => {
                        if let Some(i) = argmax(plane, p, win) {
                            d[i] += gv;
                        }
                    }
                    PoolKind::Avg => {
                        let gs = gv * avg_scale(p, oy, ox);
                        win.for_each(p, |j| d[j] += gs);
                    }
                }
            }
        }
    });
    dx
}

/// `max_unpool2d`: each input value goes to its index in its output plane, the rest is 0.
/// Indices were checked by the caller ([`check_unpool_indices`]).
pub fn unpool_forward(x: &[f32], idx: &[f32], p: &Unpool2dParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut out = super::alloc::zeroed(p.n * p.c * ohow);
    for_each_plane(&mut out, ohow, p.n * p.c * hw, |i, o| {
        for (&v, &j) in x[i * hw..][..hw].iter().zip(&idx[i * hw..][..hw]) {
            o[j as usize] = v;
        }
    });
    out
}

/// The gradient of [`unpool_forward`]: each input reads the output gradient at its index.
pub fn unpool_backward(dy: &[f32], idx: &[f32], p: &Unpool2dParams) -> Vec<f32> {
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut dx = super::alloc::zeroed(p.n * p.c * hw);
    for_each_plane(&mut dx, hw, p.n * p.c * hw, |i, d| {
        let g = &dy[i * ohow..][..ohow];
        for (v, &j) in d.iter_mut().zip(&idx[i * hw..][..hw]) {
            *v = g[j as usize];
        }
    });
    dx
}

/// PyTorch's check: every index names a cell of its output plane.
pub fn check_unpool_indices(idx: &[f32], p: &Unpool2dParams) -> crate::Result<()> {
    let len = p.out_h * p.out_w;
    match idx.iter().find(|&&j| !(j >= 0.0 && (j as usize) < len && j.fract() == 0.0)) {
        Some(j) => crate::bail!(
            "max_unpool2d",
            "Found an invalid max index: {j} (output volumes are of size {}x{})",
            p.out_h,
            p.out_w
        ),
        None => Ok(()),
    }
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
    use crate::backend::PoolDivisor;

    /// The plain reading of PyTorch's rule over the dilated window, taps outside the image
    /// skipped: the first maximum, or the first NaN.
    fn argmax_reference(plane: &[f32], p: &Pool2dParams, oy: usize, ox: usize) -> Option<usize> {
        let mut best = f32::NEG_INFINITY;
        let mut arg = None;
        for ky in 0..p.kh {
            for kx in 0..p.kw {
                let y = (oy * p.stride.0 + ky * p.dilation.0) as isize - p.padding.0 as isize;
                let x = (ox * p.stride.1 + kx * p.dilation.1) as isize - p.padding.1 as isize;
                if y < 0 || x < 0 || y >= p.h as isize || x >= p.w as isize {
                    continue;
                }
                let j = y as usize * p.w + x as usize;
                let v = plane[j];
                if arg.is_none() || v > best || v.is_nan() {
                    best = v;
                    arg = Some(j);
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
        // ties, signed zeros, infinities and NaNs with distinct payloads, windows in padding,
        // dilated windows, ceil-mode windows running past the image
        let specials = [0.0f32, -0.0, f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 2.0, 2.0];
        let (n, c, h, w) = (2, 3, 7, 9);
        let x: Vec<f32> = (0..n * c * h * w)
            .map(|i| if i % 3 == 0 { specials[i / 3 % specials.len()] } else { (i * 37 % 11) as f32 - 5.0 })
            .collect();
        let configs = [
            ((3, 3), (2, 2), (1, 1), (1, 1), false),
            ((2, 3), (1, 2), (0, 1), (1, 1), false),
            ((3, 2), (3, 1), (1, 0), (1, 1), true),
            ((3, 3), (1, 2), (1, 1), (2, 3), false),
            ((2, 2), (3, 2), (1, 0), (3, 2), true),
        ];
        for (k, stride, padding, dilation, ceil) in configs {
            let out = |len: usize, k: usize, s: usize, p: usize, d: usize| {
                let span = len + 2 * p - d * (k - 1) - 1;
                let o = if ceil { span.div_ceil(s) + 1 } else { span / s + 1 };
                if ceil && (o - 1) * s >= len + p {
                    o - 1
                } else {
                    o
                }
            };
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
                dilation,
                divisor: PoolDivisor::IncludePad,
                out_h: out(h, k.0, stride.0, padding.0, dilation.0),
                out_w: out(w, k.1, stride.1, padding.1, dilation.1),
            };
            let fwd = forward(&x, &p);
            let idx = max_indices(&x, &p);
            let dy: Vec<f32> = (0..fwd.len()).map(|i| i as f32 + 1.0).collect();
            let bwd = backward(&x, &dy, &p);
            let (hw, ohow) = (h * w, p.out_h * p.out_w);
            let mut want_dx = vec![0.0f32; x.len()];
            for i in 0..n * c {
                let plane = &x[i * hw..][..hw];
                for oy in 0..p.out_h {
                    for ox in 0..p.out_w {
                        let o = i * ohow + oy * p.out_w + ox;
                        let want = argmax_reference(plane, &p, oy, ox);
                        let what = format!("{k:?} {stride:?} {padding:?} {dilation:?} at {o}");
                        assert_eq!(argmax(plane, &p, Windows::new(&p).at(oy, ox)), want, "{what}");
                        assert_eq!(idx[o], want.map_or(-1.0, |j| j as f32), "indices {what}");
                        let v = want.map_or(f32::NEG_INFINITY, |j| plane[j]);
                        assert_eq!(fwd[o].to_bits(), v.to_bits(), "forward {what}");
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
