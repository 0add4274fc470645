//! Reverse-mode autodiff over the recorded primitives. Every op kind is one variant of [`Op`]
//! and has its gradient rule in the single `match` of [`backward`]; composites (softmax,
//! batch-norm, cross-entropy, ...) are differentiated through the primitives they are built from.

mod backward;
mod op;

pub use backward::backward;
pub use op::Op;
