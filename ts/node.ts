/**
 * The entry for Node, Deno and Bun: reads the `.wasm` from disk, lets finalizers catch up when
 * many tensors are dropped outside step scopes, and loads the core on import.
 * @module
 */
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
});

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
