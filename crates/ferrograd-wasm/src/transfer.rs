//! Moving tensors between devices and reading them back, in every build: the core's `Tensor`
//! transfer methods, with device codes resolved by `gpu.rs` (or `gpu_off.rs`).

use crate::gpu::device;
use crate::{get, js_err, put, JsResult};
use wasm_bindgen::prelude::*;

/// The elements of any tensor, row-major, without blocking. The slab is not borrowed across
/// the await: the read owns its staging buffer.
#[wasm_bindgen(js_name = readAsync)]
pub async fn read_async(h: u32) -> JsResult<js_sys::Float32Array> {
    let pending = get(h)?.read_async().map_err(js_err)?;
    let v = pending.await.map_err(js_err)?;
    Ok(js_sys::Float32Array::from(v.as_slice()))
}

/// The whole buffer behind a tensor (all its views), for an asynchronous move to the CPU.
#[wasm_bindgen(js_name = readBufferAsync)]
pub async fn read_buffer_async(h: u32) -> JsResult<js_sys::Float32Array> {
    let pending = get(h)?.read_buffer_async().map_err(js_err)?;
    let v = pending.await.map_err(js_err)?;
    Ok(js_sys::Float32Array::from(v.as_slice()))
}

/// A copy on another device (a new leaf; not recorded by autograd).
#[wasm_bindgen(js_name = toDevice)]
pub fn to_device(h: u32, code: u32) -> JsResult<u32> {
    put(get(h)?.to_device(&device(code)?).map_err(js_err)?)
}

/// Moves a tensor's whole buffer in place (parameters keep their identity).
#[wasm_bindgen(js_name = moveToDevice)]
pub fn move_to_device(h: u32, code: u32) -> JsResult<()> {
    get(h)?.move_to_device_(&device(code)?).map_err(js_err)
}

/// Replaces a tensor's whole buffer with `data` on a device (after `readBufferAsync`).
#[wasm_bindgen(js_name = replaceStorage)]
pub fn replace_storage(h: u32, data: &[f32], code: u32) -> JsResult<()> {
    get(h)?.replace_storage(data, &device(code)?).map_err(js_err)
}
