//! The GPU exports of the threaded (CPU-only) build: the same JS surface as `gpu.rs`, without
//! WebGPU (moving and reading tensors is `transfer.rs`, shared by both builds). WebGPU objects cannot move between threads, so the threaded build leaves the backend
//! out; the loader (`ts/wasm.ts`) loads the single-threaded build when the GPU is wanted.

use crate::JsResult;
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
