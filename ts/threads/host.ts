/**
 * Pool workers for the threaded build, in every host: a module Web Worker (browsers) or a
 * `worker_threads` thread (Node, Deno, Bun). Each worker imports the threaded build's glue by URL,
 * instantiates the module on the shared memory (`initSync({ module, memory })`: its own stack
 * and thread-locals) and calls `poolWorker()`, which never returns: the worker then serves the
 * Rust pool's parallel regions, sleeping in `memory.atomic.wait` between them.
 *
 * The worker's code is a few lines built here (a Blob URL, or `eval` under Node), so no bundler
 * has to find a worker file, and the same code runs from the TypeScript sources and from dist/.
 * @module
 */
import { isNode, nodeImport } from '../runtime.js';

/** What a worker needs to join the pool. */
export interface PoolStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Absolute URL of the threaded build's wasm-bindgen glue module. */
  glueUrl: string;
}

/** A started pool worker. */
export interface PoolWorker {
  terminate(): void;
}

/** How long a worker may take to load before the pool gives up on it (a busy machine is slow). */
const START_TIMEOUT_MS = 60_000;

/** The worker's body, shared by both hosts: `post` reports, `start` is called with the message. */
const BODY = `
async function start(d) {
  let glue, flag;
  try {
    glue = await import(d.glueUrl);
    glue.initSync({ module: d.module, memory: d.memory });
    flag = glue.poolDeathFlag() >> 2;
  } catch (e) {
    post({ error: String((e && e.stack) || e) });
    return;
  }
  post({ ready: true });
  try {
    glue.poolWorker();
  } catch (e) {
    // A trap (a bug) killed this worker: raise the pool's flag so a caller waiting for the
    // task it held fails instead of hanging.
    const view = new Int32Array(d.memory.buffer);
    Atomics.store(view, flag, 1);
    Atomics.notify(view, flag);
    console.error('ferrograd: a thread-pool worker died: ' + String((e && e.stack) || e));
  }
}
`;

const WEB_WORKER = `${BODY}
const post = (m) => self.postMessage(m);
self.onmessage = (e) => { self.onmessage = null; start(e.data); };
`;

const NODE_WORKER = `${BODY}
const { parentPort, workerData } = require('node:worker_threads');
const post = (m) => parentPort.postMessage(m);
start(workerData);
`;

interface Message {
  ready?: boolean;
  error?: string;
}

/**
 * Which worker API this host offers for the pool, or why there is none. Node, Deno and Bun use
 * `worker_threads` (its `unref()` lets the process exit with the pool alive; Deno's Web Workers
 * cannot be unref'd), browsers a module Web Worker.
 */
export function workerKind(): 'web' | 'node' | string {
  if (isNode()) return 'node';
  if (typeof Worker === 'function' && typeof Blob === 'function' && typeof URL.createObjectURL === 'function') return 'web';
  return 'this host has no Worker';
}

/** Starts one pool worker and resolves once it has instantiated the module. */
export async function spawnPoolWorker(start: PoolStart, index: number): Promise<PoolWorker> {
  const kind = workerKind();
  if (kind === 'web') return spawnWeb(start, index);
  if (kind === 'node') return spawnNode(start, index);
  throw new Error(kind);
}

function settle(): { promise: Promise<void>; onMessage: (m: Message) => void; fail: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`a pool worker did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  const done = () => clearTimeout(timer);
  return {
    promise,
    onMessage: (m) => {
      done();
      if (m.ready) resolve();
      else reject(new Error(`a pool worker failed: ${m.error ?? 'unknown error'}`));
    },
    fail: (e) => {
      done();
      reject(e);
    },
  };
}

async function spawnWeb(start: PoolStart, index: number): Promise<PoolWorker> {
  const url = URL.createObjectURL(new Blob([WEB_WORKER], { type: 'text/javascript' }));
  const w = new Worker(url, { type: 'module', name: `ferrograd-pool-${index}` });
  const s = settle();
  w.onmessage = (e: MessageEvent<Message>) => s.onMessage(e.data);
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault?.();
    s.fail(new Error(`a pool worker failed to load: ${e.message || 'script error'}`));
  };
  w.postMessage({ module: start.module, memory: start.memory, glueUrl: start.glueUrl });
  try {
    await s.promise;
  } catch (e) {
    w.terminate();
    throw e;
  } finally {
    URL.revokeObjectURL(url);
  }
  // Deno and Bun keep a process alive while a worker is referenced; the pool must not.
  (w as unknown as { unref?: () => void }).unref?.();
  return { terminate: () => w.terminate() };
}

async function spawnNode(start: PoolStart, index: number): Promise<PoolWorker> {
  const { Worker: NodeWorker } = await nodeImport<typeof import('node:worker_threads')>('node:worker_threads');
  const w = new NodeWorker(NODE_WORKER, { eval: true, name: `ferrograd-pool-${index}`, workerData: { module: start.module, memory: start.memory, glueUrl: start.glueUrl } });
  const s = settle();
  w.on('message', (m: Message) => s.onMessage(m));
  w.on('error', (e: Error) => s.fail(new Error(`a pool worker failed: ${e.message}`)));
  w.on('exit', (code: number) => s.fail(new Error(`a pool worker exited with code ${code}`)));
  try {
    await s.promise;
  } catch (e) {
    void w.terminate();
    throw e;
  }
  // Referenced until ready (the await above needs its message); then it must not keep Node alive.
  w.unref();
  return { terminate: () => void w.terminate() };
}

/** The host's logical core count (1 when unknown). */
export async function coreCount(): Promise<number> {
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (typeof hc === 'number' && hc > 0) return hc;
  if (isNode()) {
    try {
      const os = await nodeImport<typeof import('node:os')>('node:os');
      return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    } catch {
      return 1;
    }
  }
  return 1;
}
