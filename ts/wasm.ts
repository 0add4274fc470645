/**
 * The one module that imports the wasm-bindgen glue. It owns loading: which `.wasm` variant to
 * instantiate and where its bytes come from (a URL in browsers, a file in Node/Deno/Bun).
 *
 * Variants (built by scripts/build-wasm.sh into build/wasm/<variant>/):
 * - `simd`: single-threaded, SIMD128, with the WebGPU backend. Runs everywhere.
 * - `threads`: the CPU kernels on a thread pool (atomics, shared memory), CPU only: WebGPU
 *   objects cannot cross threads, so this build has no GPU backend.
 * - `simd-relaxed`, `threads-relaxed`: the same with relaxed SIMD (the GEMM and convolution
 *   tiles multiply-add with `f32x4.relaxed_madd`, an FMA). Picked where `WebAssembly.validate`
 *   accepts a one-instruction relaxed probe (Chrome >= 114, Node >= 21, Deno); Node 20 refuses
 *   any module containing a relaxed opcode unless V8's `--experimental-wasm-relaxed-simd` is on
 *   (the CLI and `npm run bench` turn it on, `cli-engine.ts`), so there the SIMD128 files
 *   load. A relaxed build
 *   shares its SIMD128 twin's glue (scripts/build-wasm.sh checks they match).
 *
 * `init()` loads `threads` when the host allows it and more than one thread is wanted
 * (`threads` option, FERROGRAD_THREADS, else the core count): SharedArrayBuffer and wasm
 * threads exist (a cross-origin-isolated page: COOP `same-origin` + COEP `require-corp`), the
 * host can start workers, and the caller may block (a browser page's main thread may not, so
 * there ferrograd stays single-threaded; run it in a Worker, e.g. `spawnTrainer()`). Otherwise,
 * or when the threaded build fails to start, it loads `simd` and says why in one line.
 *
 * GPU and threads: `initGpu()` on the threaded build reloads the single-threaded build when no
 * tensor exists yet (so `await initGpu()` first thing just works); with tensors alive it fails
 * with a message saying how to pick the single-threaded build up front (`init({ threads: 1 })`,
 * or FERROGRAD_THREADS=1 in Node, whose entry loads the core on import).
 * @module
 */
import initSimd, * as simd from '../build/wasm/simd/ferrograd_wasm.js';
import type * as ThreadsGlue from '../build/wasm/threads/ferrograd_wasm_threads.js';
import { relaxedSimdValidates } from './relaxed_probe.js';
import { env } from './runtime.js';
import { coreCount, spawnPoolWorker, workerKind, type PoolWorker } from './threads/host.js';

export type Bindings = typeof simd;
type Threads = typeof ThreadsGlue;

/** Which build is loaded (threads or not; relaxed SIMD is {@link relaxed}). */
export type Variant = 'simd' | 'threads';

let bindings: Bindings | undefined;
let linearMemory: WebAssembly.Memory | undefined;
let loading: Promise<Bindings> | undefined;
let variant: Variant | undefined;
/** Whether the loaded build is the relaxed-SIMD one. */
let relaxed = false;
let options: InitOptions = {};
/** Why the threaded build is not loaded (for setNumThreads' notice), if it is not. */
let noThreadsReason: string | undefined;

/** The threaded build's pool: what new workers need, and the workers started so far. */
interface Pool {
  glue: Threads;
  glueUrl: string;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  workers: PoolWorker[];
  growing: Promise<void>;
}
let pool: Pool | undefined;

/** Where the `.wasm` bytes come from, and how many threads to use. */
export interface InitOptions {
  /** URL of the single-threaded `ferrograd_wasm_bg.wasm` (defaults to the file next to this module). */
  wasmUrl?: string | URL;
  /** The single-threaded module's bytes or a compiled module, e.g. when the host cannot fetch. */
  wasm?: BufferSource | WebAssembly.Module;
  /** URL of the threaded `ferrograd_wasm_threads_bg.wasm` (defaults to the file next to this module). */
  threadsWasmUrl?: string | URL;
  /**
   * Relaxed-SIMD (FMA) kernels: `'auto'` (default) where the engine validates them, `false` for
   * the SIMD128 builds everywhere (results then match across engines bit for bit).
   * FERROGRAD_RELAXED_SIMD=0 sets the default under Node, Deno and Bun.
   */
  relaxedSimd?: boolean | 'auto';
  /**
   * Threads for the CPU kernels (the calling thread included). `'auto'` (default): the host's
   * core count where the threaded build can run. 1 loads the single-threaded build, the one with
   * the WebGPU backend. FERROGRAD_THREADS sets the default under Node, Deno and Bun.
   */
  threads?: number | 'auto';
}

/** A host hook (set by the Node entry) that turns a file URL into bytes. */
let readFileHook: ((url: URL) => Promise<Uint8Array>) | undefined;

/** @internal */
export function setReadFileHook(hook: (url: URL) => Promise<Uint8Array>): void {
  readFileHook = hook;
}

/** @internal The default location of the SIMD build, rewritten by the bundler to the shipped asset. */
export function defaultWasmUrl(): URL {
  return new URL('../build/wasm/simd/ferrograd_wasm_bg.wasm', import.meta.url);
}

