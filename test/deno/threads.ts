// runtime-flags: --allow-env --allow-run
// The threaded build under Deno (worker_threads pool), from the shipped bundle: loaded on import,
// bit-identical on 1, 2 and 4 threads and to the single-threaded build (a child Deno with
// FERROGRAD_THREADS=1), and the process exits by itself with the pool alive.
import * as lib from 'ferrograd';
import { checkThreadRuns, workloadByThreads, type Lib } from '../threads_cases.js';

const info = lib.threadsInfo();
if (info.variant !== 'threads') throw new Error(`expected the threaded build, got ${JSON.stringify(info)}`);
const runs = await workloadByThreads(lib as Lib);
const Deno = (globalThis as unknown as { Deno: { execPath(): string; Command: new (cmd: string, o: object) => { outputSync(): { code: number; stdout: Uint8Array; stderr: Uint8Array } } } }).Deno;
const child = new Deno.Command(Deno.execPath(), {
  args: ['run', '--allow-read', '--allow-env', '--unstable-sloppy-imports', new URL('./_threads_child.ts', import.meta.url).pathname],
  env: { FERROGRAD_THREADS: '1' },
}).outputSync();
const text = new TextDecoder();
if (child.code !== 0) throw new Error(`single-threaded child failed: ${text.decode(child.stderr)}`);
console.log(checkThreadRuns('deno', info.threads, runs, text.decode(child.stdout)));
