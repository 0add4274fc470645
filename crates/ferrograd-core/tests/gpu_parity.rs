//! Every primitive on the GPU (wgpu over Vulkan: lavapipe, or SwiftShader with
//! `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`) against the CPU backend. Each
//! case is one body run on both devices; forward values and gradients must agree to
//! rtol 1e-4 (plus an atol of 1e-5 times the largest reference magnitude, for values that
//! cancel to near zero).
#![cfg(feature = "gpu")]

use ferrograd_core::backend::wgpu::GpuDevice;
use ferrograd_core::backend::{Activation, BinaryOp, UnaryOp};
use ferrograd_core::{Device, Result, Tensor};
use std::sync::{Mutex, OnceLock};

fn gpu() -> Device {
    static DEV: OnceLock<std::result::Result<GpuDevice, String>> = OnceLock::new();
    match DEV.get_or_init(|| GpuDevice::new_blocking().map_err(|e| e.to_string())) {
        Ok(d) => Device::Gpu(d.clone()),
        Err(e) => panic!("no GPU adapter for the parity tests ({e}); install mesa-vulkan-drivers (lavapipe) or set VK_ICD_FILENAMES to SwiftShader's ICD"),
    }
}

/// The global RNG is shared by the tests of this binary, which run in parallel.
static RNG_LOCK: Mutex<()> = Mutex::new(());

/// Deterministic test data in [lo, hi) (an LCG: independent of the crate's generator).
fn data(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

fn t(shape: &[usize], seed: u64, lo: f32, hi: f32, dev: &Device) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(data(n, seed, lo, hi), shape, dev).unwrap()
}

fn leaf(shape: &[usize], seed: u64, lo: f32, hi: f32, dev: &Device) -> Tensor {
    let x = t(shape, seed, lo, hi, dev);
    x.set_requires_grad(true).unwrap();
    x
}

/// Backpropagates a weighted sum of `y` (weights make every gradient element distinct).
fn backward_weighted(y: &Tensor) -> Result<()> {
    let w = Tensor::from_vec(data(y.numel(), 99, -1.0, 1.0), y.shape(), &y.device())?;
    y.mul(&w)?.sum_all()?.backward()
}

type Outputs = Vec<(String, Tensor)>;

fn read(t: &Tensor) -> Vec<f32> {
    t.to_vec().unwrap_or_else(|e| panic!("reading a result: {e}"))
}

/// Runs `body` on the CPU and on the GPU and compares every named output.
fn parity(name: &str, body: impl Fn(&Device) -> Result<Outputs>) {
    let cpu = body(&Device::Cpu).unwrap_or_else(|e| panic!("{name} on cpu: {e}"));
    let g = gpu();
    let gpu_out = body(&g).unwrap_or_else(|e| panic!("{name} on gpu: {e}"));
    assert_eq!(cpu.len(), gpu_out.len());
    for ((what, c), (_, gt)) in cpu.iter().zip(&gpu_out) {
        assert_eq!(gt.device(), g, "{name}/{what} did not stay on the GPU");
        assert_eq!(c.shape(), gt.shape(), "{name}/{what}: shapes differ");
        let (a, b) = (read(gt), read(c));
        let scale = b.iter().fold(0f32, |m, v| if v.is_finite() { m.max(v.abs()) } else { m });
        let mut bad = 0;
        let mut worst = (0usize, 0f32);
        for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
            let ok = if y.is_nan() {
                x.is_nan()
            } else if y.is_infinite() {
                x == y
            } else {
                (x - y).abs() <= 1e-4 * y.abs() + 1e-5 * scale.max(1e-3)
            };
            if !ok {
                bad += 1;
                let err = (x - y).abs();
                if err >= worst.1 || err.is_nan() {
                    worst = (i, err);
                }
            }
        }
        assert!(
            bad == 0,
            "{name}/{what} (shape {:?}): {bad} of {} elements differ; worst at {}: gpu {} vs cpu {}",
            c.shape(),
            b.len(),
            worst.0,
            a[worst.0],
            b[worst.0]
        );
    }
}

fn grad(x: &Tensor) -> Result<Tensor> {
    x.grad().ok_or_else(|| ferrograd_core::Error::new("test", "no gradient"))
}