function relaxedWasmUrl(): URL {
  return new URL('../build/wasm/simd-relaxed/ferrograd_wasm_relaxed_bg.wasm', import.meta.url);
}

/** @internal The threaded build's files (the glue is loaded by URL: pool workers import it too). */
function threadsUrls(relaxedSimd: boolean): { glue: URL; wasm: URL } {
  return {
    glue: new URL('../build/wasm/threads/ferrograd_wasm_threads.js', import.meta.url),
    wasm: relaxedSimd
      ? new URL('../build/wasm/threads-relaxed/ferrograd_wasm_threads_relaxed_bg.wasm', import.meta.url)
      : new URL('../build/wasm/threads/ferrograd_wasm_threads_bg.wasm', import.meta.url),
  };
}

function notice(line: string): void {
  console.warn(`ferrograd: ${line}`);
}

/** The requested thread count: the option, else FERROGRAD_THREADS, else 'auto'. */
function requestedThreads(o: InitOptions): number | 'auto' {
  if (o.threads !== undefined) return o.threads;
  let v: string | undefined;
  try {
    v = env('FERROGRAD_THREADS');
  } catch {
    // Deno without --allow-env
  }
  const n = v === undefined || v === '' || v === 'auto' ? NaN : Number(v);
  return Number.isInteger(n) && n >= 1 ? n : 'auto';
}

/** Whether to load a relaxed-SIMD build: the option, else FERROGRAD_RELAXED_SIMD, else the probe. */
function wantRelaxed(o: InitOptions): boolean {
  let want = o.relaxedSimd ?? 'auto';
  if (o.relaxedSimd === undefined) {
    try {
      const v = env('FERROGRAD_RELAXED_SIMD');
      if (v === '0' || v === 'false') want = false;
    } catch {
      // Deno without --allow-env
    }
  }
  return want !== false && relaxedSimdValidates();
}

/** A module with a shared memory and an atomic load: validates only where wasm threads exist. */
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
]);

