// runtime-flags: --allow-env
// The GPU cases (test/browser/gpu.browser.ts) under Deno's built-in WebGPU (wgpu; lavapipe or
// SwiftShader on machines without a GPU), against the shipped bundle dist/node.js. Each case
// compares the GPU with the CPU; the script exits non-zero on the first failure.
import * as lib from 'ferrograd';
import { run } from '../browser/gpu.browser.js';

const host = `deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno?.version.deno ?? ''}`.trim();
const results = await run(lib, (line) => console.log(`[${host}] ${line}`));
const failed = results.filter((r) => !r.ok);
console.log(`[${host}] GPU: ${lib.gpuInfo()?.adapter ?? 'released'}; ${results.length - failed.length} passed, ${failed.length} failed`);
if (failed.length || results.length === 0) throw new Error(`[${host}] GPU cases failed: ${failed.map((f) => f.name).join('; ')}`);
