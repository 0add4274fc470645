// The threaded build in Node (worker_threads pool): outputs and gradients of every parallel
// kernel and a LeNet training run are bit-identical on 1, 2 and 4 threads and to the
// single-threaded build (a child process with FERROGRAD_THREADS=1), loss for loss.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { firstDifference, maxRelativeDifference, specialValues, threadWorkload, workloadByThreads, type Lib, type Results } from './threads_cases.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs test/threads_child.ts in a fresh Node with `threads` (FERROGRAD_THREADS) and `flags`. */
function child(threads: string, mode = 'workload', flags: string[] = []): unknown {
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', 'test/threads_child.ts', mode], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, FERROGRAD_THREADS: threads },
    maxBuffer: 256 << 20,
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`threads_child ${threads} ${mode} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

let lib: Lib;
beforeAll(async () => {
  // Four threads whatever the machine has: read by the Node entry when it loads the core.
  process.env['FERROGRAD_THREADS'] = '4';
  lib = (await import('ferrograd')) as Lib;
});

describe('threaded build in Node', () => {
  it('loads the threaded build with the requested pool', async () => {
    // Node 20 has no relaxed SIMD (its probe fails), so the SIMD128 threaded build loads
    expect(lib.threadsInfo()).toEqual({ variant: 'threads', relaxedSimd: false, threads: 4, workers: 3 });
    expect(lib.getNumThreads()).toBe(4);
    expect(await lib.setNumThreads(2)).toBe(2);
    expect(lib.getNumThreads()).toBe(2);
    expect(() => lib.setNumThreads(0)).toThrow(/positive integer/);
  });

  let byThreads: Results[] = [];
  it('gives bit-identical outputs and gradients on 1, 2 and 4 threads', async () => {
    byThreads = await workloadByThreads(lib);
    expect(Object.keys(byThreads[0]!).length).toBeGreaterThan(20);
    expect(firstDifference(byThreads[0]!, byThreads[1]!)).toBeUndefined();
    expect(firstDifference(byThreads[0]!, byThreads[2]!)).toBeUndefined();
    // the LeNet run trains: its loss goes down
    const losses = new Float32Array(new Uint32Array(byThreads[0]!['lenet.losses']!).buffer);
    expect(losses.length).toBe(5);
    expect(losses[4]!).toBeLessThan(losses[0]!);
  });

  it('matches the single-threaded build bit for bit, the training loss step for step', () => {
    const single = child('1') as { info: { variant: string }; results: Results; special: Results };
    expect(single.info.variant).toBe('simd');
    expect(byThreads.length).toBe(3);
    expect(firstDifference(single.results, byThreads[2]!)).toBeUndefined();
    expect(firstDifference(single.special, specialValues(lib))).toBeUndefined();
  });

  it('relaxed SIMD (Node with its flag): FMA kernels close to SIMD128, and every other value bit-identical', async () => {
    // Node 20 validates relaxed SIMD only behind this flag; browsers, Deno and Node >= 21 by default
    type Child = { info: { variant: string; relaxedSimd: boolean }; results: Results; special: Results };
    const relaxed = child('2', 'workload', ['--experimental-wasm-relaxed-simd']) as Child;
    expect(relaxed.info).toMatchObject({ variant: 'threads', relaxedSimd: true });
    await lib.setNumThreads(2);
    const plain = threadWorkload(lib);
    expect(firstDifference(plain, relaxed.results)).toBeDefined();
    expect(maxRelativeDifference(plain, relaxed.results)).toBeLessThan(1e-3);
    expect(firstDifference(specialValues(lib), relaxed.special)).toBeUndefined();
    const single = child('1', 'workload', ['--experimental-wasm-relaxed-simd']) as Child;
    expect(single.info).toMatchObject({ variant: 'simd', relaxedSimd: true });
    expect(firstDifference(single.results, relaxed.results)).toBeUndefined();
  });

  it('asking for the GPU before any tensor exists reloads the single-threaded build', () => {
    const r = child('2', 'gpu-first') as { before: string; after: { variant: string; threads: number; reason?: string }; gpu: string };
    expect(r.before).toBe('threads');
    expect(r.after).toMatchObject({ variant: 'simd', threads: 1, reason: expect.stringMatching(/WebGPU/) });
  });

  it('initGpu with tensors alive on the threaded build fails with a clear message', async () => {
    const keep = lib.zeros([2]);
    await expect(lib.initGpu()).rejects.toThrow(/threaded CPU build.*FERROGRAD_THREADS=1/);
    expect(() => lib.zeros([1], { device: 'gpu' })).toThrow();
    expect(lib.threadsInfo().variant).toBe('threads');
    expect(keep.shape).toEqual([2]);
  });
});
