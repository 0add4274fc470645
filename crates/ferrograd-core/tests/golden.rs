//! Forward values and gradients of the d2l chapter 7-8 ops against PyTorch fixtures
//! (test/fixtures/golden, written by scripts/golden/generate.py), at rtol 1e-4, atol 1e-5.
//! The gradients are those of `sum(out * upstream)` for the fixture's random `upstream`.
//!
//! One body, every device: each case runs on the CPU and, built with `--features gpu`, on the
//! wgpu backend too (Vulkan: lavapipe or SwiftShader where there is no GPU).

mod common;

use common::{check_all, close_to_fixture, pair, tensor};
use ferrograd_core::backend::{BinaryOp, UnaryOp};
use ferrograd_core::{BatchNormState, Device, PoolDivisor, PoolOptions, Tensor};
use serde_json::Value;
use std::collections::BTreeMap;

type Inputs = BTreeMap<String, Tensor>;

/// The devices every case runs on.
fn devices() -> Vec<Device> {
    #[allow(unused_mut)]
    let mut v = vec![Device::Cpu];
    #[cfg(feature = "gpu")]
    {
        use ferrograd_core::backend::wgpu::GpuDevice;
        use std::sync::OnceLock;
        static GPU: OnceLock<Result<GpuDevice, String>> = OnceLock::new();
        match GPU.get_or_init(|| GpuDevice::new_blocking().map_err(|e| e.to_string())) {
            Ok(d) => v.push(Device::Gpu(d.clone())),
            Err(e) => panic!("no GPU adapter for the golden tests ({e}); install mesa-vulkan-drivers (lavapipe)"),
        }
    }
    v
}

/// A fixture tensor on `dev`.
fn tensor_on(v: &Value, dev: &Device) -> Tensor {
    tensor(v).to_device(dev).expect("fixture tensor on the device")
}

/// The case's inputs as leaves on `dev`; those with a fixture gradient require grad.
fn inputs(case: &Value, dev: &Device) -> Result<Inputs, String> {
    let grads = case.get("grads").and_then(Value::as_object);
    let mut out = Inputs::new();
    for (k, v) in case["inputs"].as_object().ok_or("case has no inputs")? {
        let t = tensor_on(v, dev);
        if grads.is_some_and(|g| g.contains_key(k)) {
            t.set_requires_grad(true).map_err(|e| e.to_string())?;
        }
        out.insert(k.clone(), t);
    }
    Ok(out)
}

fn get<'a>(ins: &'a Inputs, k: &str) -> Result<&'a Tensor, String> {
    ins.get(k).ok_or_else(|| format!("case has no input '{k}'"))
}

fn cfg_pair(case: &Value, k: &str) -> (usize, usize) {
    pair(&case["config"][k])
}

fn cfg_int(case: &Value, k: &str) -> isize {
    case["config"][k].as_i64().unwrap_or_else(|| panic!("config.{k}")) as isize
}

/// The ops taken in order `t0, t1, ...` (cat, stack).
fn numbered(ins: &Inputs) -> Vec<Tensor> {
    (0..).map_while(|i| ins.get(&format!("t{i}")).cloned()).collect()
}

/// A size of the pool families: `[a, b]`, `[l]` of a 1-D pool (run as 2-D over `[N, C, 1, L]`),
/// or one number for both axes (the generator's defaults, 0 or 1, which 1-D pooling also reads).
fn size_of(v: &Value, fill: usize) -> (usize, usize) {
    match (v.as_u64(), v.as_array().map(Vec::len)) {
        (Some(n), _) => (n as usize, n as usize),
        (None, Some(1)) => (fill, v[0].as_u64().unwrap() as usize),
        _ => pair(v),
    }
}

/// A pooling case with its options (PyTorch's defaults where the config has none) and, for max
/// pooling, the indices of its maxima.
fn pool(case: &Value, x: &Tensor) -> ferrograd_core::Result<(Tensor, Option<Tensor>)> {
    let c = &case["config"];
    let op = case["op"].as_str().unwrap_or_default();
    let one_d = op.ends_with("1d");
    let k = size_of(&c["kernel"], 1);
    let s = size_of(&c["stride"], 1);
    let divisor = match (c["divisor_override"].as_u64(), c["count_include_pad"].as_bool().unwrap_or(true)) {
        (Some(d), _) => PoolDivisor::Override(d as usize),
        (None, true) => PoolDivisor::IncludePad,
        (None, false) => PoolDivisor::ExcludePad,
    };
    let o = PoolOptions {
        padding: size_of(&c["padding"], 0),
        dilation: if c["dilation"].is_null() { (1, 1) } else { size_of(&c["dilation"], 1) },
        ceil_mode: c["ceil_mode"].as_bool().unwrap_or(false),
        divisor,
    };
    let x4 = if one_d { x.unsqueeze(2)? } else { x.clone() };
    let (v, i) = if op.starts_with("max") {
        let (v, i) = x4.max_pool2d_with_indices(k, s, o)?;
        (v, Some(i))
    } else {
        (x4.avg_pool2d_with(k, s, o)?, None)
    };
    let flat = |t: Tensor| if one_d { t.squeeze(Some(2)) } else { Ok(t) };
    Ok((flat(v)?, i.map(flat).transpose()?))
}

