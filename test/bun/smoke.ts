// The portable suite under Bun, against the shipped bundle: `ferrograd` resolves through the
// package's own name and its "bun" export condition to dist/node.js, which reads the .wasm from
// disk on import. Run: npm run test:bun
import * as lib from 'ferrograd';
import { runCases } from '../browser/portable.js';

const resolved = import.meta.resolve('ferrograd');
if (!resolved.endsWith('/dist/node.js')) throw new Error(`ferrograd resolved to ${resolved}, expected dist/node.js`);
if (!lib.isReady()) throw new Error('dist/node.js did not load the wasm core on import');
await runCases(lib, `bun ${(globalThis as { Bun?: { version: string } }).Bun?.version ?? ''}`.trim());
