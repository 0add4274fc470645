/**
 * The one module that imports the wasm-bindgen glue. It owns loading: which `.wasm` variant
 * to instantiate (single-threaded SIMD128 today; threaded and relaxed-SIMD builds will be chosen
 * here too) and where its bytes come from (a URL in browsers, a file in Node/Deno/Bun).
 * @module
 */
import initSimd, * as simd from '../build/wasm/simd/ferrograd_wasm.js';

export type Bindings = typeof simd;

let bindings: Bindings | undefined;
let linearMemory: WebAssembly.Memory | undefined;
let loading: Promise<Bindings> | undefined;

/** Where the `.wasm` bytes come from. */
export interface InitOptions {
  /** URL of `ferrograd_wasm_bg.wasm` (defaults to the file next to this module). */
  wasmUrl?: string | URL;
  /** The module's bytes or a compiled module, e.g. when the host cannot fetch. */
  wasm?: BufferSource | WebAssembly.Module;
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

/**
 * Loads the compute core. Idempotent: later calls return the same promise. Every op needs it;
 * the Node entry calls it on import.
 */
export function init(options: InitOptions = {}): Promise<void> {
  if (bindings) return Promise.resolve();
  loading ??= (async () => {
    let source: BufferSource | WebAssembly.Module | URL | Response | Promise<Response>;
    if (options.wasm) {
      source = options.wasm;
    } else {
      const url = options.wasmUrl ? new URL(options.wasmUrl, import.meta.url) : defaultWasmUrl();
      source = url.protocol === 'file:' && readFileHook ? await readFileHook(url) : fetch(url);
    }
    const exports = await initSimd({ module_or_path: source });
    linearMemory = exports.memory;
    bindings = simd;
    return simd;
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
