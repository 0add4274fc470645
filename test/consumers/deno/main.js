// @ts-check
// Deno, importing the package through an `npm:` specifier. With a package.json beside it Deno
// uses the node_modules that npm installed from the tarball ("nodeModulesDir": "manual"), so the
// specifier must resolve there and not to anything on a registry.
import * as lib from 'npm:ferrograd@0.1.0';
import { checkWorker, runChecks } from './shared/checks.js';

const entry = import.meta.resolve('npm:ferrograd@0.1.0');
const here = new URL('./node_modules/ferrograd/dist/node.js', import.meta.url).href;
if (entry !== here) throw new Error(`npm:ferrograd resolved to ${entry}, expected ${here}`);
console.log(await runChecks(lib, 'cpu'));
console.log(await checkWorker(lib));
