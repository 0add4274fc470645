//! How kernels split their work into tasks, and the thread pool that runs them.
//!
//! Results must not depend on the number of threads: the task list is a function of the problem
//! size only, every output element is written by one task with a fixed sequence of operations,
//! and reductions across tasks combine per-task partials in task order. Which thread runs a task
//! (or whether the tasks run serially) never changes a bit of the result.
//!
//! The pool is ours rather than rayon's: the calling thread takes tasks too, and idle workers
//! claim the rest from a shared counter. A worker that wakes late (another process holds the
//! core, which is common on a busy 2-core machine) then only means the caller does more of the
//! tasks itself, never that the caller sits waiting for it to start. Workers are OS threads
//! natively; in wasm they are JS workers (Web Workers, `worker_threads`) that instantiate the
//! module on the shared memory and call [`worker_main`].

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// Below this much estimated work (multiply-adds, or elements for memory-bound ops) a region
/// runs serially on the caller: waking a worker costs more than the work.
pub const MIN_PARALLEL_WORK: usize = 1 << 15;
/// Most threads a pool may use (a sanity cap for `set_num_threads`).
pub const MAX_THREADS: usize = 64;

static THREADS: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// Set while this thread runs a pool task: nested regions run serially inside it.
    static IN_TASK: Cell<bool> = const { Cell::new(false) };
    /// Per-thread overrides for tests: (threads, minimum work); 0 threads = the global setting.
    static OVERRIDE: Cell<(usize, usize)> = const { Cell::new((0, MIN_PARALLEL_WORK)) };
}

/// Sets how many threads (the caller included) parallel regions use; clamped to
/// `1..=MAX_THREADS`. Natively the workers are spawned on first use; in wasm the JS host starts
/// them (regions use only the workers that have registered).
pub fn set_num_threads(n: usize) {
    THREADS.store(n.clamp(1, MAX_THREADS), Ordering::Relaxed);
}

/// The thread count set by [`set_num_threads`] (default 1).
pub fn num_threads() -> usize {
    THREADS.load(Ordering::Relaxed)
}

/// Runs `f` with `n` threads and no minimum work per region on this thread only (tests: every
/// region with more than one task goes through the pool).
pub fn with_threads<R>(n: usize, f: impl FnOnce() -> R) -> R {
    struct Restore((usize, usize));
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|o| o.set(self.0));
        }
    }
    let _restore = Restore(OVERRIDE.with(|o| o.replace((n.clamp(1, MAX_THREADS), 0))));
    f()
}

/// Threads the next region may use, and its minimum work.
fn config() -> (usize, usize) {
    let (t, min) = OVERRIDE.with(|o| o.get());
    (if t == 0 { num_threads() } else { t }, min)
}

/// Runs `f(0..tasks)`, on the pool when there are several tasks and `work` (the estimated cost
/// of all of them) is worth it. Tasks must be independent: any of them may run on any thread,
/// in any order.
pub fn for_each_task(tasks: usize, work: usize, f: impl Fn(usize) + Sync) {
    let (threads, min_work) = config();
    if tasks <= 1 || threads <= 1 || work < min_work || IN_TASK.with(|t| t.get()) {
        for i in 0..tasks {
            f(i);
        }
        return;
    }
    pool::run(tasks, threads, &f);
}

/// Runs `f(i, chunk)` for the `i`-th `chunk_len` piece of `out` (the last may be shorter).
pub fn for_each_chunk_mut<T: Send>(out: &mut [T], chunk_len: usize, work: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if chunk_len == 0 || out.is_empty() {
        return;
    }
    let (len, tasks) = (out.len(), out.len().div_ceil(chunk_len));
    let base = SendPtr(out.as_mut_ptr());
    for_each_task(tasks, work, |i| {
        let start = i * chunk_len;
        let n = chunk_len.min(len - start);
        // SAFETY: task i owns elements [i·chunk_len, i·chunk_len + n) of `out`, which the tasks
        // partition; `out` is borrowed mutably for the whole region, so nothing else aliases it.
        let chunk = unsafe { std::slice::from_raw_parts_mut(base.get().add(start), n) };
        f(i, chunk);
    });
}

