//! The weight gradient of a stride-1 convolution, without an im2col buffer: dot products of
//! output-gradient rows with shifted rows of the zero-padded input, CT output channels × up to
//! 4 taps of a filter row per register tile, summed over several images before the horizontal
//! sums. Images are reduced in fixed tasks of 16, combined in task order (see `parallel.rs`),
//! so the result does not depend on how many threads run the tasks.

use super::conv_direct::{forward_corr, supports, Corr};
use super::parallel::reduce_tasks;
use super::simd::{copy_row, F32x4};
use crate::backend::Conv2dParams;
use std::cell::RefCell;

/// Images per weight-gradient task: the task list (hence the reduction order) depends on the
/// batch size only.
const WGRAD_IMAGES_PER_TASK: usize = 16;

/// Where the weight-gradient tiles read: `imgs` images, each with its `[cd, oh, ow4]` gradient
/// rows (`dy_img` floats apart) and its padded input plane (`x_img` floats apart).
#[derive(Clone, Copy)]
struct WgradSrc {
    imgs: usize,
    dy_img: usize,
    x_img: usize,
    ow: usize,
    wp: usize,
    dw: usize,
}

/// CT output channels × KW taps of one filter row, summed over `src.imgs` images:
/// `acc[ct][kj] = Σ_(img,oy,ox) dy[ct][oy][ox] · x[oy+ki·dh][ox+kj·dw]`, per lane. `dy` rows are
/// zero-padded to `ow4` (a multiple of 4).
///
/// # Safety
/// For every image, `x` must be readable for `(rows.end-1)·wp + ow4 + (KW-1)·dw` floats and
/// each `dy[ct]` for `rows.end·ow4` floats.
#[inline(always)]
unsafe fn wgrad_tile<const CT: usize, const KW: usize>(
    dy: [*const f32; CT],
    x: *const f32,
    rows: std::ops::Range<usize>,
    src: WgradSrc,
) -> [[F32x4; KW]; CT] {
    let mut acc = [[F32x4::zero(); KW]; CT];
    let (ow, wp, dw) = (src.ow, src.wp, src.dw);
    let full = ow / 4 * 4;
    let ow4 = ow.next_multiple_of(4);
    // The padded dy lanes are zero, but x past the row may hold an infinity, and 0·∞ is NaN:
    // the tail's x lanes are masked to zero too.
    let tail = F32x4::first_lanes(ow - full);
    let all = F32x4::splat(f32::from_bits(u32::MAX));
    // The CT gradient vectors stay in registers while each shifted input vector is loaded once
    // and used CT times: CT + 1 + CT·KW live vectors.
    #[inline(always)]
    unsafe fn step<const CT: usize, const KW: usize>(
        acc: &mut [[F32x4; KW]; CT],
        d: [F32x4; CT],
        x: *const f32,
        dw: usize,
        mask: F32x4,
    ) {
        for j in 0..KW {
            // SAFETY: forwarded from the caller.
            let xv = unsafe { F32x4::load(x.add(j * dw)) }.and(mask);
            for (row, &d) in acc.iter_mut().zip(&d) {
                row[j] = row[j].madd(d, xv);
            }
        }
    }
    for i in 0..src.imgs {
        for oy in rows.clone() {
            // SAFETY: every read below stays inside the ranges the caller guarantees.
            unsafe {
                let xr = x.add(i * src.x_img + oy * wp);
                let dr: [*const f32; CT] = dy.map(|p| p.add(i * src.dy_img + oy * ow4));
                let mut ox = 0;
                while ox < full {
                    let d = dr.map(|p| F32x4::load(p.add(ox)));
                    step(&mut acc, d, xr.add(ox), dw, all);
                    ox += 4;
                }
                if full < ow4 {
                    let d = dr.map(|p| F32x4::load(p.add(full)));
                    step(&mut acc, d, xr.add(full), dw, tail);
                }
            }
        }
    }
    acc
}

