// The PyTorch golden fixtures (test/fixtures/golden, written by scripts/golden/generate.py) run
// through the TypeScript API in Node, so the wasm build is checked against PyTorch too. One body
// on every device (test/golden_cases.ts): the CPU and the WebGPU backend (Dawn; SwiftShader
// where there is no GPU). Chromium runs the same cases (test/browser/golden.browser.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseGpu } from 'ferrograd';
import { FAMILIES, goldenSuite, type Case } from './golden_cases.js';
import { startNodeGpu } from './helpers/gpu.js';

const DIR = fileURLToPath(new URL('./fixtures/golden/', import.meta.url));

function load(family: string): Case[] {
  return (JSON.parse(readFileSync(`${DIR}${family}.json`, 'utf8')) as { cases: Case[] }).cases;
}

beforeAll(async () => {
  await startNodeGpu();
});
// Node does not exit while a GPU device is referenced.
afterAll(() => releaseGpu());

it('every fixture family on disk is listed here', () => {
  const onDisk = readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
  expect(onDisk).toEqual([...FAMILIES].sort());
});

describe.each(['cpu', 'gpu'] as const)('golden fixtures from PyTorch through the TypeScript API on %s', (device) => {
  goldenSuite(device, load);
});