/// Runs `f(i, out_plane)` for each `plane`-element piece of `out` (a feature map, a row),
/// several planes per task so that each task has a few thousand elements of work.
pub fn for_each_plane<T: Send>(out: &mut [T], plane: usize, work: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if plane == 0 {
        return;
    }
    let per_task = (PLANE_TASK_ELEMS / plane).max(1);
    for_each_chunk_mut(out, per_task * plane, work, |t, chunk| {
        for (j, o) in chunk.chunks_exact_mut(plane).enumerate() {
            f(t * per_task + j, o);
        }
    });
}

const PLANE_TASK_ELEMS: usize = 4096;

/// Computes `f(task)` for `tasks` tasks into per-task `len`-element partials (each starting
/// zeroed), then sums the partials into `out` in task order.
pub fn reduce_tasks(out: &mut [f32], tasks: usize, work: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    let len = out.len();
    if tasks == 1 {
        out.fill(0.0);
        f(0, out);
        return;
    }
    let mut partials = super::alloc::zeroed(tasks * len);
    for_each_chunk_mut(&mut partials, len, work, |t, p| f(t, p));
    out.copy_from_slice(&partials[..len]);
    // The combine is elementwise, so it can be split by element with the same order per element.
    let parts = &partials;
    for_each_chunk_mut(out, COMBINE_CHUNK, len * tasks, |c, o| {
        let at = c * COMBINE_CHUNK;
        for p in parts[len..].chunks_exact(len) {
            for (o, &v) in o.iter_mut().zip(&p[at..]) {
                *o += v;
            }
        }
    });
    super::alloc::recycle(partials);
}

const COMBINE_CHUNK: usize = 1 << 14;

/// A raw pointer that tasks on other threads may use (each on its own disjoint range).
pub struct SendPtr<T>(pub *mut T);
impl<T> Clone for SendPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SendPtr<T> {}
// SAFETY: only used to hand disjoint ranges of one exclusively borrowed buffer to tasks.
unsafe impl<T> Send for SendPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SendPtr<T> {}
impl<T> SendPtr<T> {
    /// A method (not field access) so closures capture the whole `SendPtr`, which is `Sync`.
    #[inline(always)]
    pub fn get(self) -> *mut T {
        self.0
    }
}

/// Registers the calling thread as a pool worker and serves regions forever (wasm: the JS
/// worker calls this after instantiating the module on the shared memory).
pub fn worker_main() -> ! {
    let id = pool::POOL.registered.fetch_add(1, Ordering::AcqRel);
    pool::serve(id)
}

/// A flag the JS host raises (with `Atomics.store` + `Atomics.notify` on this address) when a
/// pool worker died: a trap in a wasm worker cannot unwind into the pool, and the caller would
/// otherwise wait forever for the task it had claimed. The caller then panics instead of hanging.
pub fn worker_died_flag() -> *const AtomicU32 {
    &pool::WORKER_DIED
}

/// Workers registered so far (wasm) or spawned (native).
pub fn workers() -> usize {
    pool::POOL.registered.load(Ordering::Acquire)
}

/// Tasks run by workers (not callers) so far: shows whether the pool takes part.
pub fn worker_tasks() -> usize {
    pool::WORKER_TASKS.load(Ordering::Relaxed)
}

mod pool {
    use super::*;

    /// A region: `f` and its task count. The lifetime is erased; see the SAFETY note in `run`.
    #[derive(Clone, Copy)]
    struct Job {
        f: *const (dyn Fn(usize) + Sync + 'static),
        tasks: usize,
    }
    // SAFETY: `f` is Sync, and `run` keeps it alive while any task of its epoch can run.
    unsafe impl Send for Job {}

    struct Slot {
        job: Option<Job>,
        epoch: u32,
        /// Workers with an id below this take part in the current region.
        helpers: usize,
        sleepers: usize,
    }

    pub(super) struct Pool {
        slot: Mutex<Slot>,
        wake: Condvar,
        /// Mirrors `Slot::epoch` for workers spinning without the lock.
        epoch: AtomicU32,
        /// `epoch << 32 | next task`: a claim only succeeds for the region it was read for.
        claim: AtomicU64,
        done: AtomicUsize,
        finished: Mutex<()>,
        finished_cv: Condvar,
        panicked: AtomicBool,
        /// One region at a time (tests call kernels from several threads at once).
        submit: Mutex<()>,
        pub(super) registered: AtomicUsize,
        #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
        spawning: Mutex<()>,
    }