/** Why this host cannot run the threaded build, or undefined when it can. */
export function threadsUnavailableReason(): string | undefined {
  const g = globalThis as { document?: unknown; crossOriginIsolated?: boolean };
  if (g.document !== undefined) return "a browser page's main thread may not block; run ferrograd in a Worker (e.g. spawnTrainer()) to use threads";
  if (typeof SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) {
    return 'SharedArrayBuffer is unavailable: the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (!WebAssembly.validate(THREADS_PROBE)) return 'this WebAssembly engine has no threads (shared memory and atomics)';
  const kind = workerKind();
  if (kind !== 'web' && kind !== 'node') return kind;
  return undefined;
}

async function bytesOf(url: URL): Promise<BufferSource | Response> {
  if (url.protocol === 'file:' && readFileHook) return (await readFileHook(url)) as Uint8Array<ArrayBuffer>;
  return fetch(url);
}

/** The single-threaded build: the given module, else the relaxed-SIMD file where it validates. */
async function loadSimd(o: InitOptions): Promise<Bindings> {
  let source: BufferSource | WebAssembly.Module | URL | Response | Promise<Response>;
  relaxed = false;
  if (o.wasm) {
    source = o.wasm;
  } else {
    relaxed = !o.wasmUrl && wantRelaxed(o);
    const url = o.wasmUrl ? new URL(o.wasmUrl, import.meta.url) : relaxed ? relaxedWasmUrl() : defaultWasmUrl();
    source = url.protocol === 'file:' && readFileHook ? await readFileHook(url) : fetch(url);
  }
  const exports = await initSimd({ module_or_path: source });
  linearMemory = exports.memory;
  return simd;
}

async function compile(url: URL): Promise<WebAssembly.Module> {
  const src = await bytesOf(url);
  if (typeof Response === 'function' && src instanceof Response) {
    if (!src.ok) throw new Error(`fetching ${url.href} failed: ${src.status} ${src.statusText}`);
    return WebAssembly.compile(await src.arrayBuffer());
  }
  return WebAssembly.compile(src as BufferSource);
}

/** Loads the threaded build and starts `threads - 1` pool workers. */
async function loadThreads(o: InitOptions, threads: number): Promise<Bindings> {
  const relaxedSimd = !o.threadsWasmUrl && wantRelaxed(o);
  const urls = threadsUrls(relaxedSimd);
  const wasmUrl = o.threadsWasmUrl ? new URL(o.threadsWasmUrl, import.meta.url) : urls.wasm;
  const [glue, module] = await Promise.all([import(/* webpackIgnore: true */ /* @vite-ignore */ urls.glue.href) as Promise<Threads>, compile(wasmUrl)]);
  const exports = await glue.default({ module_or_path: module });
  const memory = exports.memory;
  pool = { glue, glueUrl: urls.glue.href, module, memory, workers: [], growing: Promise.resolve() };
  try {
    await growPool(threads);
  } catch (e) {
    for (const w of pool.workers) w.terminate();
    pool = undefined;
    throw e;
  }
  glue.setNumThreads(threads);
  linearMemory = memory;
  relaxed = relaxedSimd;
  return withGpuFallback(glue);
}

/**
 * The threaded bindings, with `gpuInit` reloading the single-threaded build while no tensor
 * exists (the threaded build has no GPU backend).
 */
function withGpuFallback(glue: Threads): Bindings {
  const gpuInit = async (): Promise<string> => {
    const stats = glue.memoryStats();
    if (variant === 'threads' && stats[0] === 0 && stats[3] === 0) {
      await reloadSingleThreaded();
      return wasm().gpuInit();
    }
    return glue.gpuInit();
  };
  return { ...(glue as unknown as Bindings), gpuInit };
}

/**
 * Swaps the threaded build for the single-threaded one, keeping the RNG state and grad mode.
 * Tensors of the threaded build die with it; the new instance tags its handles differently, so
 * a leftover tensor fails clearly (and its finalizer frees nothing) instead of naming another.
 */
async function reloadSingleThreaded(): Promise<void> {
  const old = bindings!;
  const [seed, counter] = old.rngState();
  const grad = old.gradEnabled();
  const next = await loadSimd(options);
  next.setHandleTag(1);
  next.setRngState(seed ?? 0, counter ?? 0);
  next.setGradEnabled(grad);
  for (const w of pool?.workers ?? []) w.terminate();
  pool = undefined;
  bindings = next;
  variant = 'simd';
  noThreadsReason = 'the single-threaded build was loaded for WebGPU';
  notice('WebGPU needs the single-threaded build (the threaded one is CPU-only): reloaded it, so CPU kernels now run on one thread');
}

/**
 * @internal For an owner of every tensor in this instance (the training worker): loads the
 * single-threaded build (WebGPU) now, even with tensors alive, which become unusable. Nothing
 * to do when it is already loaded.
 */
export async function useSingleThreadedBuild(): Promise<void> {
  if (variant === 'threads') await reloadSingleThreaded();
}

/** @internal Starts pool workers until `threads - 1` exist; resolves when they have loaded. */
export function growPool(threads: number): Promise<void> {
  const p = pool;
  if (!p) return Promise.resolve();
  p.growing = p.growing.then(async () => {
    const want = threads - 1 - p.workers.length;
    if (want <= 0) return;
    const started = await Promise.allSettled(
      Array.from({ length: want }, (_, i) => spawnPoolWorker({ module: p.module, memory: p.memory, glueUrl: p.glueUrl }, p.workers.length + i)),
    );
    for (const s of started) if (s.status === 'fulfilled') p.workers.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    // A worker counts once it has registered with the pool (right after its `ready`).
    for (let i = 0; i < 1000 && p.glue.poolWorkers() < p.workers.length; i++) await new Promise((r) => setTimeout(r, 1));
  });
  return p.growing;
}

/**
 * Loads the compute core. Idempotent: later calls return the same promise (their options are
 * ignored). Every op needs it; the Node entry calls it on import.
 */
export function init(opts: InitOptions = {}): Promise<void> {
  if (bindings) return Promise.resolve();
  loading ??= (async () => {
    options = opts;
    const want = requestedThreads(opts);
    const threads = want === 'auto' ? await coreCount() : want;
    const reason = threadsUnavailableReason();
    if (threads > 1 && reason === undefined) {
      try {
        bindings = await loadThreads(opts, threads);
        variant = 'threads';
        return bindings;
      } catch (e) {
        noThreadsReason = `the threaded build failed to start (${e instanceof Error ? e.message : String(e)})`;
        notice(`${noThreadsReason}; using the single-threaded build`);
      }
    } else if (reason !== undefined) {
      noThreadsReason = reason;
      // The page's main thread is single-threaded by design: only an explicit request hears why.
      const mainThread = (globalThis as { document?: unknown }).document !== undefined;
      if (threads > 1 && (!mainThread || want !== 'auto')) notice(`threads unavailable: ${reason}; using the single-threaded build`);
    } else {
      noThreadsReason = threads === 1 ? 'one thread was asked for (threads: 1 or FERROGRAD_THREADS=1), which loads the single-threaded build' : undefined;
    }
    bindings = await loadSimd(opts);
    variant = 'simd';
    return bindings;
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading.then(() => undefined);
}

/** True once {@link init} has finished. */
export function isReady(): boolean {
  return bindings !== undefined;
}

/** @internal The loaded bindings; throws a clear error before {@link init}. */
export function wasm(): Bindings {
  if (!bindings) {
    throw new Error('ferrograd: the wasm core is not loaded yet; call `await init()` first (the Node entry does this on import)');
  }
  return bindings;
}

/** @internal Current size of the wasm linear memory in bytes. */
export function wasmMemoryBytes(): number {
  return linearMemory?.buffer.byteLength ?? 0;
}

/** @internal The loaded variant, the pool's worker count, and why threads are off (if they are). */
export function loadedVariant(): { variant: Variant | undefined; relaxedSimd: boolean; workers: number; noThreadsReason: string | undefined } {
  return { variant, relaxedSimd: relaxed, workers: pool?.workers.length ?? 0, noThreadsReason };
}