#[test]
fn unary_ops_forward_and_backward() {
    // every row of the op table (parameters 0.1, 0.25), and more exponents
    let mut ops: Vec<UnaryOp> =
        (0..UnaryOp::VARIANTS.len() as u32).filter_map(|c| UnaryOp::from_code(c, [0.1, 0.25])).collect();
    ops.extend([UnaryOp::PowScalar(3.0), UnaryOp::PowScalar(-0.5), UnaryOp::PowScalar(2.0), UnaryOp::EqScalar(0.5)]);
    assert!(ops.len() > UnaryOp::VARIANTS.len());
    for op in ops {
        let positive = matches!(op, UnaryOp::Log | UnaryOp::Sqrt | UnaryOp::PowScalar(-0.5) | UnaryOp::Recip);
        parity(&format!("{op:?}"), |d| {
            let (lo, hi) = if positive { (0.1, 3.0) } else { (-3.0, 3.0) };
            let mut v = data(35, 3, lo, hi);
            v[7] = 0.5;
            let x = Tensor::from_vec(v, &[5, 7], d)?;
            x.set_requires_grad(true)?;
            // a transposed (strided) view, so the kernels see a non-contiguous layout
            let y = x.t()?.unary(op)?;
            if y.requires_grad() {
                backward_weighted(&y)?;
                return Ok(vec![("y".into(), y), ("dx".into(), grad(&x)?)]);
            }
            Ok(vec![("y".into(), y)])
        });
    }
}

#[test]
fn binary_ops_broadcast_forward_and_backward() {
    let ops = (0..BinaryOp::VARIANTS.len() as u32).filter_map(|c| BinaryOp::from_code(c, [0.0; 2]));
    for op in ops {
        parity(&format!("{op:?}"), |d| {
            let a = leaf(&[2, 3, 4], 1, 0.5, 2.0, d);
            let b = leaf(&[3, 1], 2, 0.5, 2.0, d);
            let y = a.binary(&b, op)?;
            if !y.requires_grad() {
                return Ok(vec![("y".into(), y)]);
            }
            backward_weighted(&y)?;
            Ok(vec![("y".into(), y), ("da".into(), grad(&a)?), ("db".into(), grad(&b)?)])
        });
    }
    // a permuted operand against a broadcast one
    parity("strided add", |d| {
        let a = leaf(&[4, 6, 5], 3, -1.0, 1.0, d);
        let b = leaf(&[6], 4, -1.0, 1.0, d);
        let y = a.permute(&[2, 0, 1])?.add(&b)?.mul(&a.permute(&[2, 0, 1])?)?;
        backward_weighted(&y)?;
        Ok(vec![("y".into(), y), ("da".into(), grad(&a)?), ("db".into(), grad(&b)?)])
    });
}

#[test]
fn reductions() {
    for (dims, keep) in [(vec![], false), (vec![0], true), (vec![1], false), (vec![0, 2], true), (vec![-1], false)] {
        parity(&format!("sum/max/min/mean {dims:?}"), |d| {
            let x = leaf(&[3, 5, 4], 5, -2.0, 2.0, d);
            let xt = x.permute(&[1, 0, 2])?;
            let s = xt.sum(&dims, keep)?;
            let m = xt.max(&dims, keep)?;
            let n = xt.min(&dims, keep)?;
            let e = xt.mean(&dims, keep)?;
            let total = s.sum_all()?.add(&m.sum_all()?.mul_scalar(2.0)?)?.add(&n.sum_all()?)?.add(&e.sum_all()?)?;
            total.backward()?;
            Ok(vec![
                ("sum".into(), s),
                ("max".into(), m),
                ("min".into(), n),
                ("mean".into(), e),
                ("dx".into(), grad(&x)?),
            ])
        });
    }
    parity("argmax and var", |d| {
        let x = t(&[6, 9], 6, -2.0, 2.0, d);
        Ok(vec![
            ("argmax0".into(), x.argmax(Some(0), false)?),
            ("argmax1".into(), x.argmax(Some(1), true)?),
            ("argmax_all".into(), x.argmax(None, false)?),
            ("var".into(), x.var(&[1], false, true)?),
        ])
    });
    // long reductions: one workgroup per output, and several per output (split) then summed
    parity("long reductions", |d| {
        let x = leaf(&[2, 20000], 7, -1.0, 1.0, d);
        let y = t(&[4, 3, 40, 40], 8, -1.0, 1.0, d);
        let s = x.sum(&[1], false)?;
        let m = x.max(&[1], false)?;
        s.sum_all()?.add(&m.sum_all()?)?.backward()?;
        Ok(vec![
            ("sum".into(), s),
            ("max".into(), m),
            ("nchw".into(), y.sum(&[0, 2, 3], false)?),
            ("dx".into(), grad(&x)?),
        ])
    });
}

