/**
 * Background training: `const trainer = await spawnTrainer()` starts the training worker (a module
 * Web Worker in browsers, a `worker_threads` thread under Node, Deno and Bun) and returns a typed
 * client over Comlink. Every call is a promise that settles: with the worker's answer, with the
 * worker's own error message, or — when the worker dies, is terminated or stops answering —
 * with a {@link TrainerGoneError}; checkpoints the client already received stay usable.
 *
 * ```ts
 * const trainer = await spawnTrainer();
 * await trainer.createModel({ kind: 'lenet', seed: 0 });
 * await trainer.loadData({ kind: 'fashion-mnist', batchSize: 256, seed: 1 });
 * await trainer.fit({ maxEpochs: 10, checkpointEvery: 100 }, { onProgress: (e) => plot(e) });
 * ```
 * @module
 */
import type * as ComlinkNs from 'comlink';
import { isNode, nodeImport } from '../runtime.js';
import { READY, type CheckpointCallback, type CheckpointInfo, type DataInfo, type DataSpec, type EvalResult, type FitOptions, type FitResult, type ModelInfo, type ModelSpec, type Position, type Prediction, type ProgressCallback, type TrainerApi } from './types.js';

type Comlink = typeof ComlinkNs;

/** The parts of a `worker_threads` Worker the client uses. */
export interface NodeWorkerLike {
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  off(event: 'message', listener: (value: unknown) => void): unknown;
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  terminate(): Promise<number> | void;
}

export interface SpawnTrainerOptions {
  /** Browsers: the `.wasm` the worker loads (default: the one shipped next to the worker script). */
  wasmUrl?: string | URL;
  /** A worker you started yourself from `trainer.worker.js` (or `.node.js`), e.g. with a bundler-specific URL. */
  worker?: Worker | NodeWorkerLike;
  /**
   * Browsers cannot observe a worker that crashed or was killed, so the client pings it: no answer
   * for `timeoutMs` and the worker counts as dead. The worker answers between batches, so make the
   * timeout longer than your slowest batch. Default in browsers `{ intervalMs: 2000, timeoutMs: 60000 }`;
   * off under Node, whose workers report their exit.
   */
  heartbeat?: { intervalMs?: number; timeoutMs?: number } | false;
  /** Name shown in devtools / thread lists. */
  name?: string;
  /**
   * Threads for the worker's CPU kernels (its own pool). Default: the core count where the
   * threaded build can run (browsers: a cross-origin-isolated page). 1 loads the
   * single-threaded build, which a GPU model needs.
   */
  threads?: number;
  /** Node: memory limits of the worker thread (`worker_threads` `resourceLimits`). */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
}

export interface FitCallbacks {
  /** Batch events at most `progressHz` times a second, and every epoch's summary. */
  onProgress?: ProgressCallback;
  /** Each checkpoint pushed by `checkpointEvery` (also kept as `lastCheckpoint`). */
  onCheckpoint?: CheckpointCallback;
}

/** A call that could not complete because the worker is gone. */
export class TrainerGoneError extends Error {
  override name = 'TrainerGoneError';
}

interface Pending {
  method: string;
  reject: (e: Error) => void;
}

/** Transfers a view's buffer only when the view owns all of it (never a pooled Node Buffer's). */
function movable(views: (ArrayBufferView | undefined)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) {
    if (!v || !(v.buffer instanceof ArrayBuffer)) continue;
    if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.add(v.buffer);
  }
  return [...out];
}

export class TrainerClient {
  /** The raw Comlink proxy (typed): calls through it are not guarded against the worker dying. */
  readonly remote: ComlinkNs.Remote<TrainerApi>;
  /** The newest checkpoint received (from `checkpointEvery` or `checkpoint()`); it outlives the worker. */
  lastCheckpoint: Uint8Array | undefined;
  lastCheckpointInfo: CheckpointInfo | undefined;
  readonly #comlink: Comlink;
  readonly #worker: Worker | NodeWorkerLike;
  readonly #pending = new Set<Pending>();
  #gone: string | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #goneListeners: ((reason: string) => void)[] = [];

  /** @internal Use {@link spawnTrainer}. */
  constructor(comlink: Comlink, worker: Worker | NodeWorkerLike, remote: ComlinkNs.Remote<TrainerApi>) {
    this.#comlink = comlink;
    this.#worker = worker;
    this.remote = remote;
  }

  /** The underlying Worker (browser) or worker_threads Worker. */
  get worker(): Worker | NodeWorkerLike {
    return this.#worker;
  }

  /** Why the worker is gone, or undefined while it is alive. */
  get goneReason(): string | undefined {
    return this.#gone;
  }

