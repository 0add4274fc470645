//! Process-wide controls of the CPU backend: its thread pool and its buffer pool. The wasm
//! facade and the tests reach the backend through these, never through its internals.

/// The CPU thread pool (see `backend/cpu/parallel.rs`).
pub mod threads {
    pub use crate::backend::cpu::parallel::{
        num_threads, set_num_threads, with_threads, worker_died_flag, worker_main, worker_tasks, workers,
    };
}

/// The CPU buffer pool (see `backend/cpu/alloc.rs`).
pub mod memory {
    pub use crate::backend::cpu::alloc::{pooled_bytes, trim};
}

/// Convolution algorithms, for benchmarks that compare them (see `backend/cpu/conv.rs`).
pub mod conv {
    pub use crate::backend::cpu::conv::{set_algorithm, Algo};
}
