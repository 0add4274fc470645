/// <reference types="vite/client" />
// The threaded build in headless Chromium: in a module Worker of a cross-origin-isolated page,
// init() loads it with a pool of nested workers; its outputs, gradients and LeNet losses are
// bit-identical on 1, 2 and 4 threads and to the single-threaded build, which the page's main
// thread (which may not block) keeps.
import { describe, expect, it } from 'vitest';
import * as lib from 'ferrograd';
import { firstDifference, threadWorkload, type Lib, type Results } from '../threads_cases.js';

interface Reply {
  info?: { variant: string; threads: number; workers: number };
  isolated?: boolean;
  results?: Results[];
  error?: string;
}

function runWorker(): Promise<Reply> {
  const w = new Worker(new URL('./threads.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<Reply>((resolve, reject) => {
    w.onmessage = (e: MessageEvent<Reply>) => resolve(e.data);
    w.onerror = (e) => reject(new Error(`threads worker failed: ${e.message}`));
    w.postMessage('go');
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
    expect(reply.info).toEqual({ variant: 'threads', threads: 4, workers: 3 });
    const [one, two, four] = reply.results!;
    expect(firstDifference(one!, two!)).toBeUndefined();
    expect(firstDifference(one!, four!)).toBeUndefined();
    await lib.init();
    const single = threadWorkload(lib as Lib);
    expect(firstDifference(single, four!)).toBeUndefined();
  });
});
