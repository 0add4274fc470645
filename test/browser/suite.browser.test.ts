// The portable suite in headless Chromium, against the browser bundle (`dist/index.js`, which
// vitest.browser.config.ts aliases to `ferrograd`), loading the core the way a page does:
// `await init({ wasmUrl })` with the shipped asset's URL.
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from 'ferrograd';
import { cases } from './portable.js';
import { runProperty } from '../property_cases.js';

const wasmUrl = new URL('../../dist/ferrograd_wasm_bg.wasm', import.meta.url);

describe('loading the core in a page', () => {
  it('ops before init() fail with a clear message', () => {
    expect(lib.isReady()).toBe(false);
    expect(() => lib.tensor([1, 2])).toThrow(/call `await init\(\)` first/);
  });

  it('the page is cross-origin isolated and the .wasm is served as application/wasm', async () => {
    expect(crossOriginIsolated).toBe(true);
    expect(typeof SharedArrayBuffer).toBe('function');
    const res = await fetch(wasmUrl);
    expect(res.ok).toBe(true);
    expect(res.headers.get('content-type')).toMatch(/^application\/wasm/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0x00, 0x61, 0x73, 0x6d]);
  });

  it('init() with the asset URL loads it; a second call is a no-op', async () => {
    const first = lib.init({ wasmUrl });
    await first;
    expect(lib.isReady()).toBe(true);
    await lib.init();
    expect(lib.tensor([[1, 2], [3, 4]]).sum().item()).toBe(10);
    expect(lib.memory().wasmBytes).toBeGreaterThan(0);
  });
});

describe('portable suite (Chromium)', () => {
  beforeAll(() => lib.init({ wasmUrl }));
  for (const c of cases) it(c.name, () => c.run(lib));
});

describe('random calls of the public API (seeded, Chromium)', () => {
  beforeAll(() => lib.init({ wasmUrl }));
  it('every answer is right or a clear error, and the library keeps working', () => {
    const r = runProperty(lib, 20261203, 1500);
    expect(r.valid).toBeGreaterThan(300);
    expect(r.refused).toBeGreaterThan(300);
  });
});
