// A module Worker for threads.browser.test.ts: loads the browser bundle's threaded build (the
// page is cross-origin isolated) with a 4-thread pool of nested workers, with the init options
// it is sent, and answers with the thread workload on 1, 2 and 4 threads.
import * as lib from 'ferrograd';
import { specialValues, workloadByThreads, type Lib } from '../threads_cases.js';

self.onmessage = async (e: MessageEvent<lib.InitOptions>) => {
  try {
    await lib.init({ ...e.data, threads: 4 });
    const info = lib.threadsInfo();
    const results = await workloadByThreads(lib as Lib);
    self.postMessage({ info, isolated: self.crossOriginIsolated, results, special: specialValues(lib as Lib) });
  } catch (e) {
    self.postMessage({ error: String((e as Error).stack ?? e) });
  }
};
