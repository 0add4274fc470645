//! The GPU exports of the threaded (CPU-only) build: the same JS surface as `gpu.rs`, without
//! WebGPU. WebGPU objects cannot move between threads, so the threaded build leaves the backend
//! out; the loader (`ts/wasm.ts`) loads the single-threaded build when the GPU is wanted.

use crate::{get, put, JsResult};
use ferrograd_core::Device;
use wasm_bindgen::prelude::*;

const NO_GPU: &str = "the threaded CPU build of ferrograd is loaded, and it has no WebGPU backend (WebGPU objects cannot cross threads); load the single-threaded build to use the GPU: init({ threads: 1 }) before any tensor is made, or FERROGRAD_THREADS=1 in Node";

pub(crate) fn device(code: u32) -> JsResult<Device> {
    match code {
        0 => Ok(Device::Cpu),
        1 => Err(crate::js_error(&format!("device: {NO_GPU}"))),
        _ => Err(crate::js_error(&format!("device: unknown device code {code}"))),
    }
}

pub(crate) fn device_code(_d: &Device) -> u32 {
    0
}

#[wasm_bindgen(js_name = gpuInit)]
pub async fn gpu_init() -> JsResult<String> {
    Err(crate::js_error(NO_GPU))
}

#[wasm_bindgen(js_name = gpuInfo)]
pub fn gpu_info() -> Option<String> {
    None
}

#[wasm_bindgen(js_name = gpuCompiled)]
pub fn gpu_compiled() -> bool {
    false
}

#[wasm_bindgen(js_name = gpuRelease)]
pub fn gpu_release() {}

#[wasm_bindgen(js_name = gpuMaxBufferBytes)]
pub fn gpu_max_buffer_bytes() -> f64 {
    0.0
}

#[wasm_bindgen(js_name = gpuFlush)]
pub fn gpu_flush() {}

/// Every tensor is on the CPU here: its elements.
#[wasm_bindgen(js_name = readAsync)]
pub async fn read_async(h: u32) -> JsResult<js_sys::Float32Array> {
    let v = get(h)?.to_vec().map_err(crate::js_err)?;
    Ok(js_sys::Float32Array::from(v.as_slice()))
}

#[wasm_bindgen(js_name = readBufferAsync)]
pub async fn read_buffer_async(h: u32) -> JsResult<js_sys::Float32Array> {
    read_async(h).await
}

/// A CPU copy (a new leaf), as the GPU build's `toDevice(h, 0)` makes.
#[wasm_bindgen(js_name = toDevice)]
pub fn to_device(h: u32, code: u32) -> JsResult<u32> {
    device(code)?;
    let t = get(h)?;
    put(Tensor::from_vec(t.to_vec().map_err(crate::js_err)?, t.shape(), &Device::Cpu).map_err(crate::js_err)?)
}

#[wasm_bindgen(js_name = moveToDevice)]
pub fn move_to_device(h: u32, code: u32) -> JsResult<()> {
    device(code)?;
    get(h).map(|_| ())
}

#[wasm_bindgen(js_name = replaceStorage)]
pub fn replace_storage(_h: u32, _data: &[f32], code: u32) -> JsResult<()> {
    device(code)?;
    Err(crate::js_error("replaceStorage: only moves between devices use it, and this build has the CPU alone"))
}

use ferrograd_core::Tensor;
