//! The fused conv + activation and batch-norm + activation ops (`Tensor::conv2d_act`,
//! `Tensor::batch_norm_act`, which `nn.Sequential` and d2l's Residual use for the book's
//! conv/ReLU, conv/sigmoid and BN/ReLU pairs) against the two ops they replace: the same values
//! and gradients bit for bit on the CPU (every conv algorithm the shape picks), on the GPU
//! within a few ulps (the conv epilogue is compiled into the conv kernel), PyTorch's grad_fn
//! name, and one activation map held for backward instead of two.

use ferrograd_core::backend::Activation;
use ferrograd_core::{live_buffers, BatchNormState, Device, Tensor};
use std::sync::Mutex;

/// The tests of this binary run in parallel; the memory test reads process-wide counters.
static LOCK: Mutex<()> = Mutex::new(());

fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|i| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // exact zeros and negative zeros too: relu's mask at 0 must agree
            match i % 17 {
                0 => 0.0,
                1 => -0.0,
                _ => ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0,
            }
        })
        .collect()
}

fn leaf(shape: &[usize], seed: u64, dev: &Device) -> Tensor {
    let t = Tensor::from_vec(data(shape.iter().product(), seed), shape, dev).unwrap();
    t.set_requires_grad(true).unwrap();
    t
}

fn devices() -> Vec<Device> {
    #[allow(unused_mut)]
    let mut v = vec![Device::Cpu];
    #[cfg(feature = "gpu")]
    v.push(Device::Gpu(ferrograd_core::backend::wgpu::GpuDevice::new_blocking().expect("a GPU adapter (lavapipe)")));
    v
}

type Case = ([usize; 4], [usize; 4], (usize, usize), (usize, usize), usize);

/// (input, weight, stride, padding, groups): 3×3 stride 1 (Winograd on the CPU), 5×5 (LeNet,
/// direct/im2col), strided, grouped, 1×1, and one large enough for the GPU's big tiles.
const CASES: [Case; 6] = [
    ([2, 16, 12, 12], [32, 16, 3, 3], (1, 1), (1, 1), 1),
    ([3, 1, 28, 28], [6, 1, 5, 5], (1, 1), (2, 2), 1),
    ([2, 4, 9, 11], [8, 4, 3, 3], (2, 2), (1, 0), 1),
    ([2, 8, 7, 7], [8, 2, 3, 3], (1, 1), (1, 1), 4),
    ([2, 8, 6, 6], [4, 8, 1, 1], (1, 1), (0, 0), 1),
    // the GPU's 128x128-tile GEMM, activation applied as it stores C
    ([4, 32, 32, 32], [128, 32, 3, 3], (1, 1), (1, 1), 1),
];

fn run(dev: &Device, case: &Case, act: Option<Activation>, fused: bool) -> [Vec<f32>; 4] {
    let (xs, ws, stride, padding, groups) = *case;
    let x = leaf(&xs, 1, dev);
    let w = leaf(&ws, 2, dev);
    let b = leaf(&[ws[0]], 3, dev);
    let y = match (act, fused) {
        (Some(a), true) => x.conv2d_act(&w, Some(&b), stride, padding, (1, 1), groups, a).unwrap(),
        (Some(a), false) => x.conv2d(&w, Some(&b), stride, padding, (1, 1), groups).unwrap().unary(a.unary()).unwrap(),
        (None, _) => unreachable!(),
    };
    let up = Tensor::from_vec(data(y.numel(), 4), y.shape(), dev).unwrap();
    y.mul(&up).unwrap().sum_all().unwrap().backward().unwrap();
    [
        y.to_vec().unwrap(),
        x.grad().unwrap().to_vec().unwrap(),
        w.grad().unwrap().to_vec().unwrap(),
        b.grad().unwrap().to_vec().unwrap(),
    ]
}

#[test]
fn fused_conv_activation_equals_the_two_ops() {
    let _l = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for dev in devices() {
        for case in &CASES {
            for act in [Activation::Relu, Activation::Sigmoid, Activation::Tanh] {
                let want = run(&dev, case, Some(act), false);
                let got = run(&dev, case, Some(act), true);
                for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                    let what = ["output", "input grad", "weight grad", "bias grad"][k];
                    // The CPU runs the same kernels: bit for bit. A GPU compiles the epilogue
                    // into the conv kernel, where a driver may contract or reorder the
                    // activation's math (lavapipe does not): within a few ulps.
                    let tol = if matches!(dev, Device::Cpu) { 0.0 } else { 1e-6 };
                    let same = g.len() == w.len()
                        && g.iter()
                            .zip(w)
                            .all(|(a, b)| a.to_bits() == b.to_bits() || (a - b).abs() <= tol * (1.0 + b.abs()));
                    assert!(same, "{} {act:?} {case:?}: {what} differs", dev.name());
                }
            }
        }
    }
}