  /** Resolves with the reason once the worker is gone (exit, crash, terminate, heartbeat). */
  get gone(): Promise<string> {
    if (this.#gone !== undefined) return Promise.resolve(this.#gone);
    return new Promise((resolve) => this.#goneListeners.push(resolve));
  }

  /** @internal Marks the worker dead: every pending and later call rejects with the reason. */
  _die(reason: string): void {
    if (this.#gone !== undefined) return;
    this.#gone = reason;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    for (const p of this.#pending) p.reject(new TrainerGoneError(`${p.method}: the training worker ${reason}`));
    this.#pending.clear();
    for (const l of this.#goneListeners.splice(0)) l(reason);
    void Promise.resolve(this.#worker.terminate()).catch(() => {});
  }

  /** @internal */
  _startHeartbeat(intervalMs: number, timeoutMs: number): void {
    let lastAnswer = Date.now();
    let asking = false;
    this.#heartbeat = setInterval(() => {
      if (Date.now() - lastAnswer > timeoutMs) {
        this._die(`stopped answering (no heartbeat for ${timeoutMs} ms) and was terminated`);
        return;
      }
      if (asking) return;
      asking = true;
      this.remote.ping().then(
        () => {
          lastAnswer = Date.now();
          asking = false;
        },
        () => {},
      );
    }, intervalMs);
    (this.#heartbeat as { unref?: () => void }).unref?.();
  }

  #call<T>(method: string, run: () => Promise<T>): Promise<T> {
    if (this.#gone !== undefined) return Promise.reject(new TrainerGoneError(`${method}: the training worker ${this.#gone}`));
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { method, reject };
      this.#pending.add(entry);
      Promise.resolve()
        .then(run)
        .then(resolve, reject)
        .finally(() => this.#pending.delete(entry));
    });
  }

  /**
   * @internal Waits for the worker's ready message, then loads its core. Calls must not go out
   * earlier: Deno's worker_threads drops messages that arrive before the worker listens.
   */
  _init(wasmUrl: string | undefined, threads?: number): Promise<{ ready: true }> {
    return this.#call('init', async () => {
      await this.#ready();
      return this.remote.init({ ...(wasmUrl ? { wasmUrl } : {}), ...(threads ? { threads } : {}) });
    });
  }

  #ready(): Promise<void> {
    const isReady = (data: unknown): boolean => (data as { ferrograd?: unknown } | null)?.ferrograd === READY;
    const w = this.#worker;
    return new Promise<void>((resolve) => {
      if (isNodeWorker(w)) {
        const on = (data: unknown): void => {
          if (!isReady(data)) return;
          w.off('message', on);
          resolve();
        };
        w.on('message', on);
      } else {
        const on = (e: MessageEvent): void => {
          if (!isReady(e.data)) return;
          w.removeEventListener('message', on);
          resolve();
        };
        w.addEventListener('message', on);
      }
    });
  }

  createModel(spec: ModelSpec): Promise<ModelInfo> {
    return this.#call('createModel', () => this.remote.createModel(spec));
  }

  /** Byte and float arrays in `spec` are transferred (detached here) unless `transfer` is false. */
  loadData(spec: DataSpec, { transfer = true }: { transfer?: boolean } = {}): Promise<DataInfo> {
    const views = spec.kind === 'bytes' ? [spec.train?.images, spec.train?.labels, spec.val?.images, spec.val?.labels] : spec.kind === 'floats' ? [spec.train?.x, spec.train?.labels, spec.val?.x, spec.val?.labels] : [];
    const buffers = transfer ? movable(views) : [];
    return this.#call('loadData', () => this.remote.loadData(buffers.length ? this.#comlink.transfer(spec, buffers) : spec));
  }

  /** Trains until `maxEpochs` are done (continuing a cancelled or restored run); resolves when it stops. */
  fit(opts: FitOptions, callbacks: FitCallbacks = {}): Promise<FitResult> {
    const { proxy } = this.#comlink;
    const onProgress = callbacks.onProgress;
    const progress = onProgress ? proxy((e: Parameters<ProgressCallback>[0]) => onProgress(e)) : undefined;
    const keep = opts.checkpointEvery
      ? proxy((bytes: Uint8Array, info: CheckpointInfo) => {
          this.lastCheckpoint = bytes;
          this.lastCheckpointInfo = info;
          callbacks.onCheckpoint?.(bytes, info);
        })
      : undefined;
    return this.#call('fit', () => this.remote.fit(opts, progress, keep));
  }

  evaluate(opts: { split?: 'train' | 'val' } = {}): Promise<EvalResult> {
    return this.#call('evaluate', () => this.remote.evaluate(opts));
  }

  /** `x`: `[N, C, H, W]` (or `[N, H, W]`) floats, or bytes scaled by 1/255; copied, not transferred. */
  predict(x: Float32Array | Uint8Array, shape: number[]): Promise<Prediction> {
    return this.#call('predict', () => this.remote.predict(x, shape));
  }

  /** The weights as safetensors bytes (PyTorch names; transferred out of the worker). */
  getStateDict(): Promise<Uint8Array> {
    return this.#call('getStateDict', () => this.remote.getStateDict());
  }

