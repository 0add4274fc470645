/// <reference types="vite/client" />
// The GPU cases (gpu.browser.ts) in headless Chromium: WebGPU on SwiftShader (the launch flags
// of scripts/chromium.mjs), the browser bundle dist/index.js loaded as a page loads it.
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from 'ferrograd';
import { gpuCases } from './gpu.browser.js';

const wasmUrl = new URL('../../dist/ferrograd_wasm_bg.wasm', import.meta.url);

describe('GPU cases (Chromium, WebGPU)', () => {
  beforeAll(async () => {
    await lib.init({ wasmUrl });
    expect(typeof (navigator as Navigator & { gpu?: unknown }).gpu).toBe('object');
  });
  for (const c of gpuCases) it(c.name, () => c.run(lib));
  it('releaseGpu frees the device', async () => {
    await lib.releaseGpu();
    expect(lib.gpuInfo()).toBeNull();
  });
});
