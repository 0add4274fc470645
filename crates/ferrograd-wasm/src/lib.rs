//! The wasm-bindgen facade. Tensors stay in Rust; JS holds integer handles into a slab and
//! frees them from its FinalizationRegistry or a library step scope. Every export validates its
//! input and returns `Result`, so bad user input becomes a JS `Error` instead of a trap that
//! would kill the instance.

mod autograd;
mod creation;
// The threaded build is CPU-only (see Cargo.toml): the same exports, without WebGPU.
#[cfg_attr(all(target_arch = "wasm32", target_feature = "atomics"), path = "gpu_off.rs")]
mod gpu;
mod handles;
mod nn;
mod ops;
mod threads;
mod transfer;
mod tuning;

use wasm_bindgen::prelude::*;

pub use handles::{get, put};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(s: &str);
}

/// Converts a core error into a JS `RangeError` with the op name in the message: the core sees
/// only values the TS layer has already typed (live tensors, safe integers), so what it refuses
/// is a value out of range — shapes that do not fit, a dim past the rank, memory that cannot be
/// served (as JS throws for an `ArrayBuffer` too large).
pub(crate) fn js_err(e: ferrograd_core::Error) -> JsValue {
    let msg = e.to_string();
    match e.kind {
        ferrograd_core::ErrorKind::OutOfMemory | ferrograd_core::ErrorKind::Invalid => {
            js_sys::RangeError::new(&msg).into()
        }
    }
}

/// A JS `RangeError` with this message: an argument value the op cannot take.
pub(crate) fn js_range_error(msg: &str) -> JsValue {
    js_sys::RangeError::new(msg).into()
}

/// A JS `TypeError` with this message: a handle that is not a live tensor of this instance.
pub(crate) fn js_type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(msg).into()
}

/// A JS `Error` with this message.
pub(crate) fn js_error(msg: &str) -> JsValue {
    js_sys::Error::new(msg).into()
}

pub(crate) type JsResult<T> = Result<T, JsValue>;

#[wasm_bindgen(start)]
pub fn start() {
    // A panic is a bug (user input is validated); print it before the trap so it can be reported.
    std::panic::set_hook(Box::new(|info| console_error(&format!("ferrograd internal error (please report): {info}"))));
}

/// Live tensors (views included), live storage buffers and their bytes, slab handles, idle
/// bytes kept in the CPU buffer pool, and the peak of the buffers' bytes since the last
/// [`reset_peak_memory`].
#[wasm_bindgen(js_name = memoryStats)]
pub fn memory_stats() -> Vec<f64> {
    let (buffers, bytes) = ferrograd_core::live_buffers();
    let pooled = ferrograd_core::runtime::memory::pooled_bytes();
    let peak = ferrograd_core::peak_buffer_bytes(false);
    vec![
        ferrograd_core::live_tensors() as f64,
        buffers as f64,
        bytes as f64,
        handles::count() as f64,
        pooled as f64,
        peak as f64,
    ]
}

/// Starts a new peak (`torch.cuda.reset_peak_memory_stats`): from now on the peak counts from the
/// bytes live now.
#[wasm_bindgen(js_name = resetPeakMemory)]
pub fn reset_peak_memory() {
    ferrograd_core::peak_buffer_bytes(true);
}

/// Returns idle pooled buffers to the allocator (the linear memory itself cannot shrink).
#[wasm_bindgen(js_name = trimMemory)]
pub fn trim_memory() {
    ferrograd_core::runtime::memory::trim();
}

#[wasm_bindgen(js_name = buildInfo)]
pub fn build_info() -> String {
    let simd = cfg!(target_feature = "simd128");
    let threads = cfg!(target_feature = "atomics");
    format!("{{\"version\":\"{}\",\"simd128\":{simd},\"threads\":{threads}}}", env!("CARGO_PKG_VERSION"))
}