/// Adds the weight gradient of a batch of images for group `g` to `dw` (`[c_out, cig·kh·kw]`),
/// CT output channels × up to KJ taps of a filter row at a time. `dy` holds each image's
/// `[cd, oh, ow4]` rows, `planes` its padded input (see [`WgradSrc`]).
#[cfg_attr(all(target_arch = "wasm32", ferrograd_relaxed), target_feature(enable = "relaxed-simd"))]
fn wgrad_images<const CT: usize, const KJ: usize>(
    c: &Corr,
    dy: &[f32],
    planes: &[f32],
    src: WgradSrc,
    g: usize,
    dw: &mut [f32],
) {
    let (oh, hp, wp) = (c.oh(), c.hp(), c.wp());
    let ow4 = src.ow.next_multiple_of(4);
    let kk = c.kh * c.kw;
    assert!(src.imgs > 0 && dy.len() >= (src.imgs - 1) * src.dy_img + c.cd * oh * ow4);
    let mut co = 0;
    while co < c.cd {
        let ct = CT.min(c.cd - co);
        // Rows past the group's channels repeat the last one; their sums are dropped.
        let rows: [*const f32; CT] = std::array::from_fn(|i| dy[(co + i.min(ct - 1)) * oh * ow4..].as_ptr());
        for ci in 0..c.cs {
            for ki in 0..c.kh {
                // Output rows whose input row lies in the zero border add nothing: skip them.
                let oy0 = c.ph.saturating_sub(ki * c.dh).min(oh);
                let oy1 = (c.ph + c.h).saturating_sub(ki * c.dh).clamp(oy0, oh);
                // Filter-row chunks of near-equal width: 5 = 3 + 2, 7 = 4 + 3.
                let chunks = c.kw.div_ceil(KJ);
                for k in 0..chunks {
                    let j0 = k * c.kw / chunks;
                    let nj = (k + 1) * c.kw / chunks - j0;
                    let x = &planes[ci * hp * wp + ki * c.dh * wp + j0 * c.dw..];
                    assert!(x.len() >= (src.imgs - 1) * src.x_img + (oh - 1) * wp + ow4 + (nj - 1) * c.dw);
                    let mut sums = [[0.0f32; KJ]; CT];
                    // SAFETY: `x` is long enough for every image (asserted above), and so is
                    // every gradient row (asserted before the loop).
                    unsafe {
                        let x = x.as_ptr();
                        match nj {
                            1 => hsums(&wgrad_tile::<CT, 1>(rows, x, oy0..oy1, src), &mut sums),
                            2 => hsums(&wgrad_tile::<CT, 2>(rows, x, oy0..oy1, src), &mut sums),
                            3 => hsums(&wgrad_tile::<CT, 3>(rows, x, oy0..oy1, src), &mut sums),
                            _ => hsums(&wgrad_tile::<CT, KJ>(rows, x, oy0..oy1, src), &mut sums),
                        }
                    }
                    for (i, s) in sums.iter().enumerate().take(ct) {
                        let o = &mut dw[(g * c.cd + co + i) * c.cs * kk + ci * kk + ki * c.kw + j0..][..nj];
                        for (d, v) in o.iter_mut().zip(s) {
                            *d += v;
                        }
                    }
                }
            }
        }
        co += CT;
    }
}

#[inline(always)]
fn hsums<const CT: usize, const N: usize, const KJ: usize>(acc: &[[F32x4; N]; CT], out: &mut [[f32; KJ]; CT]) {
    for (o, a) in out.iter_mut().zip(acc) {
        for (o, v) in o.iter_mut().zip(a) {
            *o = v.hsum();
        }
    }
}

thread_local! {
    static PLANES: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static DY_ROWS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Images whose gradient rows and padded planes the weight-gradient tiles sweep together:
/// enough to amortise each tile's setup and horizontal sums, few enough (about 128 KiB) to stay
/// in L2. A function of the shape only, like the task split.
fn wgrad_images_per_sweep(c: &Corr) -> usize {
    let floats = c.cd * c.oh() * c.ow().next_multiple_of(4) + c.plane_len() + 8;
    ((32 << 10) / floats).clamp(1, WGRAD_IMAGES_PER_TASK)
}

fn backward_weight_with<const CT: usize, const KJ: usize>(x: &[f32], dy: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let c = forward_corr(p);
    let (img, ohow) = (p.c_in * p.h * p.w, p.out_h * p.out_w);
    let ow4 = p.out_w.next_multiple_of(4);
    let sweep = wgrad_images_per_sweep(&c);
    let src = |imgs| WgradSrc {
        imgs,
        dy_img: c.cd * p.out_h * ow4,
        x_img: c.plane_len() + 8,
        ow: p.out_w,
        wp: c.wp(),
        dw: c.dw,
    };
    let mut dw = super::alloc::scratch(p.c_out * c.taps());
    let tasks = p.n.div_ceil(WGRAD_IMAGES_PER_TASK).max(1);
    reduce_tasks(&mut dw, tasks, p.macs(), |t, part| {
        PLANES.with(|pl| {
            DY_ROWS.with(|dr| {
                let (planes, rows) = (&mut *pl.borrow_mut(), &mut *dr.borrow_mut());
                let s = src(sweep);
                let end = ((t + 1) * WGRAD_IMAGES_PER_TASK).min(p.n);
                for n0 in (t * WGRAD_IMAGES_PER_TASK..end).step_by(sweep) {
                    let m = sweep.min(end - n0);
                    for g in 0..c.groups {
                        // Zero borders and row tails: only the images' values are copied in.
                        planes.clear();
                        planes.resize(m * s.x_img, 0.0);
                        rows.clear();
                        rows.resize(m * s.dy_img + 4, 0.0);
                        for i in 0..m {
                            let n = n0 + i;
                            c.pad_slice(&x[n * img..][..img], g, &mut planes[i * s.x_img..]);
                            let from = &dy[(n * p.c_out + g * c.cd) * ohow..][..c.cd * ohow];
                            let to = &mut rows[i * s.dy_img..][..s.dy_img];
                            for (d, s) in to.chunks_exact_mut(ow4).zip(from.chunks_exact(p.out_w)) {
                                copy_row(&mut d[..p.out_w], s);
                            }
                        }
                        wgrad_images::<CT, KJ>(&c, rows, planes, src(m), g, part);
                    }
                }
            })
        })
    });
    dw
}

/// The weight gradient (stride 1 only).
pub fn backward_weight(x: &[f32], dy: &[f32], p: &Conv2dParams) -> Option<Vec<f32>> {
    if !supports(p) {
        return None;
    }
    // 2 output channels × 4 taps: 8 accumulators, 2 gradient and 4 input vectors, which V8's
    // 15 allocatable vector registers on x86-64 hold without spilling.
    Some(backward_weight_with::<2, 4>(x, dy, p))
}
