/**
 * WebGPU for Node through npm `webgpu` (Google's Dawn bindings), loaded only when the GPU is
 * asked for. wgpu compiled to wasm looks for `navigator.gpu` only when the global object is a
 * Window or a WorkerGlobalScope (it tests for a global `Window`), so this module defines one.
 *
 * On machines without a GPU, Dawn can run on SwiftShader (a CPU Vulkan): set
 * `VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json` (Debian's chromium ships it)
 * before the process starts, since Dawn reads it when it loads. Dawn rejects lavapipe.
 * SwiftShader is for correctness only: it says nothing about GPU speed.
 * @module
 */

interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}

let installed = false;

/** Makes `navigator.gpu` available in Node. Throws a clear error without npm `webgpu`. */
export async function installNodeWebGpu(): Promise<void> {
  if (installed) return;
  let dawn: DawnModule;
  try {
    // A variable specifier: bundlers must not try to resolve this optional peer dependency.
    const name = 'webgpu';
    dawn = (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (e) {
    throw new Error(`WebGPU in Node needs the optional package 'webgpu' (Dawn): run \`npm i webgpu\` (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const gpu = dawn.create([]);
  const nav = (g['navigator'] ?? {}) as Record<string, unknown>;
  try {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  } catch {
    // a frozen navigator: replace it below
  }
  if (nav['gpu'] !== gpu) {
    Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu }, configurable: true, writable: true });
  } else if (g['navigator'] === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  }
  // wgpu only reads `navigator.gpu` when `globalThis.Window` (or WorkerGlobalScope) exists.
  if (g['Window'] === undefined) g['Window'] = class Window {};
  installed = true;
}
