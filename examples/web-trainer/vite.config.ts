// COOP/COEP make the page cross-origin isolated (SharedArrayBuffer, which a threaded wasm build
// needs); the app also works without them, single-threaded. ferrograd stays out of dependency
// pre-bundling so its `new URL('…wasm' | '…worker.js', import.meta.url)` references keep
// pointing at real files in dev.
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig, searchForWorkspaceRoot } from 'vite';

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
// Inside the ferrograd repo the package is a link to the repo root: let the dev server read it.
const ferrogradDir = path.dirname(createRequire(import.meta.url).resolve('ferrograd/package.json'));

export default defineConfig({
  server: { headers: isolation, fs: { allow: [searchForWorkspaceRoot(process.cwd()), ferrogradDir] } },
  preview: { headers: isolation },
  optimizeDeps: { exclude: ['ferrograd'], include: ['comlink'] },
  worker: { format: 'es' },
  build: { target: 'es2022' },
});
