/**
 * The entry for Node, Deno and Bun: reads the `.wasm` from disk, lets finalizers catch up when
 * many tensors are dropped outside step scopes, and loads the core on import.
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setGpuHostSetup } from './gpu/index.js';
import { setGcHint } from './memory.js';
import { init, setReadFileHook } from './wasm.js';

setReadFileHook(async (url) => new Uint8Array(await readFile(fileURLToPath(url))));

// Node has no navigator.gpu: the first initGpu() loads Dawn (npm `webgpu`) through this module.
// Deno has WebGPU built in, so there the hook only explains a missing navigator.gpu.
setGpuHostSetup(async () => {
  if ('Deno' in globalThis) throw new Error('this Deno has no navigator.gpu (older releases need `deno run --unstable-webgpu`)');
  await (await import('./gpu/node_host.js')).installNodeWebGpu();
}, noGpuDevice);

/**
 * For `'auto'`: on Linux, a GPU shows up as a DRM render node or an NVIDIA device node; with
 * neither (and no Vulkan driver named by VK_ICD_FILENAMES) Dawn would find no hardware adapter,
 * after printing its driver warnings, so it is not loaded.
 */
function noGpuDevice(): string | undefined {
  if ('Deno' in globalThis || process.platform !== 'linux' || process.env['VK_ICD_FILENAMES']) return undefined;
  const render = existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  return render || existsSync('/dev/nvidia0') ? undefined : 'no GPU device node: no /dev/dri/renderD*, no /dev/nvidia0';
}

// The JS collector cannot see wasm memory, so dropped tensors could pile up between
// collections. `--expose-gc` via V8 flags gives a gc() we call every few thousand tensors
// created outside step scopes; finalizers then free them.
try {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as unknown;
  if (typeof gc === 'function') setGcHint(() => (gc as () => void)());
} catch {
  // not V8 (Bun), or flags are locked down: finalizers still run on the runtime's own schedule
}

export * from './index.js';

await init();
