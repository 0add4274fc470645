use crate::{get, js_err, put, JsResult};
use ferrograd_core::{rng, Device, Tensor};
use wasm_bindgen::prelude::*;

pub(crate) fn shape(s: &[u32]) -> Vec<usize> {
    s.iter().map(|&d| d as usize).collect()
}

pub(crate) fn device(code: u32) -> JsResult<Device> {
    crate::gpu::device(code)
}

#[wasm_bindgen(js_name = fromF32)]
pub fn from_f32(data: &[f32], shape_: &[u32], dev: u32) -> JsResult<u32> {
    put(Tensor::from_slice(data, &shape(shape_), &device(dev)?).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn zeros(shape_: &[u32], dev: u32) -> JsResult<u32> {
    put(Tensor::zeros(&shape(shape_), &device(dev)?).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn ones(shape_: &[u32], dev: u32) -> JsResult<u32> {
    put(Tensor::ones(&shape(shape_), &device(dev)?).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn full(shape_: &[u32], value: f32, dev: u32) -> JsResult<u32> {
    put(Tensor::full(&shape(shape_), value, &device(dev)?).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn rand(shape_: &[u32], lo: f32, hi: f32, dev: u32) -> JsResult<u32> {
    put(Tensor::rand(&shape(shape_), lo, hi, &device(dev)?).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn randn(shape_: &[u32], mean: f32, std: f32, dev: u32) -> JsResult<u32> {
    put(Tensor::randn(&shape(shape_), mean, std, &device(dev)?).map_err(js_err)?)
}

#[wasm_bindgen]
pub fn arange(start: f32, end: f32, step: f32, dev: u32) -> JsResult<u32> {
    put(Tensor::arange(start, end, step, &device(dev)?).map_err(js_err)?)
}

/// Seeds the generator used by rand/randn/dropout/shuffling (`torch.manual_seed`).
#[wasm_bindgen(js_name = manualSeed)]
pub fn manual_seed(seed: f64) {
    rng::manual_seed(seed as u64);
}

/// The whole RNG state as `[seed, counter]` (each below 2^53 in practice), for checkpoints.
#[wasm_bindgen(js_name = rngState)]
pub fn rng_state() -> Vec<f64> {
    let s = rng::get_state();
    vec![s.seed as f64, s.counter as f64]
}

#[wasm_bindgen(js_name = setRngState)]
pub fn set_rng_state(seed: f64, counter: f64) {
    rng::set_state(rng::RngState { seed: seed as u64, counter: counter as u64 });
}

/// A random permutation of `0..n` from the seeded generator (data shuffling).
#[wasm_bindgen]
pub fn permutation(n: u32) -> Vec<u32> {
    rng::permutation(n as usize)
}

#[wasm_bindgen(js_name = shapeOf)]
pub fn shape_of(h: u32) -> JsResult<Vec<u32>> {
    Ok(get(h)?.shape().iter().map(|&d| d as u32).collect())
}

/// Elements in row-major order (a copy out of wasm memory).
#[wasm_bindgen(js_name = toF32)]
pub fn to_f32(h: u32) -> JsResult<Vec<f32>> {
    get(h)?.to_vec().map_err(js_err)
}

#[wasm_bindgen(js_name = deviceOf)]
pub fn device_of(h: u32) -> JsResult<u32> {
    Ok(crate::gpu::device_code(&get(h)?.device()))
}
