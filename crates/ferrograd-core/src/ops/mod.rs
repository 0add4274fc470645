//! Tensor-level ops: validate (errors name the op and shapes), run the backend kernel, record
//! the primitive for autograd. Split by op family.

mod conv;
mod elementwise;
mod matmul;
mod movement;
mod nn;
mod pool;
mod reduce;

pub use nn::BatchNormState;
pub use pool::PoolOptions;
