/**
 * The relaxed-SIMD probe, shared by the loader (`wasm.ts`: which build to load) and the CLI's
 * engine setup (`cli-engine.ts`: whether to turn V8's flag on first).
 * @module
 */

/** A function doing one `f32x4.relaxed_madd`: validates only where relaxed SIMD exists. */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);

/** Whether this engine validates relaxed SIMD now. */
export function relaxedSimdValidates(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}
