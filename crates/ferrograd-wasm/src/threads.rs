//! The thread pool from JS. In the threaded build the JS host starts workers that instantiate
//! this module on the shared memory and call `poolWorker()`, which never returns: the worker
//! then serves the pool's parallel regions. `setNumThreads(n)` makes regions use the caller and
//! up to n - 1 registered workers. In the single-threaded build these exist too (one thread).

use ferrograd_core::runtime::threads;
use wasm_bindgen::prelude::*;

/// Threads (the calling one included) that parallel regions use from now on.
#[wasm_bindgen(js_name = setNumThreads)]
pub fn set_num_threads(n: u32) {
    threads::set_num_threads(n as usize);
}

#[wasm_bindgen(js_name = getNumThreads)]
pub fn get_num_threads() -> u32 {
    threads::num_threads() as u32
}

/// Workers that called `poolWorker()` so far.
#[wasm_bindgen(js_name = poolWorkers)]
pub fn pool_workers() -> u32 {
    threads::workers() as u32
}

/// Tasks that workers (not the calling thread) have run so far.
#[wasm_bindgen(js_name = poolWorkerTasks)]
pub fn pool_worker_tasks() -> f64 {
    threads::worker_tasks() as f64
}

/// Whether this build has threads (atomics and a shared memory).
#[wasm_bindgen(js_name = threadsCompiled)]
pub fn threads_compiled() -> bool {
    cfg!(target_feature = "atomics")
}

/// Address (in the shared memory) of the flag a pool worker's host raises when the worker dies
/// (an i32: `Atomics.store(view, addr / 4, 1)`), so a caller waiting on it fails instead of hanging.
#[wasm_bindgen(js_name = poolDeathFlag)]
pub fn pool_death_flag() -> u32 {
    threads::worker_died_flag() as usize as u32
}

/// Entry of a pool worker: registers and serves the pool forever. Only for the threaded build,
/// called from a worker (it blocks).
#[wasm_bindgen(js_name = poolWorker)]
pub fn pool_worker() -> JsResult<()> {
    if !cfg!(target_feature = "atomics") {
        return Err(crate::js_error("poolWorker: this build has no threads"));
    }
    threads::worker_main()
}

use crate::JsResult;
