// Background training in Node worker threads, through the shipped bundle (dist/node.js and
// dist/trainer.worker.node.js: npm test builds dist/ before this runs). The cases are shared
// with the Chromium run (test/browser/worker_cases.ts).
import { describe, it } from 'vitest';
import type * as Ferrograd from 'ferrograd';
import { workerCases, type WorkerHost } from './browser/worker_cases.js';

// A runtime specifier: tsc checks this file against the sources, vitest loads the bundle.
const dist = new URL('../dist/node.js', import.meta.url).href;
const lib = (await import(/* @vite-ignore */ dist)) as typeof Ferrograd;

const host: WorkerHost = {
  spawn: (opts) => lib.spawnTrainer(opts),
  fashionMnist: { kind: 'fashion-mnist', systemDir: '/usr/share/datasets/fashion-mnist', ...(process.env.FERROGRAD_DATA ? { root: process.env.FERROGRAD_DATA } : {}) },
  killFromOutside: {
    spawnOptions: {},
    // what a crash or an out-of-memory kill looks like from the parent: the thread exits
    kill: (t) => void (t.worker as Ferrograd.NodeWorkerLike).terminate(),
    expected: /exited with code 1/,
  },
};

describe('training in a worker thread (Node, Comlink)', () => {
  for (const c of workerCases) it(c.name, () => c.run(host));
});
