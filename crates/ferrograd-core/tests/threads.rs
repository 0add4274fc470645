//! Thread-count independence: every parallel kernel (GEMM, the three convolution passes by both
//! algorithms, pooling, batch-norm, reductions, elementwise ops, the optimizer update) and whole
//! training steps give bit-identical outputs and gradients on 1, 2 and 4 threads. `with_threads`
//! also drops the minimum work per region, so even these small problems go through the pool.

mod common;

use common::nets;
use ferrograd_core::runtime::threads::{with_threads, worker_tasks};
use ferrograd_core::{BatchNormState, Device, Result, Tensor};

/// Deterministic data without the crate's RNG (tests run concurrently; its state is shared).
fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn t(shape: &[usize], seed: u64, grad: bool) -> Tensor {
    let x = Tensor::from_vec(data(shape.iter().product(), seed), shape, &Device::Cpu).unwrap();
    x.set_requires_grad(grad).unwrap();
    x
}

fn bits(x: &Tensor) -> Vec<u32> {
    x.to_vec().unwrap().iter().map(|v| v.to_bits()).collect()
}

/// Runs `f` on 1, 2 and 4 threads and asserts every returned tensor matches bit for bit.
fn same_on_all_thread_counts(name: &str, f: impl Fn() -> Result<Vec<Tensor>>) {
    let reference: Vec<Vec<u32>> = with_threads(1, || f().unwrap().iter().map(bits).collect());
    for threads in [2, 4] {
        let got: Vec<Vec<u32>> = with_threads(threads, || f().unwrap().iter().map(bits).collect());
        assert_eq!(got.len(), reference.len());
        for (i, (g, r)) in got.iter().zip(&reference).enumerate() {
            let diff = g.iter().zip(r).filter(|(a, b)| a != b).count();
            assert_eq!(diff, 0, "{name}: output {i} differs in {diff} of {} elements on {threads} threads", r.len());
        }
    }
}

/// The output of `f(inputs)`, then the gradients of every input after backward with a fixed
/// upstream gradient.
fn forward_backward(inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Result<Tensor>) -> Result<Vec<Tensor>> {
    for x in inputs {
        x.set_grad(None);
    }
    let y = f(inputs)?;
    let g = Tensor::from_vec(data(y.numel(), 99), y.shape(), &Device::Cpu)?;
    y.backward_with(&g)?;
    let mut out = vec![y.detach()];
    out.extend(inputs.iter().filter(|x| x.requires_grad()).map(|x| x.grad().expect("grad")));
    Ok(out)
}

#[test]
fn matmul_shapes() {
    for (m, k, n) in [(1, 1, 1), (7, 300, 5), (128, 400, 120), (70, 260, 2100), (256, 64, 256), (3, 1000, 700)] {
        let (a, b) = (t(&[m, k], 1, true), t(&[k, n], 2, true));
        same_on_all_thread_counts(&format!("matmul {m}x{k}x{n}"), || {
            forward_backward(&[a.clone(), b.clone()], |v| v[0].matmul(&v[1]))
        });
    }
    let (a, b) = (t(&[3, 40, 70], 3, true), t(&[70, 50], 4, true));
    same_on_all_thread_counts("batched matmul", || forward_backward(&[a.clone(), b.clone()], |v| v[0].matmul(&v[1])));
}

#[test]
fn conv2d_passes_by_both_algorithms() {
    // (n, c_in, hw, c_out, k, stride, padding, groups): LeNet's layers (direct), ResNet-like
    // stride-1 (direct) and stride-2 (im2col) layers, 1x1 (pointwise GEMM), small maps (im2col
    // by choice), grouped, and batches above the weight gradient's 16-image tasks.
    let shapes = [
        (37, 1, 28, 6, 5, 1, 2, 1),
        (20, 6, 14, 16, 5, 1, 0, 1),
        (4, 16, 12, 16, 3, 1, 1, 1),
        (3, 8, 12, 16, 3, 2, 1, 1),
        (3, 8, 6, 16, 1, 2, 0, 1),
        (3, 8, 6, 16, 1, 1, 0, 1),
        (2, 64, 3, 64, 3, 1, 1, 1),
        (5, 6, 9, 4, 3, 1, 1, 2),
        (2, 1, 32, 8, 7, 2, 3, 1),
    ];
    for (i, &(n, ci, hw, co, k, s, p, g)) in shapes.iter().enumerate() {
        let x = t(&[n, ci, hw, hw], 10 + i as u64, true);
        let w = t(&[co, ci / g, k, k], 20 + i as u64, true);
        let b = t(&[co], 30 + i as u64, true);
        same_on_all_thread_counts(&format!("conv2d #{i}"), || {
            forward_backward(&[x.clone(), w.clone(), b.clone()], |v| {
                v[0].conv2d(&v[1], Some(&v[2]), (s, s), (p, p), (1, 1), g)
            })
        });
    }
}