#[test]
fn fused_conv_activation_is_named_as_pytorch_names_its_last_op() {
    let _l = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let x = leaf(&[1, 2, 5, 5], 1, &Device::Cpu);
    let w = leaf(&[3, 2, 3, 3], 2, &Device::Cpu);
    let names = [
        (Activation::Relu, "ReluBackward0"),
        (Activation::Sigmoid, "SigmoidBackward0"),
        (Activation::Tanh, "TanhBackward0"),
    ];
    for (a, name) in names {
        let y = x.conv2d_act(&w, None, (1, 1), (1, 1), (1, 1), 1, a).unwrap();
        assert_eq!(y.grad_fn_name(), Some(name));
    }
    assert_eq!(x.conv2d(&w, None, (1, 1), (1, 1), (1, 1), 1).unwrap().grad_fn_name(), Some("ConvolutionBackward0"));
}

#[test]
fn fused_conv_activation_holds_one_activation_map() {
    let _l = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // conv -> relu -> conv: before backward, the unfused graph holds the first conv's output
    // and the relu's output; the fused one holds only the relu's.
    let held = |fused: bool| {
        let x = leaf(&[4, 8, 32, 32], 1, &Device::Cpu);
        let w = leaf(&[16, 8, 3, 3], 2, &Device::Cpu);
        let w2 = leaf(&[4, 16, 3, 3], 3, &Device::Cpu);
        let before = live_buffers().1;
        let h = if fused {
            x.conv2d_act(&w, None, (1, 1), (1, 1), (1, 1), 1, Activation::Relu).unwrap()
        } else {
            x.conv2d(&w, None, (1, 1), (1, 1), (1, 1), 1).unwrap().relu().unwrap()
        };
        let y = h.conv2d(&w2, None, (1, 1), (1, 1), (1, 1), 1).unwrap();
        drop(h);
        let bytes = live_buffers().1 - before;
        y.sum_all().unwrap().backward().unwrap();
        bytes
    };
    let map = 4 * 16 * 32 * 32 * 4;
    let (unfused, fused) = (held(false), held(true));
    assert_eq!(unfused - fused, map, "unfused {unfused} B, fused {fused} B held");
}

/// `[values, grads of x, weight, bias, running mean, running var]` of batch norm then `act`.
fn run_bn(dev: &Device, shape: &[usize], training: bool, act: Activation, fused: bool) -> Vec<Vec<f32>> {
    let x = leaf(shape, 5, dev);
    let c = shape[1];
    let (w, b) = (leaf(&[c], 6, dev), leaf(&[c], 7, dev));
    let rm = Tensor::from_vec(data(c, 8), &[c], dev).unwrap();
    let rv = Tensor::from_vec(data(c, 9).iter().map(|v| v.abs() + 0.5).collect(), &[c], dev).unwrap();
    let st = BatchNormState { running_mean: &rm, running_var: &rv, momentum: 0.1 };
    let y = if fused {
        x.batch_norm_act(Some(&w), Some(&b), Some(st), training, 1e-5, act).unwrap()
    } else {
        x.batch_norm(Some(&w), Some(&b), Some(st), training, 1e-5).unwrap().unary(act.unary()).unwrap()
    };
    let up = Tensor::from_vec(data(y.numel(), 4), y.shape(), dev).unwrap();
    y.mul(&up).unwrap().sum_all().unwrap().backward().unwrap();
    [&y, &x.grad().unwrap(), &w.grad().unwrap(), &b.grad().unwrap(), &rm, &rv]
        .iter()
        .map(|t| t.to_vec().unwrap())
        .collect()
}

#[test]
fn fused_batch_norm_activation_equals_the_two_ops() {
    let _l = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for dev in devices() {
        for shape in [[4, 6, 5, 5].as_slice(), &[8, 3], &[2, 16, 9, 7]] {
            for training in [true, false] {
                for act in [Activation::Relu, Activation::Sigmoid, Activation::Tanh] {
                    let want = run_bn(&dev, shape, training, act, false);
                    let got = run_bn(&dev, shape, training, act, true);
                    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                        let same = g.iter().zip(w).all(|(a, b)| a.to_bits() == b.to_bits());
                        assert!(
                            same && g.len() == w.len(),
                            "{} {shape:?} training {training} {act:?}: tensor {k} differs",
                            dev.name()
                        );
                    }
                }
            }
        }
    }
    let x = leaf(&[2, 3, 4, 4], 1, &Device::Cpu);
    let y = x.batch_norm_act(None, None, None, true, 1e-5, Activation::Relu).unwrap();
    assert_eq!(y.grad_fn_name(), Some("ReluBackward0"));
}
