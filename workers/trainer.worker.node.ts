/**
 * The training worker for Node, Deno and Bun (`worker_threads`), through Comlink's Node adapter.
 * Importing the Node entry reads the .wasm from disk and loads the core before the first call.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { init } from '../ts/node.js';
import { READY } from '../ts/workers/types.js';
import { TrainerService } from './service.js';

if (!parentPort) throw new Error('trainer.worker.node.js runs as a worker thread; start it with spawnTrainer()');
const service = new TrainerService(
  // The core loaded on import (threads from FERROGRAD_THREADS, which spawnTrainer sets).
  ({ wasmUrl }) => init(wasmUrl ? { wasmUrl } : {}),
  Comlink.transfer,
  (cb) => (cb as Partial<Comlink.Remote<object>>)[Comlink.releaseProxy]?.(),
);
Comlink.expose(service, nodeEndpoint(parentPort));
// the client sends nothing before this: see TrainerClient._init
parentPort.postMessage({ ferrograd: READY });
