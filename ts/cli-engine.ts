/**
 * Imported first by the CLI and by `npm run bench`, before the wasm core compiles, so both run
 * the same engine:
 * - V8 compiles every wasm function with TurboFan up front instead of starting in Liftoff and
 *   tiering up while training runs. Tiering up in the background takes a core from the thread
 *   pool during the first epoch; the up-front compile costs about a second at start.
 *   FERROGRAD_WASM_TIERING=1 keeps V8's default.
 * - Relaxed SIMD where V8 has it behind a flag (Node 20's V8 11.3; Node >= 21 has it on): the
 *   loader's probe then picks the FMA builds (×1.2–1.35 on sgemm and LeNet here, see
 *   docs/benchmarks.md). FERROGRAD_RELAXED_SIMD=0 keeps SIMD128.
 * The library itself never sets engine flags in a user's process; this module is the CLI's.
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdValidates } from './relaxed_probe.js';

if (process.env.FERROGRAD_WASM_TIERING !== '1') setFlagsFromString('--no-liftoff');

/** Whether relaxed SIMD validates only because this module turned V8's flag on. */
export let relaxedSimdByFlag = false;
const relaxedEnv = process.env.FERROGRAD_RELAXED_SIMD;
if (relaxedEnv !== '0' && relaxedEnv !== 'false' && !relaxedSimdValidates()) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  relaxedSimdByFlag = relaxedSimdValidates();
}
