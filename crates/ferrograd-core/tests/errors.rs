//! Bad input returns an `Err` whose message names the op and the shapes involved: never a
//! panic (in wasm a panic is a trap that kills the instance), and the instance keeps working.

use ferrograd_core::{BatchNormState, Device, Result, Tensor};
use std::panic::{catch_unwind, AssertUnwindSafe};

fn z(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape, &Device::Cpu).unwrap()
}

fn t(data: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_slice(data, shape, &Device::Cpu).unwrap()
}

/// Runs `f`, which must fail without panicking with a message that contains every `needle`.
fn expect_err<T>(what: &str, needles: &[&str], f: impl FnOnce() -> Result<T>) -> std::result::Result<(), String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(format!("{what}: panicked ({})", msg.unwrap_or_default()))
        }
        Ok(Ok(_)) => Err(format!("{what}: succeeded, expected an error")),
        Ok(Err(e)) => {
            let msg = e.to_string();
            let missing: Vec<&&str> = needles.iter().filter(|n| !msg.contains(**n)).collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("{what}: message {msg:?} lacks {missing:?}"))
            }
        }
    }
}

fn all(results: Vec<std::result::Result<(), String>>) {
    let failures: Vec<String> = results.into_iter().filter_map(|r| r.err()).collect();
    assert!(failures.is_empty(), "{} bad-input checks failed:\n{}", failures.len(), failures.join("\n"));
    // the instance keeps working after the errors
    let x = Tensor::ones(&[1, 1, 3, 3], &Device::Cpu).unwrap();
    let y = x.conv2d(&Tensor::ones(&[1, 1, 2, 2], &Device::Cpu).unwrap(), None, (1, 1), (0, 0), (1, 1), 1).unwrap();
    assert_eq!(y.to_vec().unwrap(), vec![4.0; 4]);
}

fn conv(x: &[usize], w: &[usize], s: (usize, usize), p: (usize, usize), d: (usize, usize), g: usize) -> Result<Tensor> {
    z(x).conv2d(&z(w), None, s, p, d, g)
}

#[test]
fn conv2d_bad_input() {
    let one = (1, 1);
    all(vec![
        expect_err("3-D input", &["conv2d", "[3, 5, 5]"], || conv(&[3, 5, 5], &[2, 3, 3, 3], one, (0, 0), one, 1)),
        expect_err("3-D weight", &["conv2d", "[2, 3, 3]"], || conv(&[1, 3, 5, 5], &[2, 3, 3], one, (0, 0), one, 1)),
        expect_err("channel mismatch", &["conv2d", "[1, 3, 5, 5]", "[2, 4, 3, 3]"], || {
            conv(&[1, 3, 5, 5], &[2, 4, 3, 3], one, (0, 0), one, 1)
        }),
        expect_err("kernel larger than the padded input", &["conv2d", "[1, 1, 4, 4]", "[1, 1, 7, 3]"], || {
            conv(&[1, 1, 4, 4], &[1, 1, 7, 3], one, (1, 1), one, 1)
        }),
        expect_err("dilated kernel larger than the input", &["conv2d", "[1, 1, 4, 4]", "dilat"], || {
            conv(&[1, 1, 4, 4], &[1, 1, 3, 3], one, (0, 0), (2, 2), 1)
        }),
        expect_err("zero stride", &["conv2d", "stride", "[1, 1, 4, 4]"], || {
            conv(&[1, 1, 4, 4], &[1, 1, 2, 2], (0, 1), (0, 0), one, 1)
        }),
        expect_err("zero dilation", &["conv2d", "dilation", "[1, 1, 4, 4]"], || {
            conv(&[1, 1, 4, 4], &[1, 1, 2, 2], one, (0, 0), (1, 0), 1)
        }),
        expect_err("groups not dividing the input channels", &["conv2d", "groups", "[1, 3, 4, 4]"], || {
            conv(&[1, 3, 4, 4], &[2, 1, 2, 2], one, (0, 0), one, 2)
        }),
        expect_err("groups not dividing the output channels", &["conv2d", "groups", "[3, 2, 2, 2]"], || {
            conv(&[1, 4, 4, 4], &[3, 2, 2, 2], one, (0, 0), one, 2)
        }),
        expect_err("zero groups", &["conv2d", "groups"], || conv(&[1, 4, 4, 4], &[2, 4, 2, 2], one, (0, 0), one, 0)),
        expect_err("zero-size kernel", &["conv2d", "[2, 1, 0, 2]"], || {
            conv(&[1, 1, 4, 4], &[2, 1, 0, 2], one, (0, 0), one, 1)
        }),
        expect_err("bias of the wrong length", &["conv2d", "bias", "[3]"], || {
            z(&[1, 1, 4, 4]).conv2d(&z(&[2, 1, 2, 2]), Some(&z(&[3])), one, (0, 0), one, 1)
        }),
        expect_err("padding so large the output cannot be allocated", &["conv2d", "[1, 1, 4, 4]"], || {
            conv(&[1, 1, 4, 4], &[1, 1, 1, 1], one, (1 << 20, 1 << 20), one, 1)
        }),
        expect_err("padding that overflows", &["conv2d", "[1, 1, 4, 4]"], || {
            conv(&[1, 1, 4, 4], &[1, 1, 1, 1], one, (usize::MAX / 2, 0), one, 1)
        }),
        expect_err("dilation that overflows", &["conv2d", "[1, 1, 4, 4]"], || {
            conv(&[1, 1, 4, 4], &[1, 1, 3, 3], one, (0, 0), (usize::MAX / 2, 1), 1)
        }),
        expect_err("convolve of a 2-D tensor", &["convolve", "[2, 3]"], || z(&[2, 3]).convolve1d_same(&z(&[3]))),
        expect_err("convolve with an empty kernel", &["convolve", "[0]"], || z(&[5]).convolve1d_same(&z(&[0]))),
    ]);
}