    pub(super) static WORKER_TASKS: AtomicUsize = AtomicUsize::new(0);
    pub(super) static WORKER_DIED: AtomicU32 = AtomicU32::new(0);
    /// How often a waiting caller looks at [`WORKER_DIED`].
    const DEATH_CHECK: std::time::Duration = std::time::Duration::from_millis(200);

    pub(super) static POOL: Pool = Pool {
        slot: Mutex::new(Slot { job: None, epoch: 0, helpers: 0, sleepers: 0 }),
        wake: Condvar::new(),
        epoch: AtomicU32::new(0),
        claim: AtomicU64::new(0),
        done: AtomicUsize::new(0),
        finished: Mutex::new(()),
        finished_cv: Condvar::new(),
        panicked: AtomicBool::new(false),
        submit: Mutex::new(()),
        registered: AtomicUsize::new(0),
        spawning: Mutex::new(()),
    };

    /// Spin iterations before a worker sleeps after a region (back-to-back kernels of one
    /// training step find it awake), and before the caller sleeps waiting for the last tasks.
    const WORKER_SPIN: u32 = 1 << 16;
    const CALLER_SPIN: u32 = 1 << 14;

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        // A task panic is caught and re-raised on the caller, so poisoning carries no meaning.
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Natively, spawns OS threads until `helpers` workers exist. In wasm, the JS host starts
    /// workers; regions use those that registered.
    fn ensure_workers(helpers: usize) -> usize {
        #[cfg(not(target_arch = "wasm32"))]
        if POOL.registered.load(Ordering::Acquire) < helpers {
            let _g = lock(&POOL.spawning);
            while POOL.registered.load(Ordering::Acquire) < helpers {
                let id = POOL.registered.fetch_add(1, Ordering::AcqRel);
                let spawned = std::thread::Builder::new().name(format!("ferrograd-{id}")).spawn(move || serve(id));
                if spawned.is_err() {
                    POOL.registered.fetch_sub(1, Ordering::AcqRel);
                    break;
                }
            }
        }
        helpers.min(POOL.registered.load(Ordering::Acquire))
    }

    pub(super) fn run(tasks: usize, threads: usize, f: &(dyn Fn(usize) + Sync)) {
        let helpers = ensure_workers(threads - 1);
        if helpers == 0 {
            for i in 0..tasks {
                f(i);
            }
            return;
        }
        let _submit = lock(&POOL.submit);
        // SAFETY: the erased lifetime never outlives `f`: a task is only run after a successful
        // claim for this region's epoch, and this function returns only once every task of the
        // epoch has finished (done == tasks); later claims fail on the epoch check.
        let f: &'static (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(f) };
        let job = Job { f, tasks };
        let epoch = {
            let mut s = lock(&POOL.slot);
            s.epoch = s.epoch.wrapping_add(1);
            s.job = Some(job);
            s.helpers = helpers;
            POOL.done.store(0, Ordering::Release);
            POOL.claim.store((s.epoch as u64) << 32, Ordering::Release);
            POOL.epoch.store(s.epoch, Ordering::Release);
            if s.sleepers > 0 {
                POOL.wake.notify_all();
            }
            s.epoch
        };
        work(job, epoch);
        let mut spins = 0u32;
        while POOL.done.load(Ordering::Acquire) < tasks {
            if spins < CALLER_SPIN {
                spins += 1;
                std::hint::spin_loop();
                continue;
            }
            if WORKER_DIED.load(Ordering::Acquire) != 0 {
                panic!("a thread-pool worker died (see the error above); this instance cannot continue");
            }
            let g = lock(&POOL.finished);
            if POOL.done.load(Ordering::Acquire) < tasks {
                drop(POOL.finished_cv.wait_timeout(g, DEATH_CHECK).unwrap_or_else(|e| e.into_inner()));
            }
        }
        lock(&POOL.slot).job = None;
        if POOL.panicked.swap(false, Ordering::AcqRel) {
            panic!("a parallel task panicked");
        }
    }

