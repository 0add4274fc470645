/**
 * Imported first by the CLI, before the wasm core compiles: V8 compiles every wasm function with
 * TurboFan up front instead of starting in Liftoff and tiering up while training runs, as
 * `npm run bench` does. Tiering up in the background takes a core from the thread pool during
 * the first epoch; the up-front compile costs about a second at start. FERROGRAD_WASM_TIERING=1
 * keeps V8's default.
 * @module
 */
import { setFlagsFromString } from 'node:v8';

if (process.env.FERROGRAD_WASM_TIERING !== '1') setFlagsFromString('--no-liftoff');
