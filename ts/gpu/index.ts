/**
 * The GPU (WebGPU) from TypeScript: `await initGpu()` requests an adapter and device, after
 * which `'gpu'` names it wherever a device is chosen (`tensor(x, {device: 'gpu'})`, `t.to()`,
 * `module.to()`); `'auto'` means the GPU when one was initialised, else the CPU.
 *
 * In browsers, Deno and Bun with WebGPU, `navigator.gpu` is used as is. In Node, the entry
 * installs a host hook that loads npm `webgpu` (Dawn) on the first `initGpu()` (see
 * `node_host.ts`).
 * @module
 */
import { wasm } from '../wasm.js';

/** What {@link initGpu} found. */
export interface GpuInfo {
  /** Adapter name, backend, type and driver, as wgpu reports them. */
  adapter: string;
  /** Largest tensor buffer in bytes. */
  maxBufferBytes: number;
}

/** Devices a tensor can live on. */
export type DeviceName = 'cpu' | 'gpu';
/** Where a device is chosen: `'auto'` is the GPU once initialised, else the CPU. */
export type DeviceSpec = DeviceName | 'auto';

/** A host hook that makes `navigator.gpu` available (Node: Dawn from npm `webgpu`). */
let hostSetup: (() => Promise<void>) | undefined;
/** A host hook for `'auto'`: why there is surely no hardware GPU, or undefined. */
let hostNoGpu: (() => string | undefined) | undefined;
let initializing: Promise<GpuInfo> | undefined;
let lastFailure: string | undefined;
let autoNoticeShown = false;

/** @internal Set by the Node entry. */
export function setGpuHostSetup(setup: () => Promise<void>, noGpu?: () => string | undefined): void {
  hostSetup = setup;
  hostNoGpu = noGpu;
}

/**
 * Requests a WebGPU adapter and device (with the adapter's own limits) and compiles the
 * kernels. Idempotent while the device lives. Rejects with a clear reason when no adapter
 * exists (no WebGPU in this host, or no GPU/driver).
 */
export function initGpu(): Promise<GpuInfo> {
  const info = gpuInfo();
  if (info) return Promise.resolve(info);
  initializing ??= (async () => {
    try {
      if (typeof navigator === 'undefined' || !(navigator as { gpu?: unknown }).gpu) await hostSetup?.();
      if (typeof navigator === 'undefined' || !(navigator as { gpu?: unknown }).gpu) {
        throw new Error('this host has no WebGPU (navigator.gpu is undefined)');
      }
      const adapter = await wasm().gpuInit();
      lastFailure = undefined;
      return { adapter, maxBufferBytes: wasm().gpuMaxBufferBytes() };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      lastFailure = reason;
      throw new Error(`initGpu: no GPU available: ${reason.replace(/^gpu: /, '')}`);
    } finally {
      initializing = undefined;
    }
  })();
  return initializing;
}

/** The initialised GPU, or null. */
export function gpuInfo(): GpuInfo | null {
  const adapter = wasm().gpuInfo();
  return adapter === undefined ? null : { adapter, maxBufferBytes: wasm().gpuMaxBufferBytes() };
}

/** True once {@link initGpu} succeeded (and the device was not released or lost). */
export function isGpuReady(): boolean {
  return wasm().gpuInfo() !== undefined;
}

/**
 * Destroys the GPU device. Tensors still on it fail with a clear error afterwards. Node keeps
 * running while a GPU device is referenced: call this when done with the GPU.
 */
export async function releaseGpu(): Promise<void> {
  if (initializing) await initializing.catch(() => undefined);
  wasm().gpuRelease();
}

/**
 * Resolves `'auto'` (and `'gpu'`, which must be initialised) to a concrete device. Synchronous:
 * `'auto'` is the GPU only after a successful {@link initGpu}.
 */
export function resolveDevice(d: DeviceSpec | undefined): DeviceName {
  if (d === undefined || d === 'cpu') return 'cpu';
  if (d === 'gpu') return 'gpu';
  if (d === 'auto') return isGpuReady() ? 'gpu' : 'cpu';
  throw new Error(`device: unknown device '${String(d)}' (expected 'cpu', 'gpu' or 'auto')`);
}

