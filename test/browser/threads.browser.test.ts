/// <reference types="vite/client" />
// The threaded build in headless Chromium: in a module Worker of a cross-origin-isolated page,
// init() loads it with a pool of nested workers; its outputs, gradients and LeNet losses are
// bit-identical on 1, 2 and 4 threads and to the single-threaded build, which the page's main
// thread (which may not block) keeps.
import { describe, expect, it } from 'vitest';
import * as lib from 'ferrograd';
import { firstDifference, maxRelativeDifference, threadWorkload, type Lib, type Results } from '../threads_cases.js';

interface Reply {
  info?: { variant: string; relaxedSimd: boolean; threads: number; workers: number };
  isolated?: boolean;
  results?: Results[];
  special?: Results;
  error?: string;
}

function runWorker(opts: lib.InitOptions = {}): Promise<Reply> {
  const w = new Worker(new URL('./threads.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<Reply>((resolve, reject) => {
    w.onmessage = (e: MessageEvent<Reply>) => resolve(e.data);
    w.onerror = (e) => reject(new Error(`threads worker failed: ${e.message}`));
    w.postMessage(opts);
  }).finally(() => w.terminate());
}

describe('threaded build in Chromium', () => {
  it('the main thread keeps the single-threaded build and says why', async () => {
    await lib.init();
    expect(crossOriginIsolated).toBe(true);
    const info = lib.threadsInfo();
    expect(info.variant).toBe('simd');
    expect(info.threads).toBe(1);
    expect(info.reason).toMatch(/main thread may not block/);
  });

  it('a Worker runs it on a thread pool, bit-identical on 1, 2, 4 threads and to the single-threaded build', async () => {
    const reply = await runWorker();
    expect(reply.error).toBeUndefined();
    expect(reply.isolated).toBe(true);
    await lib.init();
    // Chromium has relaxed SIMD: both builds are the relaxed (FMA) ones, so they still agree
    const relaxed = lib.threadsInfo().relaxedSimd;
    expect(relaxed).toBe(true);
    expect(reply.info).toEqual({ variant: 'threads', relaxedSimd: relaxed, threads: 4, workers: 3 });
    const [one, two, four] = reply.results!;
    expect(firstDifference(one!, two!)).toBeUndefined();
    expect(firstDifference(one!, four!)).toBeUndefined();
    const single = threadWorkload(lib as Lib);
    expect(firstDifference(single, four!)).toBeUndefined();
  });

  it('relaxedSimd: false loads the SIMD128 threaded build: thread-count independent, and close to the FMA one', async () => {
    const [plain, fma] = await Promise.all([runWorker({ relaxedSimd: false }), runWorker()]);
    expect(plain.error).toBeUndefined();
    expect(plain.info).toMatchObject({ variant: 'threads', relaxedSimd: false, threads: 4 });
    const [one, two, four] = plain.results!;
    expect(firstDifference(one!, two!)).toBeUndefined();
    expect(firstDifference(one!, four!)).toBeUndefined();
    // fused multiply-adds round differently (so the FMA kernels did run), and only slightly;
    // everything else (NaN, ±0, ±Infinity through elementwise ops, reductions, pooling) is equal
    expect(firstDifference(one!, fma.results![0]!)).toBeDefined();
    expect(maxRelativeDifference(one!, fma.results![0]!)).toBeLessThan(1e-3);
    expect(firstDifference(plain.special!, fma.special!)).toBeUndefined();
  });
});
