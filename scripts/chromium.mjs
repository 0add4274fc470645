// How this project launches headless Chromium (vitest.browser.config.ts and the benchmarks):
// Debian's /usr/bin/chromium (nothing can be downloaded here, so no `npx playwright install`),
// or CHROMIUM_PATH; and the cross-origin-isolation headers pages are served with.
import { existsSync } from 'node:fs';

/** @type {string | undefined} */
export const chromiumPath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

export const chromiumArgs = [
  '--no-sandbox',
  '--headless=new',
  '--disable-gpu',
  // WebGPU on SwiftShader (../shared/TOOLCHAIN.md §2) so GPU suites run without a GPU; checked:
  // requestAdapter() still answers with --disable-gpu.
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  // This machine kind has no route to Google: keep Chromium from trying.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** COOP + COEP: the page is cross-origin isolated, so SharedArrayBuffer exists. */
export const isolationHeaders = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Debian's `dataset-fashion-mnist` (scripts/setup-toolchain.sh installs it). */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
