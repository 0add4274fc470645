//! Direct convolution for stride-1 layers, without an im2col buffer.
//!
//! Each image is copied once into a zero-padded plane. In that plane every filter tap is a
//! fixed offset from the output pixel's position, so a register tile of MR output channels ×
//! 4·NV pixels of one output row walks the taps with NV unaligned vector loads and MR weight
//! broadcasts per tap: a GEMM whose B operand is read straight from the image (no packing, no
//! column buffer). That is what small layers need (LeNet: 1→6 and 6→16 channels), where im2col
//! and packing cost more than the arithmetic; it also beats im2col on wide layers whose maps
//! fill the tiles (ResNet-18's 24² and 12² layers at 96×96).
//!
//! The input gradient of a stride-1 convolution is itself a stride-1 correlation (of the padded
//! output gradient with the flipped, channel-transposed filters), so it reuses the same kernel.
//! The weight gradient is in `conv_wgrad.rs`.

use super::parallel::for_each_chunk_mut;
use super::simd::{copy_row, F32x4};
use crate::backend::Conv2dParams;
use std::cell::RefCell;

thread_local! {
    static PLANE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// A stride-1 correlation: `src` is `[n, groups*cs, h, w]`, zero-padded by `(ph, pw)`; `dst`
/// is `[n, groups*cd, oh, ow]`.
pub(super) struct Corr {
    pub n: usize,
    pub groups: usize,
    pub cs: usize,
    pub cd: usize,
    pub h: usize,
    pub w: usize,
    pub ph: usize,
    pub pw: usize,
    pub kh: usize,
    pub kw: usize,
    pub dh: usize,
    pub dw: usize,
}

impl Corr {
    pub fn hp(&self) -> usize {
        self.h + 2 * self.ph
    }
    pub fn wp(&self) -> usize {
        self.w + 2 * self.pw
    }
    pub fn oh(&self) -> usize {
        self.hp() - (self.kh - 1) * self.dh
    }
    pub fn ow(&self) -> usize {
        self.wp() - (self.kw - 1) * self.dw
    }
    pub fn taps(&self) -> usize {
        self.cs * self.kh * self.kw
    }
    /// Floats of one padded group; vector tiles may read up to 7 floats past it (into the
    /// slack) for pixels that are never written back.
    pub fn plane_len(&self) -> usize {
        self.cs * self.hp() * self.wp()
    }
    /// Offset of each tap from its output pixel in the padded plane, taps ordered
    /// `(ki, c, kj)`: the taps of one filter row are contiguous, so an output row whose
    /// window overlaps the zero border vertically can skip the rows that only read zeros.
    fn offsets(&self) -> Vec<usize> {
        let (hp, wp) = (self.hp(), self.wp());
        let mut off = Vec::with_capacity(self.taps());
        for ki in 0..self.kh {
            for c in 0..self.cs {
                for kj in 0..self.kw {
                    off.push(c * hp * wp + ki * self.dh * wp + kj * self.dw);
                }
            }
        }
        off
    }

    /// The filter rows `ki` whose input row for output row `oy` lies inside the image (not in
    /// the zero border).
    fn live_rows(&self, oy: usize) -> std::ops::Range<usize> {
        let (ph, dh) = (self.ph, self.dh);
        let lo = ph.saturating_sub(oy).div_ceil(dh);
        // oy + ki·dh <= ph + h - 1
        let hi = if oy > ph + self.h - 1 { 0 } else { ((ph + self.h - 1 - oy) / dh + 1).min(self.kh) };
        lo.min(hi)..hi
    }

    /// Copies group `g` of image `img` (`[groups*cs, h, w]`) into `plane` with zero borders.
    fn pad_into(&self, img: &[f32], g: usize, plane: &mut Vec<f32>) {
        plane.clear();
        plane.resize(self.plane_len() + 8, 0.0);
        self.pad_slice(img, g, plane);
    }

    /// [`Corr::pad_into`] for a zero-filled slot of at least `plane_len` floats.
    pub fn pad_slice(&self, img: &[f32], g: usize, plane: &mut [f32]) {
        let (hp, wp, hw) = (self.hp(), self.wp(), self.h * self.w);
        for c in 0..self.cs {
            let src = &img[(g * self.cs + c) * hw..][..hw];
            let dst = &mut plane[c * hp * wp..][..hp * wp];
            for (y, row) in src.chunks_exact(self.w).enumerate() {
                copy_row(&mut dst[(y + self.ph) * wp + self.pw..][..self.w], row);
            }
        }
    }
}

/// Packs filters for MR-channel tiles: `[groups][panels][taps][MR]` with taps in the order of
/// [`Corr::offsets`], zero beyond `cd`. `f(g, d, c, ki, kj)` is the weight from source channel
/// `c` to destination channel `d` of group `g` at tap `(ki, kj)`.
fn pack_filters<const MR: usize>(c: &Corr, f: impl Fn(usize, usize, usize, usize, usize) -> f32) -> Vec<f32> {
    let (panels, taps) = (c.cd.div_ceil(MR), c.taps());
    let mut out = super::alloc::zeroed(c.groups * panels * taps * MR);
    for g in 0..c.groups {
        for p in 0..panels {
            let blk = &mut out[(g * panels + p) * taps * MR..][..taps * MR];
            for m in 0..MR.min(c.cd - p * MR) {
                let mut t = 0;
                for ki in 0..c.kh {
                    for ci in 0..c.cs {
                        for kj in 0..c.kw {
                            blk[t * MR + m] = f(g, p * MR + m, ci, ki, kj);
                            t += 1;
                        }
                    }
                }
            }
        }
    }
    out
}

/// MR output channels × NV·4 pixels starting at `x`: `acc[m][v] = Σ_t w[t][m] · x[off[t] + 4v..]`,
/// taps in order.
///
/// # Safety
/// `x + off[t] + 4·NV` must stay readable for every tap, and `w` must hold `off.len() * MR`
/// floats.
#[inline(always)]
unsafe fn tile<const MR: usize, const NV: usize>(x: *const f32, off: &[usize], w: *const f32) -> [[F32x4; NV]; MR] {
    let mut acc = [[F32x4::zero(); NV]; MR];
    for (t, &o) in off.iter().enumerate() {
        // SAFETY: the caller bounds every tap's read and the filter block.
        unsafe {
            let xp = x.add(o);
            let xv: [F32x4; NV] = std::array::from_fn(|v| F32x4::load(xp.add(4 * v)));
            let wp = w.add(t * MR);
            for (m, row) in acc.iter_mut().enumerate() {
                let a = F32x4::load_splat(wp.add(m));
                for (r, &xv) in row.iter_mut().zip(&xv) {
                    *r = r.madd(a, xv);
                }
            }
        }
    }
    acc
}

/// Where a register tile goes: `rows` channels from `ch0`, row `oy`, pixels from `ox`.
struct Tile {
    ch0: usize,
    rows: usize,
    oy: usize,
    ox: usize,
    oh: usize,
    ow: usize,
}

/// Writes the pixels of `acc` that lie inside the row (plus the channel's bias) to one image.
#[inline(always)]
fn store<const MR: usize, const NV: usize>(acc: &[[F32x4; NV]; MR], at: &Tile, bias: Option<&[f32]>, out: &mut [f32]) {
    for (m, r) in acc.iter().enumerate().take(at.rows) {
        let ch = at.ch0 + m;
        let row = &mut out[(ch * at.oh + at.oy) * at.ow..][..at.ow];
        let b = bias.map(|b| F32x4::splat(b[ch]));
        for (v, &val) in r.iter().enumerate() {
            let px = at.ox + 4 * v;
            if px >= at.ow {
                break;
            }
            let val = b.map_or(val, |b| val.add(b));
            if px + 4 <= at.ow {
                val.write_to(&mut row[px..]);
            } else {
                val.write_partial(&mut row[px..], at.ow - px);
            }
        }
    }
}

/// Runs the correlation into `dst` with filters packed by [`pack_filters`] and an optional
/// bias per destination channel.
fn correlate<const MR: usize, const NV: usize>(
    c: &Corr,
    src: &[f32],
    wp: &[f32],
    bias: Option<&[f32]>,
    dst: &mut [f32],
) {
    let (oh, ow, wpad) = (c.oh(), c.ow(), c.wp());
    let (panels, taps) = (c.cd.div_ceil(MR), c.taps());
    let off = c.offsets();
    let max_off = off.iter().copied().max().unwrap_or(0);
    // The furthest read: last row, a tile starting at ow-1 reading 4 floats, the largest tap.
    let reach = (oh - 1) * wpad + (ow - 1) + 4 + max_off;
    assert!(reach <= c.plane_len() + 8, "direct conv: tile reads past the padded plane");
    assert_eq!(wp.len(), c.groups * panels * taps * MR);
    let img_in = c.groups * c.cs * c.h * c.w;
    let img_out = c.groups * c.cd * oh * ow;
    assert!(src.len() >= c.n * img_in && dst.len() == c.n * img_out);
    // One task per image: the batch gives every thread several.
    for_each_chunk_mut(dst, img_out, c.n * img_out * taps, |n, out| {
        PLANE.with(|pl| {
            let plane = &mut *pl.borrow_mut();
            for g in 0..c.groups {
                c.pad_into(&src[n * img_in..][..img_in], g, plane);
                correlate_group::<MR, NV>(
                    c,
                    plane,
                    &wp[g * panels * taps * MR..][..panels * taps * MR],
                    g,
                    &off,
                    bias,
                    out,
                );
            }
        });
    });
}

/// Group `g` of one image: every MR-channel panel over every output row, from the padded
/// plane. The register tiles run here (relaxed-SIMD builds compile this function alone with
/// the `relaxed-simd` feature; see `simd.rs`).
#[allow(clippy::too_many_arguments)]
#[cfg_attr(all(target_arch = "wasm32", ferrograd_relaxed), target_feature(enable = "relaxed-simd"))]
fn correlate_group<const MR: usize, const NV: usize>(
    c: &Corr,
    plane: &[f32],
    wg: &[f32],
    g: usize,
    off: &[usize],
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    let (oh, ow, wpad) = (c.oh(), c.ow(), c.wp());
    let (panels, taps) = (c.cd.div_ceil(MR), c.taps());
    let max_off = off.iter().copied().max().unwrap_or(0);
    assert!((oh - 1) * wpad + (ow - 1) + 4 + max_off <= plane.len(), "direct conv: tile reads past the padded plane");
    for p in 0..panels {
        let w = wg[p * taps * MR..][..taps * MR].as_ptr();
        let co0 = g * c.cd + p * MR;
        let rows = MR.min(c.cd - p * MR);
        let row_taps = c.cs * c.kw;
        for oy in 0..oh {
            let live = c.live_rows(oy);
            let off = &off[live.start * row_taps..live.end * row_taps];
            // SAFETY: in bounds of the filter block (live.start <= kh).
            let w = unsafe { w.add(live.start * row_taps * MR) };
            let mut ox = 0;
            while ox < ow {
                let x = plane[oy * wpad + ox..].as_ptr();
                let at = Tile { ch0: co0, rows, oy, ox, oh, ow };
                // Full tiles, then one narrower tile for the row's last pixels.
                let nv = (ow - ox).div_ceil(4).min(NV);
                // SAFETY: a tile starting at or before ow-1 reads no further than the furthest
                // read asserted above to lie inside the plane, for its pixels inside the row;
                // pixel vectors past the row are never loaded (nv is clipped). The filter block
                // holds taps*MR floats.
                unsafe {
                    match nv {
                        n if n == NV => store(&tile::<MR, NV>(x, off, w), &at, bias, out),
                        1 => store(&tile::<MR, 1>(x, off, w), &at, bias, out),
                        2 => store(&tile::<MR, 2>(x, off, w), &at, bias, out),
                        _ => store(&tile::<MR, 3>(x, off, w), &at, bias, out),
                    }
                }
                ox += 4 * nv;
            }
        }
    }
}

fn correlate_auto(
    c: &Corr,
    f: impl Fn(usize, usize, usize, usize, usize) -> f32,
    bias: Option<&[f32]>,
    src: &[f32],
    dst: &mut [f32],
) {
    // The packed filters go back to the buffer pool: a training step packs the same shapes again.
    macro_rules! run {
        ($mr:literal, $nv:literal) => {{
            let packed = pack_filters::<$mr>(c, f);
            correlate::<$mr, $nv>(c, src, &packed, bias, dst);
            super::alloc::recycle(packed);
        }};
    }
    // Measured in Node (V8 on x86-64 has 15 allocatable vector registers): for up to 16
    // channels, 2 channels × 16 pixels (8 accumulators, 4 pixel loads and 2 broadcasts per tap)
    // is fastest; wider layers prefer 4 × 8, which reloads each pixel for half as many panels.
    // A single channel (a first layer's input gradient) would leave half of a 2-channel tile
    // idle.
    match c.cd {
        1 => run!(1, 4),
        2..=16 => run!(2, 4),
        _ => run!(4, 2),
    }
}

/// Whether [`forward`] and the weight gradient (`conv_wgrad.rs`) handle `p`: stride 1, nothing
/// empty.
pub fn supports(p: &Conv2dParams) -> bool {
    p.stride == (1, 1) && p.c_in > 0 && p.c_out > 0 && p.h > 0 && p.w > 0 && p.out_h > 0 && p.out_w > 0
}

/// Whether [`backward_input`] handles `p`: stride 1, padding at most the dilated kernel extent.
pub fn supports_backward_input(p: &Conv2dParams) -> bool {
    supports(p) && p.padding.0 <= (p.kh - 1) * p.dilation.0 && p.padding.1 <= (p.kw - 1) * p.dilation.1
}

pub(super) fn forward_corr(p: &Conv2dParams) -> Corr {
    Corr {
        n: p.n,
        groups: p.groups,
        cs: p.c_in / p.groups,
        cd: p.c_out / p.groups,
        h: p.h,
        w: p.w,
        ph: p.padding.0,
        pw: p.padding.1,
        kh: p.kh,
        kw: p.kw,
        dh: p.dilation.0,
        dw: p.dilation.1,
    }
}

pub fn forward(x: &[f32], w: &[f32], bias: Option<&[f32]>, p: &Conv2dParams) -> Vec<f32> {
    let c = forward_corr(p);
    debug_assert_eq!((c.oh(), c.ow()), (p.out_h, p.out_w));
    let taps = c.taps();
    let mut out = super::alloc::scratch(p.n * p.c_out * p.out_h * p.out_w);
    let (kh, kw) = (p.kh, p.kw);
    correlate_auto(&c, |g, co, ci, ki, kj| w[(g * c.cd + co) * taps + (ci * kh + ki) * kw + kj], bias, x, &mut out);
    out
}

/// The input gradient: `dy` padded by the kernel extent minus the forward padding, correlated
/// with the flipped filters, input and output channels swapped.
pub fn backward_input(dy: &[f32], w: &[f32], p: &Conv2dParams) -> Vec<f32> {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    let c = Corr {
        n: p.n,
        groups: p.groups,
        cs: cog,
        cd: cig,
        h: p.out_h,
        w: p.out_w,
        ph: (p.kh - 1) * p.dilation.0 - p.padding.0,
        pw: (p.kw - 1) * p.dilation.1 - p.padding.1,
        kh: p.kh,
        kw: p.kw,
        dh: p.dilation.0,
        dw: p.dilation.1,
    };
    debug_assert_eq!((c.oh(), c.ow()), (p.h, p.w));
    let (kh, kw) = (p.kh, p.kw);
    let filter = |g: usize, ci: usize, co: usize, ki: usize, kj: usize| {
        w[((g * cog + co) * cig + ci) * kh * kw + (kh - 1 - ki) * kw + (kw - 1 - kj)]
    };
    let mut dx = super::alloc::scratch(p.n * p.c_in * p.h * p.w);
    correlate_auto(&c, filter, None, dy, &mut dx);
    dx
}