#[test]
fn matmul_shapes_and_strides() {
    let cases: Vec<(Vec<usize>, Vec<usize>, bool, bool)> = vec![
        (vec![7, 5], vec![5, 9], false, false),
        (vec![70, 65], vec![65, 130], false, false),
        (vec![5, 7], vec![9, 5], true, true),
        (vec![3, 4, 6], vec![6, 5], false, false),
        (vec![2, 1, 4, 6], vec![3, 6, 2], false, false),
        (vec![8, 4096], vec![4096, 8], false, false),
        (vec![6], vec![6, 4], false, false),
        // 128x128 tiles (ops.rs gemm_tile), ragged edges, K not a multiple of the K step
        (vec![520, 300], vec![300, 530], false, false),
        (vec![300, 520], vec![530, 300], true, true),
        (vec![4, 130, 70], vec![70, 260], false, false),
        // aligned: the vec4-operand kernel (ops.rs vec4_operands), along K and along M/N
        // (the backward's transposed views), batched, and K split over workgroups
        (vec![520, 304], vec![304, 532], false, false),
        (vec![304, 520], vec![532, 304], true, true),
        (vec![4, 132, 68], vec![68, 264], false, false),
        (vec![520, 2048], vec![2048, 532], false, false),
    ];
    for (sa, sb, ta, tb) in cases {
        parity(&format!("matmul {sa:?} {sb:?}"), |d| {
            let a = leaf(&sa, 11, -1.0, 1.0, d);
            let b = leaf(&sb, 12, -1.0, 1.0, d);
            let av = if ta { a.t()? } else { a.clone() };
            let bv = if tb { b.t()? } else { b.clone() };
            let y = av.matmul(&bv)?;
            backward_weighted(&y)?;
            Ok(vec![("y".into(), y), ("da".into(), grad(&a)?), ("db".into(), grad(&b)?)])
        });
    }
}

#[test]
fn conv2d_forward_and_backward() {
    // (input, weight, stride, padding, dilation, groups, bias)
    let cases = [
        ([2, 1, 28, 28], [6, 1, 5, 5], (1, 1), (2, 2), (1, 1), 1, true),
        ([2, 6, 14, 14], [16, 6, 5, 5], (1, 1), (0, 0), (1, 1), 1, true),
        ([1, 4, 9, 11], [6, 2, 3, 3], (2, 1), (1, 2), (1, 1), 2, false),
        ([2, 3, 10, 10], [5, 3, 3, 3], (1, 1), (2, 2), (2, 2), 1, true),
        ([2, 8, 7, 7], [8, 8, 1, 1], (1, 1), (0, 0), (1, 1), 1, false),
        ([3, 3, 11, 11], [4, 3, 3, 3], (3, 3), (1, 1), (1, 1), 1, true),
        ([4, 2, 32, 32], [3, 2, 3, 3], (1, 1), (1, 1), (1, 1), 1, true),
        // 32+ channels per group take the implicit-GEMM kernels instead of the direct ones
        ([2, 32, 6, 6], [40, 32, 3, 3], (1, 1), (1, 1), (1, 1), 1, true),
        ([1, 64, 7, 5], [64, 32, 3, 3], (2, 2), (1, 0), (1, 1), 2, false),
        ([2, 32, 32, 32], [32, 32, 3, 3], (1, 1), (1, 1), (1, 1), 1, false),
        // 128x128 tiles: forward (160 x 576 per image), input gradient (160 x 256 x 4 images),
        // weight gradient (256 x 1152)
        ([2, 64, 24, 24], [160, 64, 3, 3], (1, 1), (1, 1), (1, 1), 1, true),
        ([4, 160, 16, 16], [64, 160, 3, 3], (1, 1), (1, 1), (1, 1), 1, false),
        ([1, 128, 16, 16], [256, 128, 3, 3], (1, 1), (1, 1), (1, 1), 1, true),
    ];
    for (xs, ws, s, p, dil, g, bias) in cases {
        parity(&format!("conv2d {xs:?} {ws:?} s{s:?} p{p:?} d{dil:?} g{g}"), |d| {
            let x = leaf(&xs, 21, -1.0, 1.0, d);
            let w = leaf(&ws, 22, -0.5, 0.5, d);
            let b = bias.then(|| leaf(&[ws[0]], 23, -0.5, 0.5, d));
            let y = x.conv2d(&w, b.as_ref(), s, p, dil, g)?;
            backward_weighted(&y)?;
            let mut out = vec![("y".into(), y), ("dx".into(), grad(&x)?), ("dw".into(), grad(&w)?)];
            if let Some(b) = &b {
                out.push(("db".into(), grad(b)?));
            }
            Ok(out)
        });
    }
}

