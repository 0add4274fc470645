//! Finite-difference gradient checks of the neural-network ops on random (seeded) shapes and
//! configurations: conv2d (stride, padding, dilation, groups), pooling, adaptive pooling,
//! bilinear resize, batch-norm, activations, softmax, the losses, dropout and 1-D convolution.
//! Tensor-level ops and composite chains are in gradcheck_tensor.rs.

mod common;

use common::fd::{all, gradcheck, t};
use common::TestRng;
use ferrograd_core::{rng, BatchNormState, Device, Tensor};

fn distinct(rng: &mut TestRng, shape: &[usize]) -> Tensor {
    t(rng.distinct(shape.iter().product(), 0.05), shape)
}

#[test]
fn conv2d_random_configurations() {
    let mut rng = TestRng::new(1);
    let mut results = Vec::new();
    for case in 0..24 {
        let groups = [1, 1, 2, 3][rng.int(0, 3)];
        let (cig, cog) = (rng.int(1, 2), rng.int(1, 2));
        let (kh, kw) = (rng.int(1, 4), rng.int(1, 4));
        let stride = (rng.int(1, 3), rng.int(1, 3));
        let dilation = (rng.int(1, 2), rng.int(1, 2));
        let padding = (rng.int(0, kh / 2 + 1), rng.int(0, kw / 2 + 1));
        let eff = (dilation.0 * (kh - 1) + 1, dilation.1 * (kw - 1) + 1);
        let h = eff.0.saturating_sub(2 * padding.0).max(1) + rng.int(0, 4);
        let w = eff.1.saturating_sub(2 * padding.1).max(1) + rng.int(0, 4);
        let n = rng.int(1, 3);
        let bias = rng.int(0, 1) == 1;
        let x = rng.tensor(&[n, cig * groups, h, w]);
        let wt = rng.tensor(&[cog * groups, cig, kh, kw]);
        let mut inputs = vec![x, wt];
        if bias {
            inputs.push(rng.tensor(&[cog * groups]));
        }
        let name = format!(
            "conv2d #{case}: x [{n}, {}, {h}, {w}], weight [{}, {cig}, {kh}, {kw}], bias {bias}, stride {stride:?}, \
             padding {padding:?}, dilation {dilation:?}, groups {groups}",
            cig * groups,
            cog * groups
        );
        results.push(gradcheck(&name, &inputs, |v| v[0].conv2d(&v[1], v.get(2), stride, padding, dilation, groups)));
    }
    all(results);
}

#[test]
fn conv2d_of_non_contiguous_views() {
    let mut rng = TestRng::new(2);
    let x = rng.tensor(&[2, 5, 3, 4]); // permuted to [2, 3, 5, 4] inside
    let w = rng.tensor(&[2, 3, 3, 2]);
    all(vec![
        gradcheck("conv2d of a permuted input and a transposed weight", &[x, w], |v| {
            let x = v[0].permute(&[0, 2, 1, 3])?;
            let w = v[1].transpose(2, 3)?.contiguous()?.transpose(2, 3)?;
            x.conv2d(&w, None, (1, 2), (1, 0), (1, 1), 1)
        }),
        gradcheck("conv2d of a strided slice", &[rng.tensor(&[1, 2, 9, 6]), rng.tensor(&[1, 2, 2, 2])], |v| {
            v[0].slice(2, Some(1), None, 2)?.conv2d(&v[1], None, (1, 1), (0, 0), (1, 1), 1)
        }),
    ]);
}

