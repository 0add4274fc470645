//! A size-keyed pool for tensor buffers. Training repeats the same shapes every step, so a
//! freed activation buffer is almost always the right size for the next one: reusing it keeps
//! the allocator from fragmenting, and the wasm linear memory (which never shrinks) flat.

use std::cell::RefCell;
use std::collections::HashMap;

/// Buffers smaller than this go straight to the allocator (its small bins handle them well).
const MIN_POOLED: usize = 256;
/// Upper bound of pooled (idle) bytes.
const MAX_POOLED_BYTES: usize = 256 << 20;

#[derive(Default)]
struct Pool {
    free: HashMap<usize, Vec<Vec<f32>>>,
    bytes: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

fn take(n: usize) -> Option<Vec<f32>> {
    if n < MIN_POOLED {
        return None;
    }
    POOL.with(|p| {
        let mut p = p.try_borrow_mut().ok()?;
        let v = p.free.get_mut(&n)?.pop()?;
        p.bytes -= n * 4;
        Some(v)
    })
}

/// A zero-filled buffer of `n` floats.
pub fn zeroed(n: usize) -> Vec<f32> {
    filled(n, 0.0)
}

/// A buffer of `n` floats with unspecified (but initialised) contents, for kernels that
/// overwrite every element: a recycled buffer keeps its old values instead of being zeroed.
pub fn scratch(n: usize) -> Vec<f32> {
    take(n).unwrap_or_else(|| vec![0.0; n])
}

pub fn filled(n: usize, v: f32) -> Vec<f32> {
    match take(n) {
        Some(mut b) => {
            b.fill(v);
            b
        }
        None => vec![v; n],
    }
}

pub fn copied(src: &[f32]) -> Vec<f32> {
    match take(src.len()) {
        Some(mut b) => {
            b.copy_from_slice(src);
            b
        }
        None => src.to_vec(),
    }
}

/// Returns a buffer to the pool (or to the allocator when the pool is full).
pub fn recycle(v: Vec<f32>) {
    let n = v.len();
    if n < MIN_POOLED || v.capacity() != n {
        return;
    }
    POOL.with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            if p.bytes + n * 4 <= MAX_POOLED_BYTES {
                p.bytes += n * 4;
                p.free.entry(n).or_default().push(v);
            }
        }
    });
}

/// Idle pooled bytes (reported with the memory statistics).
pub fn pooled_bytes() -> usize {
    POOL.with(|p| p.try_borrow().map(|p| p.bytes).unwrap_or(0))
}

/// Releases every idle buffer to the allocator.
pub fn trim() {
    POOL.with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            p.free.clear();
            p.bytes = 0;
        }
    });
}