/** Software (CPU) implementations of WebGPU/Vulkan/D3D, by the names they report. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|\bwarp\b/i;

/** What {@link probeAdapter} found: the host's default adapter, and whether it is a software one. */
export interface AdapterProbe {
  /** The adapter's description, vendor and architecture, as the host reports them. */
  name: string;
  /** A CPU implementation (SwiftShader, lavapipe, WARP, a fallback adapter): correctness only. */
  software: boolean;
}

interface JsAdapterInfo {
  description?: string;
  vendor?: string;
  architecture?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}
interface JsAdapter {
  info?: JsAdapterInfo;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<JsAdapterInfo>;
}

/**
 * Asks the host for its default WebGPU adapter (high performance) without loading anything into
 * the wasm core, and says whether it is a hardware one. Rejects with the reason when there is
 * none. `'auto'` uses it to leave software adapters alone; the threaded CPU build stays loaded.
 */
export async function probeAdapter(): Promise<AdapterProbe> {
  const gpuOf = () => (typeof navigator === 'undefined' ? undefined : (navigator as { gpu?: { requestAdapter(o?: object): Promise<JsAdapter | null> } }).gpu);
  if (!gpuOf()) await hostSetup?.();
  const gpu = gpuOf();
  if (!gpu) throw new Error('this host has no WebGPU (navigator.gpu is undefined)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter: no GPU, or no driver for it');
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
  const name = [info.description, info.vendor, info.architecture, info.device].filter((v) => v).join(', ') || 'unnamed adapter';
  const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(name);
  return { name, software };
}

/**
 * What `'auto'` looks for: a hardware adapter (without loading anything into wasm), or why
 * there is none: no adapter, or only a software one.
 */
export async function hardwareAdapter(): Promise<AdapterProbe | { none: string }> {
  const none = hostNoGpu?.();
  if (none) return { none: `no GPU available (${none})` };
  try {
    const probe = await probeAdapter();
    return probe.software ? { none: `the only GPU adapter is a software one (${probe.name}), slower than the CPU backend (device 'gpu' uses it anyway)` } : probe;
  } catch (e) {
    lastFailure = e instanceof Error ? e.message : String(e);
    return { none: `no GPU available (${lastFailure})` };
  }
}

/**
 * Picks a device, initialising the GPU when asked: `'gpu'` rejects without an adapter and takes
 * any adapter, software ones too; `'auto'` (d2l's `num_gpus=1`) takes the GPU already
 * initialised, else a hardware adapter, and otherwise stays on the CPU and says why, once,
 * through `log` (default `console.warn`): a software adapter trains slower than the CPU backend.
 */
export async function selectDevice(d: DeviceSpec = 'auto', log: (line: string) => void = console.warn): Promise<{ device: DeviceName; adapter?: string }> {
  if (d === 'cpu') return { device: 'cpu' };
  if (d !== 'gpu' && d !== 'auto') throw new Error(`device: unknown device '${String(d)}' (expected 'cpu', 'gpu' or 'auto')`);
  const cpu = (why: string): { device: DeviceName } => {
    if (!autoNoticeShown) {
      autoNoticeShown = true;
      log(`ferrograd: ${why}; using the CPU`);
    }
    return { device: 'cpu' };
  };
  if (d === 'auto' && !isGpuReady()) {
    const found = await hardwareAdapter();
    if ('none' in found) return cpu(found.none);
  }
  try {
    const info = await initGpu();
    return { device: 'gpu', adapter: info.adapter };
  } catch (e) {
    if (d === 'gpu') throw e;
    return cpu(`no GPU available (${lastFailure ?? (e instanceof Error ? e.message : String(e))})`);
  }
}

/** @internal For tests: forget that the 'auto' fallback notice was shown. */
export function resetAutoNotice(): void {
  autoNoticeShown = false;
}
