/**
 * Threads for the CPU kernels: `setNumThreads(n)` / `getNumThreads()`, as PyTorch's
 * `torch.set_num_threads` / `torch.get_num_threads`.
 *
 * Results do not depend on the thread count: every kernel splits its work by problem size
 * only and combines partial sums in a fixed order, so 1, 2 or 8 threads give bit-identical
 * outputs and gradients (PyTorch does not promise this).
 * @module
 */
import { growPool, loadedVariant, wasm } from '../wasm.js';

let noticeShown = false;

/**
 * Sets how many threads (the calling one included) the CPU kernels use. With the threaded
 * build loaded, more pool workers are started when needed; the returned promise resolves
 * with the count in effect once they run (kernels use the workers that are ready). With the
 * single-threaded build (no cross-origin isolation, a page's main thread, `threads: 1`, or the
 * GPU) it stays 1 and says why, once.
 */
export function setNumThreads(n: number): Promise<number> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  const { variant, noThreadsReason } = loadedVariant();
  if (variant !== 'threads') {
    if (n > 1 && !noticeShown) {
      noticeShown = true;
      console.warn(`ferrograd: setNumThreads(${n}): the single-threaded build is loaded (${noThreadsReason ?? 'threads unavailable'}); kernels run on one thread`);
    }
    return Promise.resolve(1);
  }
  return growPool(n).then(() => {
    wasm().setNumThreads(n);
    return getNumThreads();
  });
}

/** Threads the CPU kernels use (1 with the single-threaded build). */
export function getNumThreads(): number {
  const { variant, workers } = loadedVariant();
  if (variant !== 'threads') return 1;
  return Math.min(wasm().getNumThreads(), workers + 1);
}

/** What is loaded: the build variant, threads in use, and why threads are off if they are. */
export interface ThreadsInfo {
  /** `'threads'` (thread pool, CPU only) or `'simd'` (single-threaded, with the WebGPU backend). */
  variant: 'simd' | 'threads';
  /** Whether the kernels use relaxed SIMD (FMA); see `init({ relaxedSimd })`. */
  relaxedSimd: boolean;
  threads: number;
  /** Pool workers started (threads - 1 or more). */
  workers: number;
  /** Why the single-threaded build is loaded, when it is. */
  reason?: string;
}

export function threadsInfo(): ThreadsInfo {
  const { variant, relaxedSimd, workers, noThreadsReason } = loadedVariant();
  wasm();
  return { variant: variant ?? 'simd', relaxedSimd, threads: getNumThreads(), workers, ...(variant !== 'threads' && noThreadsReason ? { reason: noThreadsReason } : {}) };
}
