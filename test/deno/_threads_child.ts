// Helper of threads.ts: the thread workload in a fresh Deno (FERROGRAD_THREADS from the parent).
import * as lib from 'ferrograd';
import { threadWorkload, type Lib } from '../threads_cases.js';

console.log(JSON.stringify({ variant: lib.threadsInfo().variant, results: threadWorkload(lib as Lib) }));