#[test]
fn pooling_bad_input() {
    let x = || z(&[1, 2, 4, 4]);
    all(vec![
        expect_err("max_pool2d of a 3-D input", &["max_pool2d", "[2, 4, 4]"], || {
            z(&[2, 4, 4]).max_pool2d((2, 2), (2, 2), (0, 0))
        }),
        expect_err("avg_pool2d of a 2-D input", &["avg_pool2d", "[4, 4]"], || {
            z(&[4, 4]).avg_pool2d((2, 2), (2, 2), (0, 0))
        }),
        expect_err("kernel larger than the padded input", &["max_pool2d", "[1, 2, 4, 4]", "5"], || {
            x().max_pool2d((5, 2), (1, 1), (0, 0))
        }),
        expect_err("zero stride", &["max_pool2d", "stride", "[1, 2, 4, 4]"], || x().max_pool2d((2, 2), (0, 2), (0, 0))),
        expect_err("zero stride (avg)", &["avg_pool2d", "stride", "[1, 2, 4, 4]"], || {
            x().avg_pool2d((2, 2), (2, 0), (0, 0))
        }),
        expect_err("zero kernel", &["avg_pool2d", "kernel", "[1, 2, 4, 4]"], || x().avg_pool2d((0, 2), (1, 1), (0, 0))),
        expect_err(
            "padding over half the kernel",
            &["max_pool2d", "pad should be at most half of kernel size", "[1, 2, 4, 4]"],
            || x().max_pool2d((2, 2), (1, 1), (2, 0)),
        ),
        expect_err("empty image with padding", &["max_pool2d", "[1, 1, 0, 4]"], || {
            z(&[1, 1, 0, 4]).max_pool2d((2, 2), (1, 1), (1, 1))
        }),
        expect_err("adaptive pool to size 0", &["adaptive_avg_pool2d", "(0, 2)", "[1, 2, 4, 4]"], || {
            x().adaptive_avg_pool2d((0, 2))
        }),
        expect_err("adaptive pool of a 3-D input", &["adaptive_avg_pool2d", "[2, 4, 4]"], || {
            z(&[2, 4, 4]).adaptive_avg_pool2d((1, 1))
        }),
        expect_err("adaptive pool to a huge size", &["adaptive_avg_pool2d", "[1, 2, 4, 4]"], || {
            x().adaptive_avg_pool2d((1 << 20, 1 << 20))
        }),
        expect_err("resize to size 0", &["resize", "[1, 2, 4, 4]"], || x().resize_bilinear((3, 0))),
        expect_err("resize of a 3-D input", &["resize", "[2, 4, 4]"], || z(&[2, 4, 4]).resize_bilinear((8, 8))),
        expect_err("resize to a huge size", &["resize", "[1, 2, 4, 4]"], || x().resize_bilinear((1 << 20, 1 << 20))),
    ]);
}