#[test]
fn pooling_random_configurations() {
    let mut rng = TestRng::new(3);
    let mut results = Vec::new();
    for case in 0..16 {
        let (kh, kw) = (rng.int(1, 4), rng.int(1, 4));
        let stride = (rng.int(1, 4), rng.int(1, 4));
        let padding = (rng.int(0, kh / 2), rng.int(0, kw / 2));
        let h = (kh - 2 * padding.0).max(1) + rng.int(0, 5);
        let w = (kw - 2 * padding.1).max(1) + rng.int(0, 5);
        let shape = [rng.int(1, 2), rng.int(1, 3), h, w];
        let (k, s, p) = ((kh, kw), stride, padding);
        let x = distinct(&mut rng, &shape);
        let cfg = format!("x {shape:?}, kernel {k:?}, stride {s:?}, padding {p:?}");
        results.push(gradcheck(&format!("max_pool2d #{case}: {cfg}"), [x.clone()], |v| v[0].max_pool2d(k, s, p)));
        results.push(gradcheck(&format!("avg_pool2d #{case}: {cfg}"), &[x], |v| v[0].avg_pool2d(k, s, p)));
    }
    for case in 0..12 {
        let shape = [rng.int(1, 2), rng.int(1, 2), rng.int(1, 7), rng.int(1, 7)];
        let out = (rng.int(1, 6), rng.int(1, 6));
        let x = rng.tensor(&shape);
        results.push(gradcheck(&format!("adaptive_avg_pool2d #{case}: x {shape:?} -> {out:?}"), &[x], |v| {
            v[0].adaptive_avg_pool2d(out)
        }));
    }
    all(results);
}

#[test]
fn bilinear_resize_random_sizes() {
    let mut rng = TestRng::new(4);
    let results = (0..14)
        .map(|case| {
            let shape = [rng.int(1, 2), rng.int(1, 2), rng.int(1, 6), rng.int(1, 6)];
            let out = (rng.int(1, 9), rng.int(1, 9));
            let x = rng.tensor(&shape);
            gradcheck(&format!("resize_bilinear #{case}: x {shape:?} -> {out:?}"), &[x], |v| v[0].resize_bilinear(out))
        })
        .collect();
    all(results);
}

/// Fresh running statistics for every evaluation, so the check sees a pure function.
fn bn(x: &Tensor, w: Option<&Tensor>, b: Option<&Tensor>, training: bool) -> ferrograd_core::Result<Tensor> {
    let c = x.shape()[1];
    let rm = t((0..c).map(|i| 0.1 * i as f32).collect(), &[c]);
    let rv = t((0..c).map(|i| 0.5 + 0.25 * i as f32).collect(), &[c]);
    x.batch_norm(w, b, Some(BatchNormState { running_mean: &rm, running_var: &rv, momentum: 0.1 }), training, 1e-5)
}

#[test]
fn batch_norm_training_and_eval() {
    let mut rng = TestRng::new(5);
    let mut results = Vec::new();
    for case in 0..8 {
        let c = rng.int(1, 3);
        let shape =
            if case % 2 == 0 { vec![rng.int(1, 3), c, rng.int(2, 3), rng.int(2, 3)] } else { vec![rng.int(4, 8), c] };
        let (x, w, b) = (rng.tensor(&shape), rng.tensor(&[c]), rng.tensor(&[c]));
        let training = case < 6;
        let name = format!("batch_norm #{case}: x {shape:?}, training {training}");
        results.push(gradcheck(&name, &[x.clone(), w, b], |v| bn(&v[0], Some(&v[1]), Some(&v[2]), training)));
        results.push(gradcheck(&format!("{name}, no affine"), &[x], |v| bn(&v[0], None, None, training)));
    }
    // without running statistics (PyTorch's track_running_stats=False)
    let x = rng.tensor(&[3, 2, 2, 2]);
    results.push(gradcheck("batch_norm without running statistics", &[x], |v| {
        v[0].batch_norm(None, None, None, true, 1e-5)
    }));
    all(results);
}