/// Runs the core op that the case's `op` names.
fn forward(case: &Value, ins: &Inputs) -> ferrograd_core::Result<Tensor> {
    let op = case["op"].as_str().unwrap_or_default();
    let x = || get(ins, "x").map_err(|e| ferrograd_core::Error::new("golden", e));
    match op {
        "conv2d" => x()?.conv2d(
            get(ins, "weight").map_err(|e| ferrograd_core::Error::new("golden", e))?,
            ins.get("bias"),
            cfg_pair(case, "stride"),
            cfg_pair(case, "padding"),
            cfg_pair(case, "dilation"),
            cfg_int(case, "groups") as usize,
        ),
        "conv_transpose2d" => x()?.conv_transpose2d(
            get(ins, "weight").map_err(|e| ferrograd_core::Error::new("golden", e))?,
            ins.get("bias"),
            cfg_pair(case, "stride"),
            cfg_pair(case, "padding"),
            cfg_pair(case, "output_padding"),
            cfg_pair(case, "dilation"),
            cfg_int(case, "groups") as usize,
        ),
        // as ts/conv.ts composes it: a conv2d over [N, C, 1, L] with [C_out, C_in/g, 1, k] filters
        "conv1d" => {
            let w = get(ins, "weight").map_err(|e| ferrograd_core::Error::new("golden", e))?;
            let one = |k: &str| (1, cfg_int(case, k) as usize);
            x()?.unsqueeze(2)?
                .conv2d(
                    &w.unsqueeze(2)?,
                    ins.get("bias"),
                    one("stride"),
                    (0, cfg_int(case, "padding") as usize),
                    one("dilation"),
                    cfg_int(case, "groups") as usize,
                )?
                .squeeze(Some(2))
        }
        "max_pool2d" | "max_pool1d" | "avg_pool2d" | "avg_pool1d" => pool(case, x()?).map(|(v, _)| v),
        "max_unpool2d" => {
            let c = &case["config"];
            let out = match c["output_size"].as_array() {
                Some(_) => pair(&c["output_size"]),
                None => {
                    let (k, s, p) = (cfg_pair(case, "kernel"), cfg_pair(case, "stride"), cfg_pair(case, "padding"));
                    let sh = x()?.shape().clone();
                    ((sh[2] - 1) * s.0 + k.0 - 2 * p.0, (sh[3] - 1) * s.1 + k.1 - 2 * p.1)
                }
            };
            x()?.max_unpool2d(&ins["indices"], out)
        }
        "adaptive_avg_pool2d" => x()?.adaptive_avg_pool2d(cfg_pair(case, "output_size")),
        "resize_bilinear" => x()?.resize_bilinear(cfg_pair(case, "size")),
        "batch_norm" => {
            let c = &case["config"];
            let state = match (ins.get("running_mean"), ins.get("running_var")) {
                (Some(running_mean), Some(running_var)) => {
                    Some(BatchNormState { running_mean, running_var, momentum: c["momentum"].as_f64().unwrap() as f32 })
                }
                _ => None,
            };
            x()?.batch_norm(
                ins.get("weight"),
                ins.get("bias"),
                state,
                c["training"].as_bool().unwrap(),
                c["eps"].as_f64().unwrap() as f32,
            )
        }
        "relu" => x()?.relu(),
        "sigmoid" => x()?.sigmoid(),
        "tanh" => x()?.tanh(),
        "leaky_relu" => x()?.leaky_relu(case["config"]["negative_slope"].as_f64().unwrap() as f32),
        "softmax" => x()?.softmax(cfg_int(case, "dim")),
        "log_softmax" => x()?.log_softmax(cfg_int(case, "dim")),
        "cross_entropy" => ins["logits"].cross_entropy(&ins["labels"]),
        "mse_loss" => ins["input"].mse_loss(&ins["target"]),
        "convolve_same" => ins["a"].convolve1d_same(&ins["v"]),
        "argmax" => x()?.argmax(case["config"]["dim"].as_i64().map(|d| d as isize), false),
        "cat" => Tensor::cat(&numbered(ins), cfg_int(case, "dim")),
        "stack" => Tensor::stack(&numbered(ins), cfg_int(case, "dim")),
        "flatten" => x()?.flatten(cfg_int(case, "start"), cfg_int(case, "end")),
        "matmul" => ins["a"].matmul(&ins["b"]),
        "fmod" => ins["a"].binary(&ins["b"], BinaryOp::Fmod),
        "remainder" => ins["a"].binary(&ins["b"], BinaryOp::Remainder),
        "floor_divide" => ins["a"].binary(&ins["b"], BinaryOp::FloorDivide),
        // as ts/intops.ts composes it for floats
        "div_trunc" => ins["a"].div(&ins["b"])?.unary(UnaryOp::Trunc),
        other => Err(ferrograd_core::Error::new("golden", format!("the test has no runner for op '{other}'"))),
    }
}

