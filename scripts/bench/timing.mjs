// Timing helpers: warm-up, then the median of repeated runs. A run is repeated until it has
// lasted `minMs` in total (at least `minReps` times) so short kernels are not timer-bound.
import { performance } from 'node:perf_hooks';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Milliseconds per call of `fn` (median of `samples` batches, and the fastest batch). `fn` is
 * warmed up for at least `warmup` calls and `warmupMs`: V8 first runs wasm through its baseline
 * compiler and swaps in optimised code only after a function has been hot for a while.
 * Each sample times `inner` back-to-back calls, with `inner` chosen so a sample lasts about
 * `sampleMs`.
 */
export function timeMs(fn, { warmup = 2, warmupMs = 400, samples = 7, sampleMs = 60 } = {}) {
  const w0 = performance.now();
  for (let i = 0; i < warmup || performance.now() - w0 < warmupMs; i++) fn();
  const t0 = performance.now();
  fn();
  const once = Math.max(performance.now() - t0, 1e-3);
  const inner = Math.max(1, Math.round(sampleMs / once));
  const times = [];
  for (let s = 0; s < samples; s++) {
    const t = performance.now();
    for (let i = 0; i < inner; i++) fn();
    times.push((performance.now() - t) / inner);
  }
  return { ms: median(times), best: Math.min(...times), samples: times.length, inner };
}