#[test]
fn pooling_and_resize() {
    for (k, s, p) in [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 2), (1, 0))] {
        parity(&format!("pool k{k:?} s{s:?} p{p:?}"), |d| {
            let x = leaf(&[2, 3, 9, 8], 31, -1.0, 1.0, d);
            let m = x.max_pool2d(k, s, p)?;
            let a = x.avg_pool2d(k, s, p)?;
            backward_weighted(&m.add(&a.mul_scalar(0.5)?)?)?;
            Ok(vec![("max".into(), m), ("avg".into(), a), ("dx".into(), grad(&x)?)])
        });
    }
    for out in [(1, 1), (3, 3), (5, 2), (10, 9)] {
        parity(&format!("adaptive {out:?}"), |d| {
            let x = leaf(&[2, 3, 7, 6], 32, -1.0, 1.0, d);
            let y = x.adaptive_avg_pool2d(out)?;
            backward_weighted(&y)?;
            Ok(vec![("y".into(), y), ("dx".into(), grad(&x)?)])
        });
    }
    for out in [(14, 14), (3, 5), (7, 13), (1, 1)] {
        parity(&format!("resize {out:?}"), |d| {
            let x = leaf(&[2, 2, 7, 6], 33, -1.0, 1.0, d);
            let y = x.resize_bilinear(out)?;
            backward_weighted(&y)?;
            Ok(vec![("y".into(), y), ("dx".into(), grad(&x)?)])
        });
    }
}

#[test]
fn softmax_cross_entropy_and_losses() {
    parity("softmax family", |d| {
        let x = leaf(&[6, 10], 41, -3.0, 3.0, d);
        let labels = Tensor::from_vec(vec![0., 9., 3., 3., 7., 1.], &[6], d)?;
        let sm = x.softmax(-1)?;
        let lsm = x.log_softmax(0)?;
        let ce = x.cross_entropy(&labels)?;
        let target = t(&[6, 10], 42, 0.0, 1.0, d);
        let mse = x.mse_loss(&target)?;
        let total = ce.add(&mse)?.add(&sm.mul(&target)?.sum_all()?)?.add(&lsm.mul(&target)?.sum_all()?)?;
        total.backward()?;
        Ok(vec![
            ("softmax".into(), sm),
            ("log_softmax".into(), lsm),
            ("ce".into(), ce),
            ("mse".into(), mse),
            ("dx".into(), grad(&x)?),
        ])
    });
}

