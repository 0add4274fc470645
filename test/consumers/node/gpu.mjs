// @ts-check
// The same checks on WebGPU after `npm i webgpu` (Dawn). Without a GPU the orchestrator sets
// VK_ICD_FILENAMES to Chromium's SwiftShader before Node starts, as Dawn reads it on load.
import * as lib from 'ferrograd';
import { runChecks } from './shared/checks.js';

try {
  const info = await lib.initGpu();
  console.log(`adapter: ${info.adapter}`);
  console.log(await runChecks(lib, 'gpu'));
} finally {
  // Node keeps running while a GPU device is referenced
  await lib.releaseGpu();
}
