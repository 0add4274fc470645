//! Elementwise, reduction, movement and matmul exports.

use crate::creation::shape;
use crate::{get, js_err, put, JsResult};
use ferrograd_core::backend::{BinaryOp, UnaryOp};
use ferrograd_core::Tensor;
use wasm_bindgen::prelude::*;

/// The unary op of opcode `code` (`ts/ops.generated.ts`, from the core's op table) with its
/// f32 parameters in order.
#[wasm_bindgen]
pub fn unary(h: u32, code: u32, p0: f32, p1: f32) -> JsResult<u32> {
    let op = UnaryOp::from_code(code, [p0, p1])
        .ok_or_else(|| crate::js_error(&format!("unary: unknown opcode {code} (the glue and the wasm differ)")))?;
    put(get(h)?.unary(op).map_err(js_err)?)
}

/// The binary op of opcode `code`, with broadcasting.
#[wasm_bindgen]
pub fn binary(a: u32, b: u32, code: u32) -> JsResult<u32> {
    let op = BinaryOp::from_code(code, [0.0; 2])
        .ok_or_else(|| crate::js_error(&format!("binary: unknown opcode {code} (the glue and the wasm differ)")))?;
    put(get(a)?.binary(&get(b)?, op).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn contiguous(h: u32) -> JsResult<u32> {
    put(get(h)?.contiguous().map_err(js_err)?)
}

#[wasm_bindgen]
pub fn t(h: u32) -> JsResult<u32> {
    put(get(h)?.t().map_err(js_err)?)
}

#[wasm_bindgen]
pub fn matmul(a: u32, b: u32) -> JsResult<u32> {
    put(get(a)?.matmul(&get(b)?).map_err(js_err)?)
}

#[wasm_bindgen(js_name = mseLoss)]
pub fn mse_loss(a: u32, b: u32) -> JsResult<u32> {
    put(get(a)?.mse_loss(&get(b)?).map_err(js_err)?)
}

#[wasm_bindgen(js_name = crossEntropy)]
pub fn cross_entropy(logits: u32, labels: u32) -> JsResult<u32> {
    put(get(logits)?.cross_entropy(&get(labels)?).map_err(js_err)?)
}

#[wasm_bindgen(js_name = gatherCols)]
pub fn gather_cols(x: u32, idx: u32) -> JsResult<u32> {
    put(get(x)?.gather_cols(&get(idx)?).map_err(js_err)?)
}

/// NaN bounds mean "no bound".
#[wasm_bindgen]
pub fn clamp(h: u32, min: f32, max: f32) -> JsResult<u32> {
    let b = |v: f32| (!v.is_nan()).then_some(v);
    put(get(h)?.clamp(b(min), b(max)).map_err(js_err)?)
}

fn axes(a: &[i32]) -> Vec<isize> {
    a.iter().map(|&x| x as isize).collect()
}

#[wasm_bindgen]
pub fn sum(h: u32, ax: &[i32], keepdim: bool) -> JsResult<u32> {
    put(get(h)?.sum(&axes(ax), keepdim).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn mean(h: u32, ax: &[i32], keepdim: bool) -> JsResult<u32> {
    put(get(h)?.mean(&axes(ax), keepdim).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn max(h: u32, ax: &[i32], keepdim: bool) -> JsResult<u32> {
    put(get(h)?.max(&axes(ax), keepdim).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn min(h: u32, ax: &[i32], keepdim: bool) -> JsResult<u32> {
    put(get(h)?.min(&axes(ax), keepdim).map_err(js_err)?)
}

#[wasm_bindgen(js_name = variance)]
pub fn var(h: u32, ax: &[i32], keepdim: bool, unbiased: bool) -> JsResult<u32> {
    put(get(h)?.var(&axes(ax), keepdim, unbiased).map_err(js_err)?)
}

/// `axis` undefined: over the flattened tensor.
#[wasm_bindgen]
pub fn argmax(h: u32, axis: Option<i32>, keepdim: bool) -> JsResult<u32> {
    put(get(h)?.argmax(axis.map(|a| a as isize), keepdim).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn softmax(h: u32, dim: i32) -> JsResult<u32> {
    put(get(h)?.softmax(dim as isize).map_err(js_err)?)
}

#[wasm_bindgen(js_name = logSoftmax)]
pub fn log_softmax(h: u32, dim: i32) -> JsResult<u32> {
    put(get(h)?.log_softmax(dim as isize).map_err(js_err)?)
}

/// Shape entries of -1 are inferred.
#[wasm_bindgen]
pub fn reshape(h: u32, s: &[i32]) -> JsResult<u32> {
    put(get(h)?.reshape_infer(&axes(s)).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn permute(h: u32, dims: &[i32]) -> JsResult<u32> {
    let t = get(h)?;
    let r = t.rank() as i32;
    let d: Vec<usize> = dims.iter().map(|&x| if x < 0 { (x + r).max(0) as usize } else { x as usize }).collect();
    put(t.permute(&d).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn transpose(h: u32, d0: i32, d1: i32) -> JsResult<u32> {
    put(get(h)?.transpose(d0 as isize, d1 as isize).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn expand(h: u32, s: &[u32]) -> JsResult<u32> {
    put(get(h)?.expand(&shape(s)).map_err(js_err)?)
}

/// `start`/`end` undefined mean the dimension's bounds.
#[wasm_bindgen]
pub fn slice(h: u32, dim: i32, start: Option<i32>, end: Option<i32>, step: u32) -> JsResult<u32> {
    put(get(h)?
        .slice(dim as isize, start.map(|v| v as isize), end.map(|v| v as isize), step as usize)
        .map_err(js_err)?)
}

#[wasm_bindgen]
pub fn select(h: u32, dim: i32, index: i32) -> JsResult<u32> {
    put(get(h)?.select(dim as isize, index as isize).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn unsqueeze(h: u32, dim: i32) -> JsResult<u32> {
    put(get(h)?.unsqueeze(dim as isize).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn squeeze(h: u32, dim: Option<i32>) -> JsResult<u32> {
    put(get(h)?.squeeze(dim.map(|d| d as isize)).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn flatten(h: u32, start: i32, end: i32) -> JsResult<u32> {
    put(get(h)?.flatten(start as isize, end as isize).map_err(js_err)?)
}

fn tensors(hs: &[u32]) -> JsResult<Vec<Tensor>> {
    hs.iter().map(|&h| get(h)).collect()
}

#[wasm_bindgen]
pub fn cat(hs: &[u32], dim: i32) -> JsResult<u32> {
    put(Tensor::cat(&tensors(hs)?, dim as isize).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn stack(hs: &[u32], dim: i32) -> JsResult<u32> {
    put(Tensor::stack(&tensors(hs)?, dim as isize).map_err(js_err)?)
}

/// `pads` = [before0, after0, before1, after1, ...] for the trailing dims, outermost first.
#[wasm_bindgen]
pub fn pad(h: u32, pads: &[u32]) -> JsResult<u32> {
    if !pads.len().is_multiple_of(2) {
        return Err(crate::js_range_error(&format!("pad: expected (before, after) pairs, got {} numbers", pads.len())));
    }
    let p: Vec<(usize, usize)> = pads.chunks(2).map(|c| (c[0] as usize, c[1] as usize)).collect();
    put(get(h)?.pad(&p).map_err(js_err)?)
}