#[test]
fn activations_softmax_and_losses() {
    let mut rng = TestRng::new(6);
    let mut results = vec![
        gradcheck("relu", &[distinct(&mut rng, &[3, 4, 5])], |v| v[0].relu()),
        gradcheck("sigmoid", &[rng.tensor(&[4, 6]).mul_scalar(3.0).unwrap()], |v| v[0].sigmoid()),
        gradcheck("tanh", &[rng.tensor(&[4, 6]).mul_scalar(2.0).unwrap()], |v| v[0].tanh()),
        gradcheck("tanh near zero", &[rng.tensor(&[12]).mul_scalar(0.02).unwrap()], |v| v[0].tanh()),
    ];
    for case in 0..8 {
        let rank = rng.int(1, 3);
        let shape: Vec<usize> = (0..rank).map(|_| rng.int(1, 5)).collect();
        let dim = rng.int(0, rank - 1) as isize - if case % 2 == 0 { 0 } else { rank as isize };
        let x = rng.tensor(&shape).mul_scalar(2.0).unwrap();
        results
            .push(gradcheck(&format!("softmax #{case}: x {shape:?}, dim {dim}"), [x.clone()], |v| v[0].softmax(dim)));
        results
            .push(gradcheck(&format!("log_softmax #{case}: x {shape:?}, dim {dim}"), &[x], |v| v[0].log_softmax(dim)));
    }
    for case in 0..6 {
        let (n, c) = (rng.int(1, 6), rng.int(2, 6));
        let labels = t((0..n).map(|_| rng.int(0, c - 1) as f32).collect(), &[n]);
        let x = rng.tensor(&[n, c]).mul_scalar(2.0).unwrap();
        results.push(gradcheck(&format!("cross_entropy #{case}: logits [{n}, {c}]"), &[x], |v| {
            v[0].cross_entropy(&labels)
        }));
    }
    let (a, b) = (rng.tensor(&[3, 2, 4]), rng.tensor(&[3, 2, 4]));
    results.push(gradcheck("mse_loss w.r.t. input and target", &[a, b], |v| v[0].mse_loss(&v[1])));
    all(results);
}

#[test]
fn dropout_in_training_with_a_fixed_seed() {
    let mut rng = TestRng::new(7);
    let x = rng.tensor(&[4, 5, 3]);
    all(vec![
        gradcheck("dropout p=0.3 (reseeded)", [x.clone()], |v| {
            rng::manual_seed(11);
            v[0].dropout(0.3, true)
        }),
        gradcheck("dropout in eval mode", &[x], |v| v[0].dropout(0.5, false)?.mul_scalar(1.5)),
    ]);
}

#[test]
fn dropout_is_seedable_and_scales_the_survivors() {
    let x = Tensor::ones(&[4000], &Device::Cpu).unwrap();
    rng::manual_seed(3);
    let a = x.dropout(0.25, true).unwrap().to_vec().unwrap();
    rng::manual_seed(3);
    let b = x.dropout(0.25, true).unwrap().to_vec().unwrap();
    assert_eq!(a, b, "same seed, same mask");
    let c = x.dropout(0.25, true).unwrap().to_vec().unwrap();
    assert_ne!(a, c, "the stream moves on");
    assert!(a.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6), "survivors are scaled by 1/(1-p)");
    let kept = a.iter().filter(|&&v| v != 0.0).count() as f64 / a.len() as f64;
    assert!((kept - 0.75).abs() < 0.03, "kept fraction {kept}");
    assert_eq!(x.dropout(0.25, false).unwrap().to_vec().unwrap(), vec![1.0; 4000], "eval is the identity");
    assert!(x.dropout(1.0, true).unwrap().to_vec().unwrap().iter().all(|&v| v == 0.0), "p = 1 drops everything");
}

#[test]
fn convolve_same_random_lengths() {
    let mut rng = TestRng::new(8);
    let results = (0..12)
        .map(|case| {
            let (na, nv) = (rng.int(1, 12), rng.int(1, 12));
            let (a, v) = (rng.tensor(&[na]), rng.tensor(&[nv]));
            gradcheck(&format!("convolve_same #{case}: lengths {na} and {nv}"), &[a, v], |x| {
                x[0].convolve1d_same(&x[1])
            })
        })
        .collect();
    all(results);
}

/// Long kernels must not need memory quadratic in their length (the flip used to be a matmul
/// with an n×n exchange matrix); the result is checked against a direct f64 sum.
#[test]
fn convolve_same_with_a_long_kernel() {
    let mut rng = TestRng::new(9);
    let (na, nv) = (6000, 4001);
    let (a, v) = (rng.vec(na), rng.vec(nv));
    let out = t(a.clone(), &[na]).convolve1d_same(&t(v.clone(), &[nv])).unwrap().to_vec().unwrap();
    assert_eq!(out.len(), na);
    let start = (nv - 1) / 2;
    for i in (0..na).step_by(97) {
        let n = i + start;
        let want: f64 = (0..nv).filter(|&j| n >= j && n - j < na).map(|j| a[n - j] as f64 * v[j] as f64).sum();
        assert!((out[i] as f64 - want).abs() < 1e-3 * (1.0 + want.abs()), "output {i}: {} vs {want}", out[i]);
    }
}