#[test]
fn batch_norm_bad_input() {
    let (rm, rv) = (z(&[3]), Tensor::ones(&[3], &Device::Cpu).unwrap());
    let st = || Some(BatchNormState { running_mean: &rm, running_var: &rv, momentum: 0.1 });
    all(vec![
        expect_err("1-D input", &["batch_norm", "[3]"], || z(&[3]).batch_norm(None, None, st(), true, 1e-5)),
        expect_err("weight for other channels", &["batch_norm", "weight", "[4]", "[2, 3, 2, 2]"], || {
            z(&[2, 3, 2, 2]).batch_norm(Some(&z(&[4])), None, st(), true, 1e-5)
        }),
        expect_err("running statistics for other channels", &["batch_norm", "running_mean", "[3]", "[2, 2]"], || {
            z(&[2, 2]).batch_norm(None, None, st(), true, 1e-5)
        }),
        expect_err("one value per channel in training", &["batch_norm", "[1, 3]"], || {
            z(&[1, 3]).batch_norm(None, None, st(), true, 1e-5)
        }),
        expect_err("eval without running statistics", &["batch_norm", "running", "[2, 3]"], || {
            z(&[2, 3]).batch_norm(None, None, None, false, 1e-5)
        }),
    ]);
}

#[test]
fn losses_and_activations_bad_input() {
    let logits = || z(&[2, 4]);
    all(vec![
        expect_err("cross_entropy of 1-D logits", &["cross_entropy", "[4]"], || z(&[4]).cross_entropy(&z(&[1]))),
        expect_err("cross_entropy label count", &["cross_entropy", "[2, 4]", "[3]"], || {
            logits().cross_entropy(&z(&[3]))
        }),
        expect_err("cross_entropy label out of range", &["cross_entropy", "4", "[2, 4]"], || {
            logits().cross_entropy(&t(&[1.0, 4.0], &[2]))
        }),
        expect_err("cross_entropy negative label", &["cross_entropy", "-1", "[2, 4]"], || {
            logits().cross_entropy(&t(&[-1.0, 0.0], &[2]))
        }),
        expect_err("cross_entropy fractional label", &["cross_entropy", "1.5", "[2, 4]"], || {
            logits().cross_entropy(&t(&[1.5, 0.0], &[2]))
        }),
        expect_err("cross_entropy NaN label", &["cross_entropy", "NaN", "[2, 4]"], || {
            logits().cross_entropy(&t(&[f32::NAN, 0.0], &[2]))
        }),
        expect_err("cross_entropy with no classes", &["cross_entropy", "[2, 0]"], || {
            z(&[2, 0]).cross_entropy(&z(&[2]))
        }),
        expect_err("mse_loss shape mismatch", &["mse_loss", "[2, 3]", "[3, 2]"], || z(&[2, 3]).mse_loss(&z(&[3, 2]))),
        expect_err("softmax dim out of range", &["softmax", "2"], || z(&[2, 3]).softmax(2)),
        expect_err("log_softmax dim out of range", &["log_softmax", "-3"], || z(&[2, 3]).log_softmax(-3)),
        expect_err("dropout p > 1", &["dropout", "1.5"], || z(&[2]).dropout(1.5, true)),
        expect_err("dropout p NaN", &["dropout", "NaN"], || z(&[2]).dropout(f32::NAN, true)),
        expect_err("argmax axis out of range", &["argmax", "2"], || z(&[2, 3]).argmax(Some(2), false)),
        expect_err("argmax over an empty dim", &["argmax", "[2, 0]"], || z(&[2, 0]).argmax(Some(1), false)),
    ]);
}