fn run(case: &Value) -> Result<(), String> {
    for dev in devices() {
        run_on(case, &dev).map_err(|e| format!("on the {}: {e}", dev.name()))?;
    }
    Ok(())
}

fn run_on(case: &Value, dev: &Device) -> Result<(), String> {
    let ins = inputs(case, dev)?;
    let out = forward(case, &ins).map_err(|e| format!("forward failed: {e}"))?;
    close_to_fixture("forward", &out, &case["output"])?;
    if let Some(want) = case.get("indices") {
        let (_, idx) = pool(case, &ins["x"]).map_err(|e| e.to_string())?;
        close_to_fixture("indices", &idx.expect("max pooling gives indices"), want)?;
    }
    if let Some(stats) = case.get("running_mean_after") {
        close_to_fixture("running_mean after the step", &ins["running_mean"], stats)?;
        close_to_fixture("running_var after the step", &ins["running_var"], &case["running_var_after"])?;
    }
    let Some(grads) = case.get("grads").and_then(Value::as_object) else { return Ok(()) };
    let loss = out.mul(&tensor_on(&case["upstream"], dev)).and_then(|t| t.sum_all()).map_err(|e| e.to_string())?;
    loss.backward().map_err(|e| format!("backward failed: {e}"))?;
    for (k, want) in grads {
        let got = ins[k].grad().ok_or_else(|| format!("no gradient reached input '{k}'"))?;
        close_to_fixture(&format!("grad of {k}"), &got, want)?;
    }
    Ok(())
}

#[test]
fn conv2d_matches_pytorch() {
    check_all("conv2d", run);
}

/// Padding wider than the output along the width: im2col's valid-column range is empty there.
#[test]
fn conv2d_padding_wider_than_the_output_matches_pytorch() {
    check_all("conv2d_edge", run);
}

/// conv_transpose2d (the conv2d kernels run backwards) and conv1d (a conv2d of height 1).
#[test]
fn conv_transpose2d_and_conv1d_match_pytorch() {
    check_all("conv_transpose", run);
}

#[test]
fn pooling_matches_pytorch() {
    check_all("pool", run);
}

/// ceil_mode, dilation, count_include_pad, divisor_override, return_indices, max_unpool2d, 1-D.
#[test]
fn pooling_options_match_pytorch() {
    check_all("pool_options", run);
}

#[test]
fn batch_norm_matches_pytorch() {
    check_all("batchnorm", run);
}

#[test]
fn activations_match_pytorch() {
    check_all("activations", run);
}

#[test]
fn losses_match_pytorch() {
    check_all("losses", run);
}

#[test]
fn bilinear_resize_matches_pytorch() {
    check_all("resize", run);
}

#[test]
fn convolve_same_matches_numpy() {
    check_all("convolve", run);
}

#[test]
fn argmax_cat_stack_flatten_matmul_match_pytorch() {
    check_all("misc", run);
}

/// fmod, remainder, floor_divide and trunc division: PyTorch's exact-fmod kernels, with
/// divisors float32 cannot hold, infinite and zero ones.
#[test]
fn division_matches_pytorch() {
    check_all("division", run);
}

/// Every fixture file is exercised by a test above (a new family must get its own test).
#[test]
fn every_fixture_family_is_tested() {
    // cross_entropy_options: F.cross_entropy's keyword arguments, composed in TypeScript
    // (ts/loss.ts) from primitives tested here; test/golden.test.ts runs them on every device.
    // interpolate: F.interpolate's modes and options, composed in TypeScript (ts/interpolate.ts:
    // interpolation matrices applied with matmul), likewise run by the TS suites only
    let tested = [
        "activations",
        "batchnorm",
        "conv2d",
        "conv2d_edge",
        "conv_transpose",
        "convolve",
        "cross_entropy_options",
        "division",
        "interpolate",
        "losses",
        "misc",
        "pool",
        "pool_options",
        "resize",
    ];
    let mut found: Vec<String> = std::fs::read_dir(common::fixture_dir())
        .expect("fixture dir")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".json").map(str::to_owned))
        .collect();
    found.sort();
    assert_eq!(found, tested, "fixture families on disk vs tested here");
}
