/**
 * What this browser offers the compute core (docs/backends.md explains the choices): wasm
 * SIMD128 (every build needs it), cross-origin isolation (SharedArrayBuffer, which the threaded
 * build needs; without it everything runs single-threaded) and a WebGPU adapter.
 */
export interface Backends {
  simd: boolean;
  isolated: boolean;
  webgpu: string | null;
}

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): valid only with SIMD128
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; device?: string };
}

export async function detectBackends(): Promise<Backends> {
  const simd = WebAssembly.validate(SIMD_PROBE);
  const isolated = globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
  let webgpu: string | null = null;
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (gpu) {
    try {
      const adapter = await gpu.requestAdapter();
      if (adapter) {
        const i = adapter.info ?? {};
        webgpu = [i.description, i.vendor, i.architecture, i.device].filter(Boolean).join(' ') || 'an adapter';
      }
    } catch {
      webgpu = null;
    }
  }
  return { simd, isolated, webgpu };
}

export function describeBackends(b: Backends): string {
  return [
    `wasm SIMD128: ${b.simd ? 'yes' : 'no (ferrograd needs it: Chrome 91+, Firefox 89+, Safari 16.4+)'}`,
    b.isolated
      ? `cross-origin isolated: yes (the training worker runs the CPU kernels on ${navigator.hardwareConcurrency || 'all'} threads)`
      : 'cross-origin isolated: no (the CPU kernels run on one thread; serve with COOP/COEP for more)',
    `WebGPU: ${b.webgpu ?? 'not available'}`,
  ].join(' · ');
}