    /// Claims and runs tasks of region `epoch` until none are left.
    fn work(job: Job, epoch: u32) -> usize {
        let mut ran = 0;
        loop {
            let cur = POOL.claim.load(Ordering::Acquire);
            let i = (cur & 0xffff_ffff) as usize;
            if (cur >> 32) as u32 != epoch || i >= job.tasks {
                return ran;
            }
            ran += 1;
            if POOL.claim.compare_exchange_weak(cur, cur + 1, Ordering::AcqRel, Ordering::Acquire).is_err() {
                continue;
            }
            IN_TASK.with(|t| t.set(true));
            // SAFETY: the claim succeeded for this epoch, so `run` is still waiting for task i
            // and `f` is alive (see `run`).
            let f = unsafe { &*job.f };
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(i))).is_ok();
            IN_TASK.with(|t| t.set(false));
            if !ok {
                POOL.panicked.store(true, Ordering::Release);
            }
            if POOL.done.fetch_add(1, Ordering::AcqRel) + 1 == job.tasks {
                let _g = lock(&POOL.finished);
                POOL.finished_cv.notify_all();
            }
        }
    }

    pub(super) fn serve(id: usize) -> ! {
        let mut seen = POOL.epoch.load(Ordering::Acquire);
        loop {
            let mut spins = 0;
            while POOL.epoch.load(Ordering::Acquire) == seen && spins < WORKER_SPIN {
                spins += 1;
                std::hint::spin_loop();
            }
            let job = {
                let mut s = lock(&POOL.slot);
                while s.epoch == seen {
                    s.sleepers += 1;
                    s = POOL.wake.wait(s).unwrap_or_else(|e| e.into_inner());
                    s.sleepers -= 1;
                }
                seen = s.epoch;
                if id < s.helpers {
                    s.job
                } else {
                    None
                }
            };
            if let Some(job) = job {
                let n = work(job, seen);
                WORKER_TASKS.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_runs_once_on_any_thread_count() {
        for threads in [1, 2, 4] {
            with_threads(threads, || {
                for tasks in [0usize, 1, 2, 3, 17, 1000] {
                    let hits: Vec<AtomicUsize> = (0..tasks).map(|_| AtomicUsize::new(0)).collect();
                    for_each_task(tasks, 0, |i| {
                        hits[i].fetch_add(1, Ordering::Relaxed);
                    });
                    assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1), "{threads} threads, {tasks} tasks");
                }
                let mut v = vec![0u32; 1003];
                for_each_chunk_mut(&mut v, 10, 0, |i, c| c.iter_mut().for_each(|x| *x += i as u32 + 1));
                assert!(v.iter().enumerate().all(|(j, &x)| x == (j / 10) as u32 + 1));
            });
        }
    }

    #[test]
    fn nested_regions_run_serially_inside_a_task() {
        with_threads(4, || {
            let total = AtomicUsize::new(0);
            for_each_task(8, 0, |_| {
                for_each_task(8, 0, |_| {
                    total.fetch_add(1, Ordering::Relaxed);
                });
            });
            assert_eq!(total.load(Ordering::Relaxed), 64);
        });
    }

    #[test]
    fn reductions_do_not_depend_on_the_thread_count() {
        let data: Vec<f32> = (0..50_000).map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 1e-3).collect();
        let sum = |threads| {
            with_threads(threads, || {
                let mut out = vec![0.0f32; 3];
                reduce_tasks(&mut out, 13, 0, |t, p| {
                    for (j, &v) in data.iter().enumerate().skip(t).step_by(13) {
                        p[j % 3] += v;
                    }
                });
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            })
        };
        assert_eq!(sum(1), sum(2));
        assert_eq!(sum(1), sum(4));
    }

    #[test]
    fn a_task_panic_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| {
            with_threads(2, || for_each_task(64, 0, |i| assert!(i != 40, "task 40 fails")));
        });
        assert!(r.is_err());
        // the pool still works afterwards
        with_threads(2, || {
            let n = AtomicUsize::new(0);
            for_each_task(64, 0, |_| {
                n.fetch_add(1, Ordering::Relaxed);
            });
            assert_eq!(n.load(Ordering::Relaxed), 64);
        });
    }
}