#[test]
fn tensor_ops_bad_input() {
    all(vec![
        expect_err("cat shape mismatch", &["cat", "[2, 3]", "[2, 4]"], || Tensor::cat(&[z(&[2, 3]), z(&[2, 4])], 0)),
        expect_err("cat of nothing", &["cat"], || Tensor::cat(&[], 0)),
        expect_err("cat dim out of range", &["cat", "2"], || Tensor::cat(&[z(&[2, 3]), z(&[2, 3])], 2)),
        expect_err("stack shape mismatch", &["stack", "[2, 3]", "[3, 2]"], || {
            Tensor::stack(&[z(&[2, 3]), z(&[3, 2])], 0)
        }),
        expect_err("flatten start after end", &["flatten", "[2, 3, 4]"], || z(&[2, 3, 4]).flatten(2, 1)),
        expect_err("matmul inner mismatch", &["matmul", "[2, 3]", "[4, 5]"], || z(&[2, 3]).matmul(&z(&[4, 5]))),
        expect_err("matmul batch mismatch", &["matmul", "[2, 3, 4]", "[3, 4, 5]"], || {
            z(&[2, 3, 4]).matmul(&z(&[3, 4, 5]))
        }),
        expect_err("matmul output too large", &["matmul", "[65536, 1]", "[1, 65536]"], || {
            z(&[65536, 1]).matmul(&z(&[1, 65536]))
        }),
        expect_err("pad too large", &["pad", "[2, 2]"], || z(&[2, 2]).pad(&[(1 << 20, 1 << 20), (1 << 20, 0)])),
        expect_err("pad that overflows", &["pad", "[2, 2]"], || z(&[2, 2]).pad(&[(usize::MAX, 1)])),
        expect_err("reshape to a wrong size", &["reshape", "[2, 3]"], || z(&[2, 3]).reshape(&[4, 2])),
        expect_err("add of incompatible shapes", &["add", "[2, 3]", "[4]"], || z(&[2, 3]).add(&z(&[4]))),
        expect_err("backward of a non-scalar", &["backward", "[2, 2]"], || {
            let x = z(&[2, 2]);
            x.set_requires_grad(true)?;
            x.mul_scalar(2.0)?.backward()
        }),
        expect_err("backward with a gradient of the wrong shape", &["backward", "[3]", "[2]"], || {
            let x = z(&[2]);
            x.set_requires_grad(true)?;
            x.mul_scalar(2.0)?.backward_with(&z(&[3]))
        }),
        expect_err("second backward through a freed graph", &["backward", "second time"], || {
            let x = z(&[2]);
            x.set_requires_grad(true)?;
            let y = x.exp()?.sum_all()?;
            y.backward()?;
            y.backward()
        }),
    ]);
}

/// What PyTorch accepts is not an error: an empty batch convolves to an empty batch (and its
/// weight gradient is zero), batch norm takes (N, C, L).
#[test]
fn empty_batches_and_3d_batch_norm_work() {
    let w = Tensor::ones(&[2, 1, 3, 3], &Device::Cpu).unwrap();
    w.set_requires_grad(true).unwrap();
    let y = z(&[0, 1, 4, 4]).conv2d(&w, None, (1, 1), (0, 0), (1, 1), 1).unwrap();
    assert_eq!(y.shape().to_vec(), vec![0, 2, 2, 2]);
    y.sum(&[], false).unwrap().backward().unwrap();
    assert_eq!(w.grad().unwrap().to_vec().unwrap(), vec![0.0; 18]);
    let x = Tensor::from_vec(vec![0.0, 1.0, 5.0, 5.0, 2.0, 3.0, 5.0, 5.0], &[2, 2, 2], &Device::Cpu).unwrap();
    let out = x.batch_norm(None, None, None, true, 1e-5).unwrap().to_vec().unwrap();
    let s = 1.0 / (1.25f32 + 1e-5).sqrt();
    let want = [-1.5 * s, -0.5 * s, 0.0, 0.0, 0.5 * s, 1.5 * s, 0.0, 0.0];
    for (g, w) in out.iter().zip(want) {
        assert!((g - w).abs() < 1e-5, "{out:?} vs {want:?}");
    }
}
