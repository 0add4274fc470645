// A separate process for test/threads.test.ts: loads ferrograd from the TypeScript sources with
// FERROGRAD_THREADS from the environment and prints what it loaded, the thread workload and the
// special-values checks.
// `gpu-first` asks for the GPU before any tensor exists (the threaded build then swaps itself
// for the single-threaded one).
import * as lib from '../ts/node.js';
import { specialValues, threadWorkload } from './threads_cases.js';

const mode = process.argv[2] ?? 'workload';
if (mode === 'gpu-first') {
  const before = lib.threadsInfo().variant;
  let gpu: string;
  try {
    gpu = (await lib.initGpu()).adapter;
  } catch (e) {
    gpu = `error: ${(e as Error).message}`;
  }
  await lib.releaseGpu().catch(() => undefined);
  console.log(JSON.stringify({ before, after: lib.threadsInfo(), gpu }));
} else {
  console.log(JSON.stringify({ info: lib.threadsInfo(), results: threadWorkload(lib), special: specialValues(lib) }));
}
