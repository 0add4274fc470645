/**
 * The training worker for browsers (a module Web Worker): `spawnTrainer()` starts it with
 * `new Worker(new URL('./trainer.worker.js', import.meta.url), { type: 'module' })`, the form
 * bundlers recognise. It loads the core on `init()`, by default from the .wasm next to it.
 * @module
 */
import * as Comlink from 'comlink';
import { init } from '../ts/wasm.js';
import { READY } from '../ts/workers/types.js';
import { TrainerService } from './service.js';

const service = new TrainerService(
  ({ wasmUrl, threads }) => init({ ...(wasmUrl ? { wasmUrl } : {}), ...(threads ? { threads } : {}) }),
  Comlink.transfer,
  (cb) => (cb as Partial<Comlink.Remote<object>>)[Comlink.releaseProxy]?.(),
);
Comlink.expose(service);
// the client sends nothing before this: see TrainerClient._init
(self as unknown as { postMessage: (m: unknown) => void }).postMessage({ ferrograd: READY });
