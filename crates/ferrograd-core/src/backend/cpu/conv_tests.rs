//! Both convolution algorithms against a naive f64 reference, on shapes that hit every edge:
//! stride, dilation, groups, asymmetric padding, non-square maps, pixel tails and channel counts
//! that do not fill a register tile.

use super::alloc;
use super::conv::{backward_input_with, backward_weight_with, forward_with, prefer_winograd, Algo, Pass};
use super::conv_winograd::Tile;
use crate::backend::Conv2dParams;

#[allow(clippy::too_many_arguments)]
fn params(
    n: usize,
    c_in: usize,
    (h, w): (usize, usize),
    c_out: usize,
    (kh, kw): (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
    dilation: (usize, usize),
    groups: usize,
) -> Conv2dParams {
    let out_h = (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1;
    let out_w = (w + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1;
    Conv2dParams { n, c_in, h, w, c_out, kh, kw, stride, padding, dilation, groups, out_h, out_w }
}

fn data(len: usize, seed: usize) -> Vec<f32> {
    (0..len).map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.0) - 1.0).collect()
}

/// Calls `f(x_index, w_index, y_index)` for every multiply-add of the convolution.
fn each_term(p: &Conv2dParams, mut f: impl FnMut(usize, usize, usize)) {
    let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
    for n in 0..p.n {
        for co in 0..p.c_out {
            let g = co / cog;
            for oy in 0..p.out_h {
                for ox in 0..p.out_w {
                    let yi = ((n * p.c_out + co) * p.out_h + oy) * p.out_w + ox;
                    for ci in 0..cig {
                        for ki in 0..p.kh {
                            for kj in 0..p.kw {
                                let iy = (oy * p.stride.0 + ki * p.dilation.0) as isize - p.padding.0 as isize;
                                let ix = (ox * p.stride.1 + kj * p.dilation.1) as isize - p.padding.1 as isize;
                                if iy < 0 || ix < 0 || iy >= p.h as isize || ix >= p.w as isize {
                                    continue;
                                }
                                let xi = ((n * p.c_in + g * cig + ci) * p.h + iy as usize) * p.w + ix as usize;
                                let wi = ((co * cig + ci) * p.kh + ki) * p.kw + kj;
                                f(xi, wi, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Asserts `got` matches `want` (f64 sums) to within f32 rounding of the summed magnitudes
/// (`rel` of them).
fn check_to(what: &str, got: &[f32], want: &[f64], mag: &[f64], rel: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, ((&g, &w), &m)) in got.iter().zip(want).zip(mag).enumerate() {
        assert!((g as f64 - w).abs() <= rel * m + 1e-6, "{what}[{i}]: got {g}, want {w}");
    }
}

fn check(what: &str, got: &[f32], want: &[f64], mag: &[f64]) {
    check_to(what, got, want, mag, 1e-5);
}

/// Leaves NaN-filled buffers of the output sizes in the pool, so a kernel that skips an
/// element of a recycled output buffer shows up as NaN.
fn poison(p: &Conv2dParams) {
    for len in [p.n * p.c_out * p.out_h * p.out_w, p.n * p.c_in * p.h * p.w, p.c_out * p.c_in / p.groups * p.kh * p.kw]
    {
        alloc::recycle(vec![f32::NAN; len]);
    }
}

fn check_all(p: &Conv2dParams) {
    let x = data(p.n * p.c_in * p.h * p.w, 1);
    let w = data(p.c_out * p.c_in / p.groups * p.kh * p.kw, 2);
    let b = data(p.c_out, 3);
    let dy = data(p.n * p.c_out * p.out_h * p.out_w, 4);
    let (mut y, mut ym) = (vec![0.0f64; dy.len()], vec![0.0f64; dy.len()]);
    let (mut dx, mut dxm) = (vec![0.0f64; x.len()], vec![0.0f64; x.len()]);
    let (mut dw, mut dwm) = (vec![0.0f64; w.len()], vec![0.0f64; w.len()]);
    each_term(p, |xi, wi, yi| {
        let (xv, wv, dv) = (x[xi] as f64, w[wi] as f64, dy[yi] as f64);
        y[yi] += xv * wv;
        ym[yi] += (xv * wv).abs();
        dx[xi] += dv * wv;
        dxm[xi] += (dv * wv).abs();
        dw[wi] += dv * xv;
        dwm[wi] += (dv * xv).abs();
    });
    let hw = p.out_h * p.out_w;
    for (i, v) in y.iter_mut().enumerate() {
        *v += b[i / hw % p.c_out] as f64;
    }
    for algo in [Algo::Im2col, Algo::Direct, Algo::Winograd, Algo::Winograd4, Algo::Auto] {
        let what = |pass: &str| format!("{pass} {algo:?} {p:?}");
        poison(p);
        check(&what("forward"), &forward_with(algo, &x, &w, Some(&b), p), &y, &ym);
        poison(p);
        check(&what("backward_input"), &backward_input_with(algo, &dy, &w, p), &dx, &dxm);
        poison(p);
        // F(4×4)'s weight gradient over a single tile or two: its adjoint transforms' rounding
        // (1.5e-5 of the summed magnitudes at 64 → 32 channels on one 4×4 map) is not yet
        // averaged over many tiles, as in `winograd_weight_gradient_error`
        let rel = if algo == Algo::Winograd4 { 4e-5 } else { 1e-5 };
        check_to(&what("backward_weight"), &backward_weight_with(algo, &x, &dy, p), &dw, &dwm, rel);
    }
}

#[test]
fn lenet_layers() {
    check_all(&params(3, 1, (28, 28), 6, (5, 5), (1, 1), (2, 2), (1, 1), 1));
    check_all(&params(3, 6, (14, 14), 16, (5, 5), (1, 1), (0, 0), (1, 1), 1));
}

#[test]
fn batches_spanning_several_reduction_tasks() {
    // 37 images: three weight-gradient tasks of 16, the last partial.
    check_all(&params(37, 2, (5, 6), 3, (3, 3), (1, 1), (1, 1), (1, 1), 1));
    // Planes too large to sweep many images at once.
    check_all(&params(5, 2, (40, 40), 20, (3, 3), (1, 1), (1, 1), (1, 1), 1));
}

/// Winograd's shapes: odd maps (partial tiles), padding 0 to 2, groups, and wide layers that
/// the shape rule sends to it.
#[test]
fn winograd_layers() {
    for pad in 0..=2 {
        check_all(&params(2, 3, (7, 6), 5, (3, 3), (1, 1), (pad, 2 - pad), (1, 1), 1));
    }
    check_all(&params(2, 4, (5, 5), 6, (3, 3), (1, 1), (1, 1), (1, 1), 2));
    check_all(&params(2, 32, (9, 8), 40, (3, 3), (1, 1), (1, 1), (1, 1), 1));
    check_all(&params(1, 64, (4, 4), 32, (3, 3), (1, 1), (1, 1), (1, 1), 1));
    // rows of four tiles inside the map (the vector transforms) beside edge tiles
    check_all(&params(2, 3, (10, 20), 5, (3, 3), (1, 1), (0, 0), (1, 1), 1));
    check_all(&params(1, 4, (12, 25), 3, (3, 3), (1, 1), (1, 1), (1, 1), 1));
}

#[test]
fn resnet_like_layers() {
    check_all(&params(2, 16, (6, 6), 8, (3, 3), (1, 1), (1, 1), (1, 1), 1));
    check_all(&params(2, 8, (7, 7), 12, (3, 3), (2, 2), (1, 1), (1, 1), 1));
    check_all(&params(2, 5, (3, 3), 7, (3, 3), (1, 1), (1, 1), (1, 1), 1));
    check_all(&params(2, 6, (5, 6), 10, (1, 1), (1, 1), (0, 0), (1, 1), 1));
}

#[test]
fn odd_configurations() {
    // stride 2 × 1, dilation 2 × 1, groups 2, asymmetric padding, non-square
    check_all(&params(2, 4, (9, 7), 6, (3, 2), (2, 1), (1, 0), (2, 1), 2));
    // dilation 2 at stride 1 (direct path), pixel tails of every length
    check_all(&params(1, 3, (5, 11), 5, (3, 3), (1, 1), (1, 2), (2, 2), 1));
    check_all(&params(2, 4, (6, 7), 6, (3, 3), (1, 1), (1, 1), (1, 1), 2));
    // padding wider than the kernel: the input gradient falls back to im2col
    check_all(&params(1, 2, (4, 5), 3, (2, 2), (1, 1), (2, 2), (1, 1), 1));
    // every specialised weight-gradient width, and one without a specialisation
    for kw in 1..=8 {
        check_all(&params(2, 2, (6, 13), 9, (2, kw), (1, 1), (1, kw / 2), (1, 1), 1));
    }
    // 1×1 maps, a 1×7 filter on a short row, an empty batch
    check_all(&params(2, 3, (1, 1), 4, (3, 3), (1, 1), (1, 1), (1, 1), 1));
    check_all(&params(2, 3, (1, 1), 4, (1, 1), (1, 1), (0, 0), (1, 1), 1));
    check_all(&params(1, 2, (3, 9), 3, (1, 7), (1, 1), (0, 3), (1, 1), 1));
    check_all(&params(0, 2, (5, 5), 3, (3, 3), (1, 1), (1, 1), (1, 1), 1));
    // channel counts that leave partial register tiles (6, 12 and 4-wide tiles)
    for c_out in [1, 5, 7, 12, 13] {
        check_all(&params(1, 3, (8, 9), c_out, (3, 3), (1, 1), (1, 1), (1, 1), 1));
    }
}

/// Each output element is computed by one fixed sequence of operations, whatever else is in
/// the batch: an image convolved alone gives the same bits as inside a batch (what lets the
/// per-image tasks run on any number of threads without changing results).
#[test]
fn outputs_do_not_depend_on_the_rest_of_the_batch() {
    for p in [
        params(5, 6, (14, 14), 16, (5, 5), (1, 1), (0, 0), (1, 1), 1),
        params(5, 8, (7, 7), 12, (3, 3), (2, 2), (1, 1), (1, 1), 1),
        params(5, 8, (7, 9), 12, (3, 3), (1, 1), (1, 1), (1, 1), 1),
        params(3, 40, (6, 6), 36, (3, 3), (1, 1), (1, 1), (1, 1), 1),
        params(3, 33, (10, 22), 32, (3, 3), (1, 1), (1, 1), (1, 1), 1),
    ] {
        let x = data(p.n * p.c_in * p.h * p.w, 1);
        let w = data(p.c_out * p.c_in / p.groups * p.kh * p.kw, 2);
        let dy = data(p.n * p.c_out * p.out_h * p.out_w, 4);
        let one = Conv2dParams { n: 1, ..p };
        let (img, out) = (p.c_in * p.h * p.w, p.c_out * p.out_h * p.out_w);
        for algo in [Algo::Im2col, Algo::Direct, Algo::Winograd, Algo::Winograd4] {
            let y = forward_with(algo, &x, &w, None, &p);
            let dx = backward_input_with(algo, &dy, &w, &p);
            for i in 0..p.n {
                let yi = forward_with(algo, &x[i * img..][..img], &w, None, &one);
                assert!(y[i * out..][..out].iter().zip(&yi).all(|(a, b)| a.to_bits() == b.to_bits()), "{algo:?}");
                let dxi = backward_input_with(algo, &dy[i * out..][..out], &w, &one);
                assert!(dx[i * img..][..img].iter().zip(&dxi).all(|(a, b)| a.to_bits() == b.to_bits()), "{algo:?}");
            }
        }
    }
}

/// Winograd's three passes give the same bits on one thread and on several (the transforms
/// split by channel, the GEMMs by tile; the weight gradient sums the tile chunks in order).
#[test]
fn winograd_is_bitwise_identical_across_thread_counts() {
    use super::parallel::with_threads;
    let p = params(3, 40, (13, 22), 36, (3, 3), (1, 1), (1, 1), (1, 1), 1);
    let x = data(p.n * p.c_in * p.h * p.w, 1);
    let w = data(p.c_out * p.c_in * 9, 2);
    let dy = data(p.n * p.c_out * p.out_h * p.out_w, 4);
    let run = || {
        (
            forward_with(Algo::Winograd, &x, &w, None, &p),
            backward_input_with(Algo::Winograd, &dy, &w, &p),
            backward_weight_with(Algo::Winograd, &x, &dy, &p),
            forward_with(Algo::Winograd4, &x, &w, None, &p),
            backward_input_with(Algo::Winograd4, &dy, &w, &p),
            backward_weight_with(Algo::Winograd4, &x, &dy, &p),
        )
    };
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let one = with_threads(1, run);
    for n in [2, 3, 4] {
        let many = with_threads(n, run);
        assert_eq!(bits(&one.0), bits(&many.0), "forward on {n} threads");
        assert_eq!(bits(&one.1), bits(&many.1), "backward_input on {n} threads");
        assert_eq!(bits(&one.2), bits(&many.2), "backward_weight on {n} threads");
        assert_eq!(bits(&one.3), bits(&many.3), "F(4x4) forward on {n} threads");
        assert_eq!(bits(&one.4), bits(&many.4), "F(4x4) backward_input on {n} threads");
        assert_eq!(bits(&one.5), bits(&many.5), "F(4x4) backward_weight on {n} threads");
    }
}

/// The rounding error of each algorithm on a wide VGG-like layer (128 → 128 channels, 20²),
/// against f64 sums, relative to the summed magnitudes: F(4×4)'s larger transform coefficients
/// cost precision, but it stays within the bound `check` applies (1e-5), as F(2×2) and im2col do.
#[test]
fn winograd_error_on_a_wide_layer() {
    let p = params(2, 128, (20, 20), 128, (3, 3), (1, 1), (1, 1), (1, 1), 1);
    let x = data(p.n * p.c_in * p.h * p.w, 1);
    let w = data(p.c_out * p.c_in * 9, 2);
    let (mut y, mut ym) =
        (vec![0.0f64; p.n * p.c_out * p.out_h * p.out_w], vec![0.0f64; p.n * p.c_out * p.out_h * p.out_w]);
    each_term(&p, |xi, wi, yi| {
        y[yi] += x[xi] as f64 * w[wi] as f64;
        ym[yi] += (x[xi] as f64 * w[wi] as f64).abs();
    });
    let worst = |algo: Algo| {
        let got = forward_with(algo, &x, &w, None, &p);
        got.iter().zip(&y).zip(&ym).map(|((&g, &w), &m)| (g as f64 - w).abs() / m).fold(0.0f64, f64::max)
    };
    let (im2col, f2, f4) = (worst(Algo::Im2col), worst(Algo::Winograd), worst(Algo::Winograd4));
    println!("worst |error| / Σ|terms|: im2col {im2col:.2e}, F(2x2) {f2:.2e}, F(4x4) {f4:.2e}");
    assert!(im2col < 1e-6 && f2 < 1e-6 && f4 < 5e-6, "im2col {im2col:e}, F(2x2) {f2:e}, F(4x4) {f4:e}");
}

/// The same for the weight gradient, whose sums run over every tile of the batch (32 → 64
/// channels at 24², batch 4: 144 tiles of 4×4 per image): F(4×4)'s adjoint transforms (A's
/// entries up to 8 on dY, Bᵀ's up to 5 on the input, Gᵀ's down to 1/24) cost more than its
/// forward pass does.
#[test]
fn winograd_weight_gradient_error() {
    let p = params(4, 32, (24, 24), 64, (3, 3), (1, 1), (1, 1), (1, 1), 1);
    let x = data(p.n * p.c_in * p.h * p.w, 1);
    let dy = data(p.n * p.c_out * p.out_h * p.out_w, 4);
    let (mut dw, mut dwm) = (vec![0.0f64; p.c_out * p.c_in * 9], vec![0.0f64; p.c_out * p.c_in * 9]);
    each_term(&p, |xi, wi, yi| {
        dw[wi] += dy[yi] as f64 * x[xi] as f64;
        dwm[wi] += (dy[yi] as f64 * x[xi] as f64).abs();
    });
    let worst = |algo: Algo| {
        let got = backward_weight_with(algo, &x, &dy, &p);
        got.iter().zip(&dw).zip(&dwm).map(|((&g, &w), &m)| (g as f64 - w).abs() / m).fold(0.0f64, f64::max)
    };
    let (direct, f2, f4) = (worst(Algo::Direct), worst(Algo::Winograd), worst(Algo::Winograd4));
    println!("weight gradient, worst |error| / Σ|terms|: direct {direct:.2e}, F(2x2) {f2:.2e}, F(4x4) {f4:.2e}");
    assert!(direct < 1e-6 && f2 < 2e-6 && f4 < 3e-6, "direct {direct:e}, F(2x2) {f2:e}, F(4x4) {f4:e}");
}

/// The measured rule (conv.rs, `prefer_winograd`) on the book's layers: F(4×4) where 4×4 tiles
/// fit the map, F(2×2) on wide layers with small maps, neither on narrow ones or other filters.
#[test]
fn winograd_tile_rule_on_the_books_layers() {
    let c3 = |cin, hw, cout| params(32, cin, (hw, hw), cout, (3, 3), (1, 1), (1, 1), (1, 1), 1);
    let fwd = |p: &Conv2dParams| prefer_winograd(Pass::Forward, p);
    // VGG at 224²: every conv after the first
    for (cin, hw, cout) in [(16, 112, 32), (32, 56, 64), (64, 56, 64), (64, 28, 128), (128, 28, 128), (128, 14, 128)] {
        assert_eq!(fwd(&c3(cin, hw, cout)), Some(Tile::F4), "VGG {cin}→{cout} at {hw}²");
    }
    assert_eq!(fwd(&c3(1, 224, 16)), None, "VGG's first conv, one input channel");
    // ResNet-18 at 96²
    assert_eq!(fwd(&c3(64, 24, 64)), Some(Tile::F4));
    assert_eq!(fwd(&c3(128, 12, 128)), Some(Tile::F4));
    assert_eq!(fwd(&c3(256, 6, 256)), Some(Tile::F2), "6² maps: 4×4 tiles waste 78%");
    assert_eq!(fwd(&c3(512, 3, 512)), Some(Tile::F2));
    assert_eq!(fwd(&c3(32, 6, 32)), None, "narrow and small");
    // the input gradient goes by the map it writes
    let valid = params(32, 64, (26, 26), 64, (3, 3), (1, 1), (0, 0), (1, 1), 1);
    assert_eq!(prefer_winograd(Pass::BackwardInput, &valid), Some(Tile::F4), "26² input: 28² of tiles, 16% waste");
    // the weight gradient: by the output map, from 32 input channels, F(2×2) only where it fits
    let wgrad = |p: &Conv2dParams| prefer_winograd(Pass::BackwardWeight, p);
    assert_eq!(wgrad(&c3(64, 56, 64)), Some(Tile::F4));
    assert_eq!(wgrad(&c3(32, 56, 64)), Some(Tile::F4));
    assert_eq!(wgrad(&c3(16, 112, 32)), None, "16 input channels");
    assert_eq!(wgrad(&c3(128, 12, 128)), Some(Tile::F4));
    assert_eq!(wgrad(&c3(256, 6, 256)), Some(Tile::F2));
    assert_eq!(wgrad(&c3(512, 3, 512)), None, "3² maps: 2×2 tiles waste 78%");
    // not 3×3 stride 1
    assert_eq!(fwd(&params(128, 6, (14, 14), 16, (5, 5), (1, 1), (0, 0), (1, 1), 1)), None);
    assert_eq!(fwd(&params(32, 64, (24, 24), 128, (3, 3), (2, 2), (1, 1), (1, 1), 1)), None);
}
