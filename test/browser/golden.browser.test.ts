/// <reference types="vite/client" />
// The PyTorch golden fixtures in headless Chromium, on the CPU and on the page's WebGPU
// (SwiftShader), through the browser bundle: the same runner as Node's (test/golden_cases.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from 'ferrograd';
import { FAMILIES, goldenSuite, type Case } from '../golden_cases.js';

const wasmUrl = new URL('../../dist/ferrograd_wasm_bg.wasm', import.meta.url);
const files = import.meta.glob<{ cases: Case[] }>('../fixtures/golden/*.json', { eager: true, import: 'default' });
const load = (family: string): Case[] => files[`../fixtures/golden/${family}.json`]!.cases;

beforeAll(async () => {
  await lib.init({ wasmUrl });
  await lib.initGpu();
});

it('every fixture family is bundled', () => {
  expect(Object.keys(files).map((f) => f.slice('../fixtures/golden/'.length, -5)).sort()).toEqual([...FAMILIES].sort());
});

describe.each(['cpu', 'gpu'] as const)('golden fixtures from PyTorch in Chromium on %s', (device) => {
  goldenSuite(device, load);
});