#[test]
fn batch_norm_and_dropout() {
    parity("batch_norm train and eval", |d| {
        let x = leaf(&[4, 3, 5, 5], 51, -2.0, 2.0, d);
        let w = leaf(&[3], 52, 0.5, 1.5, d);
        let b = leaf(&[3], 53, -0.5, 0.5, d);
        let rm = Tensor::zeros(&[3], d)?;
        let rv = Tensor::ones(&[3], d)?;
        let state = ferrograd_core::BatchNormState { running_mean: &rm, running_var: &rv, momentum: 0.1 };
        let y = x.batch_norm(Some(&w), Some(&b), Some(state), true, 1e-5)?;
        backward_weighted(&y)?;
        let state = ferrograd_core::BatchNormState { running_mean: &rm, running_var: &rv, momentum: 0.1 };
        let ye = x.detach().batch_norm(Some(&w), Some(&b), Some(state), false, 1e-5)?;
        Ok(vec![
            ("y".into(), y),
            ("dx".into(), grad(&x)?),
            ("dw".into(), grad(&w)?),
            ("db".into(), grad(&b)?),
            ("running_mean".into(), rm),
            ("running_var".into(), rv),
            ("eval".into(), ye),
        ])
    });
    // the GPU's one-pass normalisation (wgpu/norm.rs) with neither, one or both of weight and
    // bias, and with its fused activation
    parity("batch_norm affine options and fused activations", |d| {
        let x = leaf(&[2, 5, 3, 4], 55, -2.0, 2.0, d);
        let w = leaf(&[5], 56, 0.5, 1.5, d);
        let b = leaf(&[5], 57, -0.5, 0.5, d);
        let plain = x.batch_norm(None, None, None, true, 1e-5)?;
        let scaled = x.batch_norm(Some(&w), None, None, true, 1e-3)?;
        let shifted = x.batch_norm(None, Some(&b), None, true, 1e-5)?;
        let relu = x.batch_norm_act(Some(&w), Some(&b), None, true, 1e-5, Activation::Relu)?;
        let sigmoid = x.batch_norm_act(None, Some(&b), None, true, 1e-5, Activation::Sigmoid)?;
        let tanh = x.batch_norm_act(Some(&w), None, None, true, 1e-5, Activation::Tanh)?;
        let total = [&scaled, &shifted, &relu, &sigmoid, &tanh].iter().try_fold(plain.clone(), |acc, t| acc.add(t))?;
        backward_weighted(&total)?;
        Ok(vec![
            ("plain".into(), plain),
            ("scaled".into(), scaled),
            ("shifted".into(), shifted),
            ("relu".into(), relu),
            ("sigmoid".into(), sigmoid),
            ("tanh".into(), tanh),
            ("dx".into(), grad(&x)?),
            ("dw".into(), grad(&w)?),
            ("db".into(), grad(&b)?),
        ])
    });
    let _g = RNG_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    parity("dropout with the same seed", |d| {
        ferrograd_core::rng::manual_seed(7);
        let x = leaf(&[8, 16], 54, -1.0, 1.0, d);
        let y = x.dropout(0.3, true)?;
        let r = Tensor::randn(&[5], 0.0, 1.0, d)?;
        backward_weighted(&y)?;
        Ok(vec![("y".into(), y), ("dx".into(), grad(&x)?), ("randn".into(), r)])
    });
}

#[test]
fn movement_copies_and_in_place_updates() {
    parity("cat pad slice flip", |d| {
        let a = leaf(&[2, 3, 4], 61, -1.0, 1.0, d);
        let b = leaf(&[2, 2, 4], 62, -1.0, 1.0, d);
        let c = Tensor::cat(&[a.clone(), b.clone()], 1)?;
        let p = c.pad(&[(1, 2), (0, 3)])?;
        let s = p.slice(-1, Some(1), None, 2)?.narrow(1, 1, 3)?;
        let f = s.flip_last()?;
        let rows = Tensor::cat(&[b.select(0, 0)?, a.select(0, 0)?.narrow(0, 0, 1)?], 0)?;
        let st = Tensor::stack(&[a.select(0, 1)?, rows], 0)?;
        let y = f.sum(&[1], false)?.add(&st.sum_all()?)?;
        backward_weighted(&y)?;
        Ok(vec![
            ("cat".into(), c),
            ("pad".into(), p),
            ("flip".into(), f),
            ("stack".into(), st),
            ("da".into(), grad(&a)?),
            ("db".into(), grad(&b)?),
        ])
    });
    parity("assign and axpby", |d| {
        let w = t(&[3, 4], 63, -1.0, 1.0, d);
        let g = t(&[3, 4], 64, -1.0, 1.0, d);
        w.axpby_(0.9, &g, -0.1)?;
        let v = Tensor::zeros(&[4, 3], d)?;
        v.t()?.assign(&w)?;
        // assignment from the CPU into any device (init, load_state_dict)
        let from_cpu = t(&[4], 65, -1.0, 1.0, &Device::Cpu);
        let u = Tensor::zeros(&[2, 4], d)?;
        u.select(0, 1)?.assign(&from_cpu)?;
        Ok(vec![("w".into(), w), ("v".into(), v), ("u".into(), u)])
    });
}
