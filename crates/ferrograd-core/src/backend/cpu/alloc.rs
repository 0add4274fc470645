//! A size-keyed pool for tensor buffers. Training repeats the same shapes every step, so a
//! freed activation buffer is almost always the right size for the next one: reusing it keeps
//! the allocator from fragmenting, and the wasm linear memory (which never shrinks) flat.

use crate::Result;
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

/// Checks, before a kernel runs, that `floats` more values (its output) and some headroom for
/// its scratch can be allocated, so running out of memory is an error naming `op` instead of an
/// abort that would kill the wasm instance. Off wasm32 the system allocator is trusted.
///
/// On wasm32 the linear memory can grow to 4 GiB and never shrinks. While it has room to grow by
/// the request and the headroom, nothing is probed; close to the ceiling (or for any request of
/// 16 MiB or more, since a host may cap the memory lower) the bytes are reserved once and given
/// back, which grows the memory now or fails cleanly, and idle pooled buffers are released
/// before giving up.
pub fn ensure(op: &'static str, floats: usize) -> Result<()> {
    #[cfg(target_arch = "wasm32")]
    {
        const PAGE: u64 = 1 << 16;
        const MAX_MEMORY: u64 = 1 << 32;
        const HEADROOM: u64 = 64 << 20;
        const PROBE_ALWAYS: u64 = 16 << 20;
        let need = floats as u64 * 4;
        let headroom = (need / 2).max(HEADROOM);
        let memory = core::arch::wasm32::memory_size::<0>() as u64 * PAGE;
        if need < PROBE_ALWAYS && memory + need + headroom <= MAX_MEMORY {
            return Ok(());
        }
        if probe(need, headroom) {
            return Ok(());
        }
        trim();
        if probe(need, headroom) {
            return Ok(());
        }
        let (_, live) = crate::live_buffers();
        Err(crate::Error::out_of_memory(op, need, live as u64, " and wasm32 memory holds at most 4 GiB"))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (op, floats);
        Ok(())
    }
}

/// Whether `need` and then `headroom` bytes can be allocated (both are given back at once).
#[cfg(target_arch = "wasm32")]
fn probe(need: u64, headroom: u64) -> bool {
    let reserve = |bytes: u64| -> Option<Vec<u8>> {
        let mut v = Vec::new();
        v.try_reserve_exact(usize::try_from(bytes).ok()?).ok()?;
        Some(v)
    };
    let Some(a) = reserve(need) else { return false };
    let ok = reserve(headroom).is_some();
    drop(a);
    ok
}
