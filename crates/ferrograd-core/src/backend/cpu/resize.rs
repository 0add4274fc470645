//! Bilinear resize with `align_corners=False` (PyTorch's `F.interpolate(mode='bilinear')`).

use super::parallel::for_each_plane;
use crate::backend::ResizeParams;

/// For each output index: (lower source index, upper source index, weight of the upper one).
fn taps(input: usize, out: usize) -> Vec<(usize, usize, f32)> {
    let scale = input as f32 / out as f32;
    (0..out)
        .map(|o| {
            let src = (scale * (o as f32 + 0.5) - 0.5).max(0.0);
            let i0 = (src as usize).min(input - 1);
            let i1 = if i0 < input - 1 { i0 + 1 } else { i0 };
            (i0, i1, src - i0 as f32)
        })
        .collect()
}

pub fn forward(x: &[f32], p: &ResizeParams) -> Vec<f32> {
    let (ty, tx) = (taps(p.h, p.out_h), taps(p.w, p.out_w));
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut out = super::alloc::zeroed(p.n * p.c * ohow);
    for_each_plane(&mut out, ohow, p.n * p.c * ohow * 4, |i, o| {
        let plane = &x[i * hw..][..hw];
        for (oy, &(y0, y1, ly)) in ty.iter().enumerate() {
            let (r0, r1) = (&plane[y0 * p.w..][..p.w], &plane[y1 * p.w..][..p.w]);
            for (ox, &(x0, x1, lx)) in tx.iter().enumerate() {
                let top = (1.0 - lx) * r0[x0] + lx * r0[x1];
                let bot = (1.0 - lx) * r1[x0] + lx * r1[x1];
                o[oy * p.out_w + ox] = (1.0 - ly) * top + ly * bot;
            }
        }
    });
    out
}

pub fn backward(dy: &[f32], p: &ResizeParams) -> Vec<f32> {
    let (ty, tx) = (taps(p.h, p.out_h), taps(p.w, p.out_w));
    let (hw, ohow) = (p.h * p.w, p.out_h * p.out_w);
    let mut dx = super::alloc::zeroed(p.n * p.c * hw);
    for_each_plane(&mut dx, hw, p.n * p.c * ohow * 4, |i, d| {
        let g = &dy[i * ohow..][..ohow];
        for (oy, &(y0, y1, ly)) in ty.iter().enumerate() {
            for (ox, &(x0, x1, lx)) in tx.iter().enumerate() {
                let v = g[oy * p.out_w + ox];
                d[y0 * p.w + x0] += (1.0 - ly) * (1.0 - lx) * v;
                d[y0 * p.w + x1] += (1.0 - ly) * lx * v;
                d[y1 * p.w + x0] += ly * (1.0 - lx) * v;
                d[y1 * p.w + x1] += ly * lx * v;
            }
        }
    });
    dx
}
