// @ts-check
// A Node ESM script using the installed package on the CPU, as its README says: no init call
// (the Node entry loads the core on import), then a training worker. `webgpu` is not installed
// here, so asking for the GPU must fail with a message that says what to install.
import * as lib from 'ferrograd';
import { fileURLToPath } from 'node:url';
import { checkWorker, runChecks } from './shared/checks.js';

const entry = fileURLToPath(import.meta.resolve('ferrograd'));
if (!entry.endsWith('/node_modules/ferrograd/dist/node.js')) throw new Error(`ferrograd resolved to ${entry}, expected this project's node_modules/ferrograd/dist/node.js`);
if (!lib.isReady()) throw new Error('the Node entry did not load the wasm core on import');

console.log(await runChecks(lib, 'cpu'));
console.log(await checkWorker(lib));

const gpu = await lib.initGpu().then(
  () => 'resolved',
  (/** @type {Error} */ e) => e.message,
);
if (!gpu.includes("optional package 'webgpu'") || !gpu.includes('npm i webgpu')) throw new Error(`initGpu without npm 'webgpu' should say how to get it, got: ${gpu}`);
console.log(`gpu without 'webgpu': ${gpu.split(' (')[0]}`);
