/**
 * Browser suites (`test/browser/*.browser.test.ts`) in headless Chromium through vitest's
 * browser mode and Playwright, with the launch settings of scripts/chromium.mjs (Debian's
 * chromium, WebGPU on SwiftShader, no network chatter). Pages are cross-origin isolated so
 * SharedArrayBuffer exists, as threaded builds need.
 * @module
 */
import { playwright } from '@vitest/browser-playwright';
import { searchForWorkspaceRoot } from 'vite';
import { defineConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath, FASHION_MNIST_DIR, isolationHeaders } from './scripts/chromium.mjs';

/**
 * Browser suites import `ferrograd`: the shipped browser bundle by default (npm test builds dist/
 * first); FERROGRAD_BROWSER_SOURCE=1 points it at the TypeScript sources instead.
 */
const ferrograd = process.env.FERROGRAD_BROWSER_SOURCE ? new URL('./ts/index.ts', import.meta.url).pathname : new URL('./dist/index.js', import.meta.url).pathname;

export default defineConfig({
  resolve: { alias: [{ find: /^ferrograd$/, replacement: ferrograd }] },
  server: {
    headers: isolationHeaders,
    // the worker suite fetches Debian's Fashion-MNIST files by URL, as a page would from a mirror
    fs: { allow: [searchForWorkspaceRoot(process.cwd()), FASHION_MNIST_DIR] },
  },
  // known up front: a dependency discovered mid-run makes Vite reload the page under the tests
  optimizeDeps: { include: ['comlink', 'comlink/dist/esm/node-adapter.mjs', 'fast-check'] },
  test: {
    include: ['test/browser/**/*.browser.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      // failures are reported as text; no PNGs left in the tree
      screenshotFailures: false,
      provider: playwright({ launchOptions: { ...(chromiumPath ? { executablePath: chromiumPath } : {}), args: chromiumArgs } }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
