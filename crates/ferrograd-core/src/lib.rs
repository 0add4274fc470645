//! ferrograd-core: f32 tensors, the backend op set (CPU here; GPU beside it), and reverse-mode
//! autograd. Pure Rust: it builds and tests natively; the wasm facade lives in `ferrograd-wasm`.

pub mod autograd;
pub mod backend;
mod error;
mod ops;
pub mod rng;
pub mod runtime;
pub mod shape;
mod tensor;
mod transfer;

pub use backend::Device;
pub use backend::PoolDivisor;
pub use error::{Error, ErrorKind, Result};
pub use ops::{BatchNormState, PoolOptions};
pub use tensor::{
    is_grad_enabled, live_buffers, live_tensors, no_grad, peak_buffer_bytes, set_grad_enabled, Tensor, TensorId,
};
pub use transfer::ReadBack;

impl Tensor {
    /// Reverse-mode autodiff from this tensor (see [`autograd::backward`]).
    pub fn backward(&self) -> Result<()> {
        autograd::backward(self, None)
    }
    pub fn backward_with(&self, grad: &Tensor) -> Result<()> {
        autograd::backward(self, Some(grad.clone()))
    }
}
