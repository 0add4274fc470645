// @ts-check
// A Vite app with no Vite configuration: the browser bundle, its .wasm and the training worker
// must come through `vite build` as they are. Runs the shared checks on the CPU, in a worker,
// and on WebGPU, then writes PASS or FAIL (with the reason) into #out for the test to read.
import * as lib from 'ferrograd';
import { checkWorker, runChecks } from '../shared/checks.js';

const out = /** @type {HTMLElement} */ (document.getElementById('out'));
/** @type {string[]} */
const lines = [`crossOriginIsolated: ${globalThis.crossOriginIsolated}`];
try {
  await lib.init();
  lines.push(await runChecks(lib, 'cpu'));
  lines.push(await checkWorker(lib));
  const info = await lib.initGpu();
  lines.push(`adapter: ${info.adapter}`);
  lines.push(await runChecks(lib, 'gpu'));
  out.textContent = `PASS\n${lines.join('\n')}`;
} catch (e) {
  out.textContent = `FAIL\n${lines.join('\n')}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
}
