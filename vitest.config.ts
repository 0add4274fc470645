import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/browser runs in Chromium (vitest.browser.config.ts)
    exclude: [...configDefaults.exclude, 'test/browser/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // wasm instances are per worker; forks isolate the V8 flags the Node entry sets.
    pool: 'forks',
  },
  resolve: {
    alias: { ferrograd: new URL('./ts/node.ts', import.meta.url).pathname },
  },
});
