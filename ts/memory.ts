/**
 * Tensor lifetime without `dispose()`.
 *
 * - Ownership: a tensor's storage lives in Rust behind an integer handle; autograd graphs hold
 *   their inputs and are released by `backward()` and when the last handle goes.
 * - Finalizers: every handle is registered with a FinalizationRegistry, so a tensor the program
 *   no longer references is freed after the JS garbage collector notices.
 * - Step scopes: the training loop (Trainer, optimizers, `step()`) runs each step in a scope and
 *   frees everything the step created except what it returns, deterministically — GC alone would
 *   let wasm memory grow, since the collector cannot see it.
 * @module
 */
import { wasm, wasmMemoryBytes } from './wasm.js';

/** What a scope tracks: anything holding a handle. */
export interface Owned {
  /** @internal */ _h: number;
  /** @internal */ _free(reason: string): void;
}

const registry = new FinalizationRegistry<number>((h) => {
  try {
    wasm().freeTensor(h);
  } catch {
    // the instance is gone (process exit, or a trap already reported); nothing to free
  }
});

const scopes: Owned[][] = [];
let gcHint: (() => void) | undefined;
let createdSinceGc = 0;
let bytesAfterGc = 0;
/** How often (in tensors created outside scopes) to look at wasm memory. */
const CHECK_EVERY = 1024;
/** A GC hint is given after this many unscoped tensors, or this much new tensor memory. */
const GC_HINT_TENSORS = 4096;
const GC_HINT_BYTES = 32 * 1024 * 1024;

/** @internal Node sets a hook that runs a full GC so finalizers can release wasm memory. */
export function setGcHint(hint: () => void): void {
  gcHint = hint;
}

/**
 * Live handles past which a warning is printed (once per instance): a synchronous loop that
 * never yields keeps every tensor it made alive, since finalizers only run between tasks.
 */
export const PILE_UP_HANDLES = 32_768;
let warned = false;
let unscoped = 0;

/** @internal Called for every new tensor handle. */
export function track(t: Owned, token: object): void {
  registry.register(token, t._h, token);
  const top = scopes[scopes.length - 1];
  if (top) {
    top.push(t);
    return;
  }
  if (++unscoped % CHECK_EVERY !== 0) return;
  const stats = wasm().memoryStats();
  const bytes = stats[2] ?? 0;
  const handles = stats[3] ?? 0;
  if (!warned && handles > PILE_UP_HANDLES) {
    warned = true;
    console.warn(
      `ferrograd: ${handles} tensors (${(bytes / 2 ** 20).toFixed(0)} MiB) are alive outside any scope. A loop that does not await keeps every tensor it creates until it yields to the event loop, and wasm memory never shrinks: run each iteration in scope(() => ...) to free its tensors when it returns (Trainer and optimizers already do). This warning is printed once.`,
    );
  }
  if (gcHint) {
    createdSinceGc += CHECK_EVERY;
    if (createdSinceGc >= GC_HINT_TENSORS || bytes > bytesAfterGc + GC_HINT_BYTES) {
      createdSinceGc = 0;
      gcHint();
      bytesAfterGc = bytes;
    }
  }
}

/** @internal Frees a handle now (scope end), so the finalizer must not free it again. */
export function release(h: number, token: object): void {
  registry.unregister(token);
  wasm().freeTensor(h);
}

function collectOwned(value: unknown, keep: Set<Owned>, depth = 0): void {
  if (depth > 4 || value === null || typeof value !== 'object') return;
  if ('_h' in value && '_free' in value) {
    keep.add(value as Owned);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectOwned(v, keep, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectOwned(v, keep, depth + 1);
  }
}

/**
 * Runs `fn` in a step scope: tensors it creates are freed when it returns, except the ones in
 * its result (a tensor, or arrays/plain objects of them), which move to the enclosing scope.
 * The library's training loops use this; user code rarely needs it.
 */
export function scope<T>(fn: () => T): T {
  const mine: Owned[] = [];
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of mine) t._free('its step scope ended with an error');
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    throw new Error('scope: the function returned a Promise; use scopeAsync for async steps');
  }
  const keep = new Set<Owned>();
  collectOwned(result, keep);
  const parent = scopes[scopes.length - 1];
  for (const t of mine) {
    if (keep.has(t)) parent?.push(t);
    else t._free('it was created inside a step scope that has ended');
  }
  return result;
}

/** {@link scope} for async steps (tensors created while awaiting belong to the scope too). */
export async function scopeAsync<T>(fn: () => Promise<T>): Promise<T> {
  const mine: Owned[] = [];
  scopes.push(mine);
  const depth = scopes.length;
  let result: T;
  try {
    result = await fn();
  } finally {
    if (scopes.length !== depth || scopes[depth - 1] !== mine) {
      // eslint-disable-next-line no-unsafe-finally
      throw new Error('scopeAsync: scopes were interleaved; do not run two async scopes concurrently');
    }
    scopes.pop();
  }
  const keep = new Set<Owned>();
  collectOwned(result, keep);
  const parent = scopes[scopes.length - 1];
  for (const t of mine) {
    if (keep.has(t)) parent?.push(t);
    else t._free('it was created inside a step scope that has ended');
  }
  return result;
}

/** @internal Takes a tensor out of the current scope so it survives it (module parameters). */
export function untrack(t: Owned): void {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const s = scopes[i]!;
    const at = s.lastIndexOf(t);
    if (at >= 0) {
      s.splice(at, 1);
      return;
    }
  }
}

/** Counts of live objects in the wasm core. */
export interface MemoryInfo {
  /** Tensors alive in Rust (JS handles, autograd graph nodes and views). */
  liveTensors: number;
  /** Storage buffers alive and their total bytes. */
  buffers: number;
  bytes: number;
  /** Handles JS holds. */
  handles: number;
  /** Idle bytes in the buffer pool, reused by the next tensors of the same size. */
  pooledBytes: number;
  /** Size of the wasm linear memory (it grows but never shrinks). */
  wasmBytes: number;
  /** The most bytes storage buffers held at once since {@link resetPeakMemory}. */
  peakBytes: number;
}

/** Live tensors, buffers and bytes: a leak shows up here. */
export function memory(): MemoryInfo {
  const w = wasm();
  const [liveTensors = 0, buffers = 0, bytes = 0, handles = 0, pooledBytes = 0, peakBytes = 0] = w.memoryStats();
  return { liveTensors, buffers, bytes, handles, pooledBytes, wasmBytes: wasmMemoryBytes(), peakBytes };
}

/** Starts a new peak for {@link memory}'s `peakBytes` from the bytes live now (PyTorch's `torch.cuda.reset_peak_memory_stats`). */
export function resetPeakMemory(): void {
  wasm().resetPeakMemory();
}
