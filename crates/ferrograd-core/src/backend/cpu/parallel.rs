//! How kernels split their work into tasks. Serial today; the helpers take `Fn + Sync`
//! closures and hand each task a disjoint piece of the output, so a rayon pool can run the
//! tasks concurrently later without touching the kernels.
//!
//! Results must not depend on the number of threads: the task list is a function of the problem
//! size only, every output element is written by one task with a fixed sequence of operations,
//! and reductions across tasks combine per-task partials in task order.

/// Runs `f(i, chunk)` for the `i`-th `chunk_len` piece of `out` (the last may be shorter).
pub fn for_each_chunk_mut<T: Send>(out: &mut [T], chunk_len: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if chunk_len == 0 {
        return;
    }
    for (i, chunk) in out.chunks_mut(chunk_len).enumerate() {
        f(i, chunk);
    }
}

/// Computes `f(task)` for `tasks` tasks into per-task `len`-element partials (each starting
/// zeroed), then sums the partials into `out` in task order.
pub fn reduce_tasks(out: &mut [f32], tasks: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    let len = out.len();
    if tasks == 1 {
        out.fill(0.0);
        f(0, out);
        return;
    }
    let mut partials = super::alloc::zeroed(tasks * len);
    for_each_chunk_mut(&mut partials, len, |t, p| f(t, p));
    out.copy_from_slice(&partials[..len]);
    for p in partials[len..].chunks_exact(len) {
        for (o, &v) in out.iter_mut().zip(p) {
            *o += v;
        }
    }
    super::alloc::recycle(partials);
}
