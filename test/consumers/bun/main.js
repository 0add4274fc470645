// @ts-check
// Bun with the package installed from the tarball: the "bun" export condition picks dist/node.js.
import * as lib from 'ferrograd';
import { checkWorker, runChecks } from './shared/checks.js';

const entry = import.meta.resolve('ferrograd');
const here = new URL('./node_modules/ferrograd/dist/node.js', import.meta.url).href;
if (entry !== here) throw new Error(`ferrograd resolved to ${entry}, expected ${here}`);
console.log(await runChecks(lib, 'cpu'));
console.log(await checkWorker(lib));