/// Large batches are convolved in chunks of images (bounded im2col buffers): the batched forward
/// and both backward passes must equal the per-image ones, whatever the chunk boundaries.
#[test]
fn conv2d_batch_chunks_agree_with_single_images() {
    let mut rng = TestRng::new(10);
    for (n, c_in, hw, c_out, k, stride, groups) in
        [(5, 2, 200, 4, 3, 1, 1), (3, 4, 150, 4, 3, 2, 2), (4, 3, 120, 2, 1, 1, 1)]
    {
        let x = rng.tensor(&[n, c_in, hw, hw]);
        let w = rng.tensor(&[c_out, c_in / groups, k, k]);
        let b = rng.tensor(&[c_out]);
        let conv = |x: &Tensor, w: &Tensor, b: &Tensor| x.conv2d(w, Some(b), (stride, stride), (1, 1), (1, 1), groups);
        let (xl, wl, bl) = (x.detach(), w.detach(), b.detach());
        for l in [&xl, &wl, &bl] {
            l.set_requires_grad(true).unwrap();
        }
        let y = conv(&xl, &wl, &bl).unwrap();
        let u = rng.tensor(y.shape());
        y.mul(&u).unwrap().sum_all().unwrap().backward().unwrap();
        let (y, gx, gw, gb) = (y.to_vec().unwrap(), xl.grad().unwrap(), wl.grad().unwrap(), bl.grad().unwrap());
        let (mut sw, mut sb) = (vec![0.0f64; w.numel()], vec![0.0f64; c_out]);
        let per = y.len() / n;
        let what =
            format!("batch {n}, c_in {c_in}, {hw}x{hw}, c_out {c_out}, kernel {k}, stride {stride}, groups {groups}");
        for i in 0..n {
            let (xi, wi, bi) = (x.narrow(0, i, 1).unwrap().contiguous().unwrap(), w.detach(), b.detach());
            for l in [&xi, &wi, &bi] {
                l.set_requires_grad(true).unwrap();
            }
            let yi = conv(&xi, &wi, &bi).unwrap();
            let ui = u.narrow(0, i, 1).unwrap();
            yi.mul(&ui).unwrap().sum_all().unwrap().backward().unwrap();
            let close = |a: &[f32], b: &[f32], part: &str| {
                let r = common::close(&format!("{what}: image {i} {part}"), a, &[a.len()], b, &[b.len()]);
                r.unwrap_or_else(|e| panic!("{e}"));
            };
            close(&y[i * per..(i + 1) * per], &yi.to_vec().unwrap(), "forward");
            let gxi = gx.narrow(0, i, 1).unwrap().to_vec().unwrap();
            close(&gxi, &xi.grad().unwrap().to_vec().unwrap(), "input gradient");
            for (s, v) in sw.iter_mut().zip(wi.grad().unwrap().to_vec().unwrap()) {
                *s += v as f64;
            }
            for (s, v) in sb.iter_mut().zip(bi.grad().unwrap().to_vec().unwrap()) {
                *s += v as f64;
            }
        }
        let f = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<_>>();
        let (sw, sb) = (f(sw), f(sb));
        // summed over many pixels in a different order: compare at a scale-aware tolerance
        let scale = sw.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        common::close_tol(
            &format!("{what}: weight gradient"),
            &gw.to_vec().unwrap(),
            &[sw.len()],
            &sw,
            &[sw.len()],
            1e-4,
            1e-5 * scale,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let scale = sb.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        common::close_tol(
            &format!("{what}: bias gradient"),
            &gb.to_vec().unwrap(),
            &[sb.len()],
            &sb,
            &[sb.len()],
            1e-4,
            1e-5 * scale,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}
