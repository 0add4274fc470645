//! Convolution, pooling, normalisation and other layer exports.

use crate::{get, js_err, put, JsResult};
use ferrograd_core::backend::Activation;
use ferrograd_core::{BatchNormState, PoolDivisor, PoolOptions};
use wasm_bindgen::prelude::*;

fn pair(v: &[u32], what: &str, op: &str) -> JsResult<(usize, usize)> {
    match v {
        [a] => Ok((*a as usize, *a as usize)),
        [a, b] => Ok((*a as usize, *b as usize)),
        _ => Err(crate::js_range_error(&format!("{op}: {what} must have 1 or 2 values, got {v:?}"))),
    }
}

#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn conv2d(
    x: u32,
    w: u32,
    b: Option<u32>,
    stride: &[u32],
    padding: &[u32],
    dilation: &[u32],
    groups: u32,
) -> JsResult<u32> {
    convolve(x, w, b, [stride, padding, dilation], groups, None)
}

/// `act(conv2d(...))` as one op, `act` 0: relu, 1: sigmoid, 2: tanh (`nn.Sequential`'s
/// conv/activation pairs).
#[wasm_bindgen(js_name = conv2dAct)]
#[allow(clippy::too_many_arguments)]
pub fn conv2d_act(
    x: u32,
    w: u32,
    b: Option<u32>,
    stride: &[u32],
    padding: &[u32],
    dilation: &[u32],
    groups: u32,
    act: u32,
) -> JsResult<u32> {
    convolve(x, w, b, [stride, padding, dilation], groups, Some(activation(act)?))
}

/// The fused activation of code `a` (0 relu, 1 sigmoid, 2 tanh; ts/conv.ts ACT_CODES).
fn activation(a: u32) -> JsResult<Activation> {
    match a {
        0 => Ok(Activation::Relu),
        1 => Ok(Activation::Sigmoid),
        2 => Ok(Activation::Tanh),
        other => Err(crate::js_error(&format!("unknown fused activation code {other}"))),
    }
}

fn convolve(x: u32, w: u32, b: Option<u32>, geom: [&[u32]; 3], groups: u32, act: Option<Activation>) -> JsResult<u32> {
    let op = "conv2d";
    let bias = b.map(get).transpose()?;
    let (x, w) = (get(x)?, get(w)?);
    let (s, p, d) = (pair(geom[0], "stride", op)?, pair(geom[1], "padding", op)?, pair(geom[2], "dilation", op)?);
    let g = groups as usize;
    let out = match act {
        Some(a) => x.conv2d_act(&w, bias.as_ref(), s, p, d, g, a),
        None => x.conv2d(&w, bias.as_ref(), s, p, d, g),
    };
    put(out.map_err(js_err)?)
}

#[wasm_bindgen(js_name = convTranspose2d)]
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose2d(
    x: u32,
    w: u32,
    b: Option<u32>,
    stride: &[u32],
    padding: &[u32],
    output_padding: &[u32],
    dilation: &[u32],
    groups: u32,
) -> JsResult<u32> {
    let op = "conv_transpose2d";
    let bias = b.map(get).transpose()?;
    let out = get(x)?
        .conv_transpose2d(
            &get(w)?,
            bias.as_ref(),
            pair(stride, "stride", op)?,
            pair(padding, "padding", op)?,
            pair(output_padding, "output_padding", op)?,
            pair(dilation, "dilation", op)?,
            groups as usize,
        )
        .map_err(js_err)?;
    put(out)
}

#[wasm_bindgen(js_name = convolveSame)]
pub fn convolve_same(a: u32, v: u32) -> JsResult<u32> {
    put(get(a)?.convolve1d_same(&get(v)?).map_err(js_err)?)
}

fn pool_options(padding: &[u32], dilation: &[u32], ceil_mode: bool, op: &str) -> JsResult<PoolOptions> {
    Ok(PoolOptions {
        padding: pair(padding, "padding", op)?,
        dilation: pair(dilation, "dilation", op)?,
        ceil_mode,
        divisor: PoolDivisor::IncludePad,
    })
}