  /** Loads safetensors weights; the bytes are transferred (detached here) unless `transfer` is false. */
  setStateDict(bytes: Uint8Array, { transfer = true }: { transfer?: boolean } = {}): Promise<void> {
    const buffers = transfer ? movable([bytes]) : [];
    return this.#call('setStateDict', () => this.remote.setStateDict(buffers.length ? this.#comlink.transfer(bytes, buffers) : bytes));
  }

  pause(): Promise<Position> {
    return this.#call('pause', () => this.remote.pause());
  }

  resume(): Promise<Position> {
    return this.#call('resume', () => this.remote.resume());
  }

  cancel(): Promise<Position> {
    return this.#call('cancel', () => this.remote.cancel());
  }

  /** The full training state at the next batch boundary (also kept as `lastCheckpoint`). */
  async checkpoint(): Promise<Uint8Array> {
    const bytes = await this.#call('checkpoint', () => this.remote.checkpoint());
    this.lastCheckpoint = bytes;
    return bytes;
  }

  /** Continues from a checkpoint (copied, so it stays usable here); load the same data, then `fit`. */
  restore(bytes: Uint8Array): Promise<Position> {
    return this.#call('restore', () => this.remote.restore(bytes));
  }

  status(): Promise<Position> {
    return this.#call('status', () => this.remote.status());
  }

  /** Frees the worker's model and data, then ends the worker. */
  async dispose(): Promise<void> {
    if (this.#gone !== undefined) return;
    try {
      await this.#call('dispose', () => this.remote.dispose());
    } finally {
      this._die('was disposed');
    }
  }

  /** Ends the worker now; pending calls reject with a {@link TrainerGoneError}. */
  terminate(): void {
    this._die('was terminated (terminate() was called)');
  }
}

function isNodeWorker(w: Worker | NodeWorkerLike): w is NodeWorkerLike {
  return typeof (w as { on?: unknown }).on === 'function';
}

/** The bundled Node worker; from the TypeScript sources, the built one in dist/ (Node cannot run .ts workers). */
async function nodeWorkerUrl(): Promise<URL> {
  const url = new URL('../../workers/trainer.worker.node.ts', import.meta.url);
  if (!url.pathname.endsWith('.ts')) return url;
  const built = new URL(['..', '..', 'dist', 'trainer.worker.node.js'].join('/'), import.meta.url);
  const fs = await nodeImport<typeof import('node:fs')>('node:fs');
  if (fs.existsSync(built)) return built;
  throw new Error('spawnTrainer: ferrograd runs from its TypeScript sources here, and Node runs workers from the built bundle: run `npm run build:ts` first');
}

/** Starts a training worker and waits until its compute core is loaded. */
export async function spawnTrainer(opts: SpawnTrainerOptions = {}): Promise<TrainerClient> {
  const comlink = (await import('comlink')) as Comlink;
  let worker: Worker | NodeWorkerLike;
  if (opts.worker) {
    worker = opts.worker;
  } else if (isNode()) {
    const { Worker: NodeWorker } = await nodeImport<typeof import('node:worker_threads')>('node:worker_threads');
    // The Node worker loads its core on import: its thread count travels in the environment.
    const parentEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    const env = opts.threads ? { env: { ...parentEnv, FERROGRAD_THREADS: String(opts.threads) } } : {};
    worker = new NodeWorker(await nodeWorkerUrl(), { ...(opts.name ? { name: opts.name } : {}), ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}), ...env });
  } else {
    worker = new Worker(new URL('../../workers/trainer.worker.ts', import.meta.url), { type: 'module', name: opts.name ?? 'ferrograd-trainer' });
  }
  let client: TrainerClient;
  if (isNodeWorker(worker)) {
    const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
    const nw = worker;
    client = new TrainerClient(comlink, nw, comlink.wrap<TrainerApi>(nodeEndpoint(nw as unknown as Parameters<typeof nodeEndpoint>[0])));
    nw.on('error', (err) => client._die(`crashed: ${err.message}`));
    nw.on('exit', (code) => client._die(`exited with code ${code}`));
  } else {
    const ww = worker;
    client = new TrainerClient(comlink, ww, comlink.wrap<TrainerApi>(ww));
    ww.addEventListener('error', (e) => {
      // handled here: it becomes the rejection of every pending call, not a page error
      e.preventDefault();
      client._die(`crashed: ${e.message || 'the worker script failed to load or threw outside a call'}`);
    });
  }
  const hb = opts.heartbeat ?? (isNodeWorker(worker) ? false : {});
  if (hb) client._startHeartbeat(hb.intervalMs ?? 2000, hb.timeoutMs ?? 60_000);
  const wasmUrl = opts.wasmUrl === undefined ? undefined : new URL(opts.wasmUrl, globalThis.location?.href ?? import.meta.url).href;
  await client._init(wasmUrl, opts.threads);
  return client;
}