#[test]
fn pooling_resize_and_batch_norm() {
    let x = t(&[6, 5, 12, 12], 40, true);
    same_on_all_thread_counts("max pool 3x3 s2 p1", || {
        forward_backward(std::slice::from_ref(&x), |v| v[0].max_pool2d((3, 3), (2, 2), (1, 1)))
    });
    same_on_all_thread_counts("max pool 2x2", || {
        forward_backward(std::slice::from_ref(&x), |v| v[0].max_pool2d((2, 2), (2, 2), (0, 0)))
    });
    same_on_all_thread_counts("avg pool 2x2 (fast path)", || {
        forward_backward(std::slice::from_ref(&x), |v| v[0].avg_pool2d((2, 2), (2, 2), (0, 0)))
    });
    same_on_all_thread_counts("avg pool 3x3 p1", || {
        forward_backward(std::slice::from_ref(&x), |v| v[0].avg_pool2d((3, 3), (1, 1), (1, 1)))
    });
    same_on_all_thread_counts("adaptive avg pool", || {
        forward_backward(std::slice::from_ref(&x), |v| v[0].adaptive_avg_pool2d((1, 1)))
    });
    same_on_all_thread_counts("bilinear resize", || {
        forward_backward(std::slice::from_ref(&x), |v| v[0].resize_bilinear((17, 9)))
    });
    let (w, b) = (t(&[5], 41, true), t(&[5], 42, true));
    for training in [true, false] {
        same_on_all_thread_counts(&format!("batch norm 4-D, training {training}"), || {
            // fresh running statistics per run: training updates them
            let (rm, rv) = (t(&[5], 43, false), Tensor::full(&[5], 1.5, &Device::Cpu)?);
            let st = BatchNormState { running_mean: &rm, running_var: &rv, momentum: 0.1 };
            let mut out = forward_backward(&[x.clone(), w.clone(), b.clone()], |v| {
                v[0].batch_norm(Some(&v[1]), Some(&v[2]), Some(BatchNormState { ..st }), training, 1e-5)
            })?;
            out.extend([rm.detach(), rv.detach()]);
            Ok(out)
        });
    }
    let x2 = t(&[300, 7], 44, true);
    same_on_all_thread_counts("batch norm 2-D", || {
        forward_backward(std::slice::from_ref(&x2), |v| v[0].batch_norm(None, None, None, true, 1e-5))
    });
}

#[test]
fn reductions_and_elementwise_ops() {
    let x = t(&[8, 33, 17, 19], 50, true);
    let c = t(&[1, 33, 1, 1], 51, true);
    for dims in [vec![0isize, 2, 3], vec![1], vec![3], vec![0], vec![0, 1, 2, 3]] {
        same_on_all_thread_counts(&format!("sum over {dims:?}"), || {
            forward_backward(std::slice::from_ref(&x), |v| v[0].sum(&dims, true))
        });
        same_on_all_thread_counts(&format!("amax over {dims:?}"), || {
            forward_backward(std::slice::from_ref(&x), |v| v[0].max(&dims, true))
        });
    }
    same_on_all_thread_counts("activations", || {
        forward_backward(std::slice::from_ref(&x), |v| v[0].sigmoid()?.add(&v[0].tanh()?)?.add(&v[0].relu()?)?.exp())
    });
    same_on_all_thread_counts("broadcast binary (strided rows)", || {
        forward_backward(&[x.clone(), c.clone()], |v| v[0].mul(&v[1])?.sub(&v[1])?.div(&v[1].add_scalar(3.0)?))
    });
    same_on_all_thread_counts("permuted copy", || {
        forward_backward(std::slice::from_ref(&x), |v| v[0].permute(&[3, 1, 0, 2])?.contiguous())
    });
    same_on_all_thread_counts("softmax, cross-entropy", || {
        let labels = Tensor::from_vec((0..200).map(|i| (i % 10) as f32).collect(), &[200], &Device::Cpu)?;
        let z = t(&[200, 10], 52, true);
        forward_backward(&[z], |v| v[0].cross_entropy(&labels))
    });
}

/// A LeNet (d2l §7.6) trained for a few SGD steps: losses and final weights are bitwise the same.
fn lenet_run() -> Result<Vec<Tensor>> {
    let params: Vec<Tensor> = nets::LENET.iter().enumerate().map(|(i, s)| t(s, 60 + i as u64, true)).collect();
    let x = t(&[48, 1, 28, 28], 70, false);
    let labels = Tensor::from_vec((0..48).map(|i| ((i * 7) % 10) as f32).collect(), &[48], &Device::Cpu)?;
    let mut losses = Vec::new();
    for _ in 0..4 {
        let loss = nets::lenet(&x, &params)?.cross_entropy(&labels)?;
        nets::sgd_step(&params, &loss, 0.9)?;
        losses.push(loss.detach());
    }
    losses.extend(params.iter().map(Tensor::detach));
    Ok(losses)
}

#[test]
fn lenet_training_steps() {
    same_on_all_thread_counts("LeNet, 4 SGD steps", lenet_run);
}

#[test]
fn residual_block_training_step() {
    // conv-bn-relu-conv-bn + 1x1 stride-2 shortcut, relu, global pool, linear: a ResNet step.
    same_on_all_thread_counts("residual block step", || {
        let x = t(&[6, 8, 12, 12], 80, false);
        let p: Vec<Tensor> =
            nets::residual_shapes(8).iter().enumerate().map(|(i, s)| t(s, 81 + i as u64, true)).collect();
        let (rm, rv) = (Tensor::zeros(&[16], &Device::Cpu)?, Tensor::ones(&[16], &Device::Cpu)?);
        let logits = nets::residual_block(&x, &p, &rm, &rv)?;
        let labels = Tensor::from_vec((0..6).map(|i| i as f32).collect(), &[6], &Device::Cpu)?;
        let loss = logits.cross_entropy(&labels)?;
        loss.backward()?;
        let mut out = vec![loss.detach(), rm.detach(), rv.detach()];
        out.extend(p.iter().map(|q| q.grad().expect("grad")));
        Ok(out)
    });
}

#[test]
fn workers_take_part() {
    let before = worker_tasks();
    let (a, b) = (t(&[256, 256], 90, false), t(&[256, 256], 91, false));
    for _ in 0..20 {
        with_threads(4, || a.matmul(&b).unwrap());
    }
    assert!(worker_tasks() > before, "no task ran on a pool worker");
}