#[wasm_bindgen(js_name = maxPool2d)]
pub fn max_pool2d(
    x: u32,
    kernel: &[u32],
    stride: &[u32],
    padding: &[u32],
    dilation: &[u32],
    ceil_mode: bool,
) -> JsResult<u32> {
    let op = "max_pool2d";
    let o = pool_options(padding, dilation, ceil_mode, op)?;
    put(get(x)?.max_pool2d_with(pair(kernel, "kernel_size", op)?, pair(stride, "stride", op)?, o).map_err(js_err)?)
}

/// `[values, indices]` handles (`return_indices=True`).
#[wasm_bindgen(js_name = maxPool2dWithIndices)]
pub fn max_pool2d_with_indices(
    x: u32,
    kernel: &[u32],
    stride: &[u32],
    padding: &[u32],
    dilation: &[u32],
    ceil_mode: bool,
) -> JsResult<Vec<u32>> {
    let op = "max_pool2d";
    let o = pool_options(padding, dilation, ceil_mode, op)?;
    let (v, i) = get(x)?
        .max_pool2d_with_indices(pair(kernel, "kernel_size", op)?, pair(stride, "stride", op)?, o)
        .map_err(js_err)?;
    Ok(vec![put(v)?, put(i)?])
}

/// `divisor_override` of 0 means none (the TS side rejects 0 as PyTorch does).
#[wasm_bindgen(js_name = avgPool2d)]
#[allow(clippy::too_many_arguments)]
pub fn avg_pool2d(
    x: u32,
    kernel: &[u32],
    stride: &[u32],
    padding: &[u32],
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: u32,
) -> JsResult<u32> {
    let op = "avg_pool2d";
    let mut o = pool_options(padding, &[1], ceil_mode, op)?;
    o.divisor = match (divisor_override, count_include_pad) {
        (0, true) => PoolDivisor::IncludePad,
        (0, false) => PoolDivisor::ExcludePad,
        (d, _) => PoolDivisor::Override(d as usize),
    };
    put(get(x)?.avg_pool2d_with(pair(kernel, "kernel_size", op)?, pair(stride, "stride", op)?, o).map_err(js_err)?)
}

#[wasm_bindgen(js_name = maxUnpool2d)]
pub fn max_unpool2d(x: u32, indices: u32, out: &[u32]) -> JsResult<u32> {
    put(get(x)?.max_unpool2d(&get(indices)?, pair(out, "output_size", "max_unpool2d")?).map_err(js_err)?)
}

#[wasm_bindgen(js_name = adaptiveAvgPool2d)]
pub fn adaptive_avg_pool2d(x: u32, out: &[u32]) -> JsResult<u32> {
    put(get(x)?.adaptive_avg_pool2d(pair(out, "output_size", "adaptive_avg_pool2d")?).map_err(js_err)?)
}

#[wasm_bindgen(js_name = resizeBilinear)]
pub fn resize_bilinear(x: u32, out: &[u32]) -> JsResult<u32> {
    put(get(x)?.resize_bilinear(pair(out, "size", "resize")?).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn dropout(x: u32, p: f32, training: bool) -> JsResult<u32> {
    put(get(x)?.dropout(p, training).map_err(js_err)?)
}

/// `act` as conv2dAct's: 0 none (plain batch norm), 1 relu, 2 sigmoid, 3 tanh.
#[wasm_bindgen(js_name = batchNorm)]
#[allow(clippy::too_many_arguments)]
pub fn batch_norm(
    x: u32,
    weight: Option<u32>,
    bias: Option<u32>,
    running_mean: Option<u32>,
    running_var: Option<u32>,
    training: bool,
    momentum: f32,
    eps: f32,
    act: u32,
) -> JsResult<u32> {
    let act = match act {
        0 => None,
        a => Some(activation(a - 1)?),
    };
    let w = weight.map(get).transpose()?;
    let b = bias.map(get).transpose()?;
    let rm = running_mean.map(get).transpose()?;
    let rv = running_var.map(get).transpose()?;
    let state = match (&rm, &rv) {
        (Some(m), Some(v)) => Some(BatchNormState { running_mean: m, running_var: v, momentum }),
        (None, None) => None,
        _ => return Err(crate::js_range_error("batch_norm: running_mean and running_var must be given together")),
    };
    let x = get(x)?;
    let out = match act {
        Some(a) => x.batch_norm_act(w.as_ref(), b.as_ref(), state, training, eps, a),
        None => x.batch_norm(w.as_ref(), b.as_ref(), state, training, eps),
    };
    put(out.map_err(js_err)?)
}
