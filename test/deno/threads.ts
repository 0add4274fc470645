// runtime-flags: --allow-env --allow-run
// The threaded build under Deno (worker_threads pool), from the shipped bundle: loaded on import,
// bit-identical on 1, 2 and 4 threads and to the single-threaded build (a child Deno with
// FERROGRAD_THREADS=1), and the process exits by itself with the pool alive.
import * as lib from 'ferrograd';
import { firstDifference, threadWorkload, type Lib, type Results } from '../threads_cases.js';

const info = lib.threadsInfo();
if (info.variant !== 'threads') throw new Error(`expected the threaded build, got ${JSON.stringify(info)}`);
const runs: Results[] = [];
for (const n of [1, 2, 4]) {
  if ((await lib.setNumThreads(n)) !== n) throw new Error(`setNumThreads(${n}) gave ${lib.getNumThreads()}`);
  runs.push(threadWorkload(lib as Lib));
}
for (const [i, r] of runs.entries()) {
  const d = firstDifference(runs[0]!, r);
  if (d) throw new Error(`thread count ${[1, 2, 4][i]} differs from 1 thread: ${d}`);
}
const Deno = (globalThis as unknown as { Deno: { execPath(): string; Command: new (cmd: string, o: object) => { outputSync(): { code: number; stdout: Uint8Array; stderr: Uint8Array } } } }).Deno;
const child = new Deno.Command(Deno.execPath(), {
  args: ['run', '--allow-read', '--allow-env', '--unstable-sloppy-imports', new URL('./_threads_child.ts', import.meta.url).pathname],
  env: { FERROGRAD_THREADS: '1' },
}).outputSync();
const text = new TextDecoder();
if (child.code !== 0) throw new Error(`single-threaded child failed: ${text.decode(child.stderr)}`);
const single = JSON.parse(text.decode(child.stdout).trim().split('\n').pop()!) as { variant: string; results: Results };
if (single.variant !== 'simd') throw new Error(`the child loaded ${single.variant}, expected simd`);
const d = firstDifference(single.results, runs[2]!);
if (d) throw new Error(`threaded and single-threaded builds differ: ${d}`);
console.log(`deno threads: ${info.threads} threads by default; 1/2/4 threads and the single-threaded build bit-identical (${Object.keys(single.results).length} results)`);
