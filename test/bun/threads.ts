// The threaded build under Bun (worker_threads pool), from the shipped bundle: loaded on import,
// bit-identical on 1, 2 and 4 threads and to the single-threaded build (a child Bun with
// FERROGRAD_THREADS=1), and the process exits by itself with the pool alive.
import * as lib from 'ferrograd';
import { checkThreadRuns, workloadByThreads, type Lib } from '../threads_cases.js';

const info = lib.threadsInfo();
if (info.variant !== 'threads') throw new Error(`expected the threaded build, got ${JSON.stringify(info)}`);
const runs = await workloadByThreads(lib as Lib);
const Bun = (globalThis as unknown as { Bun: { spawnSync(cmd: string[], o: object): { exitCode: number; stdout: Uint8Array; stderr: Uint8Array } } }).Bun;
const child = Bun.spawnSync([process.execPath, 'run', new URL('./_threads_child.ts', import.meta.url).pathname], {
  env: { ...process.env, FERROGRAD_THREADS: '1' },
});
const text = new TextDecoder();
if (child.exitCode !== 0) throw new Error(`single-threaded child failed: ${text.decode(child.stderr)}`);
console.log(checkThreadRuns('bun', info.threads, runs, text.decode(child.stdout)));
