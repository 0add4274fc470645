//! The GPU from JS: `gpuInit()` requests a WebGPU device (through wgpu, which needs
//! `navigator.gpu` under a Window or WorkerGlobalScope global: the Node host module provides
//! one) and device code 1 names it. Moving and reading tensors is `transfer.rs`, the same in
//! every build.

#[cfg(target_arch = "wasm32")]
use crate::js_err;
use crate::JsResult;
use ferrograd_core::Device;
use wasm_bindgen::prelude::*;

#[cfg(target_arch = "wasm32")]
use ferrograd_core::backend::wgpu::GpuDevice;

#[cfg(target_arch = "wasm32")]
thread_local! {
    static GPU: std::cell::RefCell<Option<GpuDevice>> = const { std::cell::RefCell::new(None) };
}

/// The device a code names: 0 the CPU, 1 the GPU initialised by `gpuInit`.
pub(crate) fn device(code: u32) -> JsResult<Device> {
    match code {
        0 => Ok(Device::Cpu),
        #[cfg(target_arch = "wasm32")]
        1 => GPU.with(|g| g.borrow().clone()).map(Device::Gpu).ok_or_else(|| {
            crate::js_error("device: the GPU is not initialised; call `await initGpu()` first (or use device 'auto')")
        }),
        _ => Err(crate::js_error(&format!("device: unknown device code {code}"))),
    }
}

pub(crate) fn device_code(d: &Device) -> u32 {
    match d {
        Device::Cpu => 0,
        #[cfg(target_arch = "wasm32")]
        Device::Gpu(_) => 1,
    }
}

/// Requests an adapter and device (with the adapter's limits) and compiles every kernel.
/// Resolves to a description of the adapter; rejects with the reason when there is none.
/// A second call replaces the device only if the first was lost or released.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(js_name = gpuInit)]
pub async fn gpu_init() -> JsResult<String> {
    if let Some(d) = GPU.with(|g| g.borrow().clone()).filter(|d| !d.is_lost()) {
        return Ok(d.info().to_string());
    }
    let d = GpuDevice::request().await.map_err(js_err)?;
    d.warm_up().map_err(js_err)?;
    let info = d.info().to_string();
    GPU.with(|g| *g.borrow_mut() = Some(d));
    Ok(info)
}

/// The adapter description, or undefined before `gpuInit` (or after `gpuRelease`).
#[wasm_bindgen(js_name = gpuInfo)]
pub fn gpu_info() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return GPU.with(|g| g.borrow().as_ref().filter(|d| !d.is_lost()).map(|d| d.info().to_string()));
    #[cfg(not(target_arch = "wasm32"))]
    None
}

/// Whether this build contains the GPU backend.
#[wasm_bindgen(js_name = gpuCompiled)]
pub fn gpu_compiled() -> bool {
    cfg!(target_arch = "wasm32")
}

/// Destroys the GPU device (tensors on it then fail clearly), so hosts like Node can exit.
#[wasm_bindgen(js_name = gpuRelease)]
pub fn gpu_release() {
    #[cfg(target_arch = "wasm32")]
    if let Some(d) = GPU.with(|g| g.borrow_mut().take()) {
        d.release();
    }
}

/// Largest GPU buffer in bytes (0 without a GPU).
#[wasm_bindgen(js_name = gpuMaxBufferBytes)]
pub fn gpu_max_buffer_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    return GPU.with(|g| g.borrow().as_ref().map_or(0.0, |d| d.max_buffer_bytes() as f64));
    #[cfg(not(target_arch = "wasm32"))]
    0.0
}

/// Submits the kernels recorded so far (reads do this themselves).
#[wasm_bindgen(js_name = gpuFlush)]
pub fn gpu_flush() {
    #[cfg(target_arch = "wasm32")]
    GPU.with(|g| {
        if let Some(d) = g.borrow().as_ref() {
            d.flush();
        }
    });
}
