/**
 * Browser suites (`test/browser/*.browser.test.ts`) in headless Chromium through vitest's
 * browser mode and Playwright. Debian's /usr/bin/chromium is launched directly because nothing
 * can be downloaded here (no `npx playwright install`); the pages are cross-origin isolated so
 * SharedArrayBuffer exists, as the worker trainer's control block and threaded builds need.
 * @module
 */
import { existsSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import { searchForWorkspaceRoot } from 'vite';
import { defineConfig } from 'vitest/config';

/** Debian's chromium, or whatever CHROMIUM_PATH names (a developer's own Chrome). */
const executablePath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

export const chromiumArgs = [
  '--no-sandbox',
  '--headless=new',
  '--disable-gpu',
  // WebGPU on SwiftShader (TOOLCHAIN.md §2) so GPU suites run without a GPU.
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

/** Debian's `dataset-fashion-mnist` (scripts/setup-toolchain.sh installs it). */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/**
 * Browser suites import `ferrograd`: the shipped browser bundle by default (npm test builds dist/
 * first); FERROGRAD_BROWSER_SOURCE=1 points it at the TypeScript sources instead.
 */
const ferrograd = process.env.FERROGRAD_BROWSER_SOURCE ? new URL('./ts/index.ts', import.meta.url).pathname : new URL('./dist/index.js', import.meta.url).pathname;

export default defineConfig({
  resolve: { alias: [{ find: /^ferrograd$/, replacement: ferrograd }] },
  server: {
    headers: isolation,
    // the worker suite fetches Debian's Fashion-MNIST files by URL, as a page would from a mirror
    fs: { allow: [searchForWorkspaceRoot(process.cwd()), FASHION_MNIST_DIR] },
  },
  preview: { headers: isolation },
  // known up front: a dependency discovered mid-run makes Vite reload the page under the tests
  optimizeDeps: { include: ['comlink', 'comlink/dist/esm/node-adapter.mjs'] },
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      // failures are reported as text; no PNGs left in the tree
      screenshotFailures: false,
      provider: playwright({ launchOptions: { ...(executablePath ? { executablePath } : {}), args: chromiumArgs } }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
