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

/// Index (within the plane) of the first maximum of the window; `None` when the window lies
/// entirely in padding.
#[inline]
fn argmax(plane: &[f32], w: usize, (y0, y1, x0, x1): (usize, usize, usize, usize)) -> Option<usize> {
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
                    PoolKind::Max => argmax(plane, p.w, win).map_or(f32::NEG_INFINITY, |i| plane[i]),
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
