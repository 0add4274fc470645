// @ts-check
// What every consumer project checks, written as a user would write it against the installed
// package. Plain ESM JavaScript so Node runs it as is; Deno, Bun and Vite load it too, and the
// TypeScript consumer type-checks it (checkJs, strict) against the shipped index.d.ts. It takes
// the library as a parameter because Deno imports it through an `npm:` specifier.

/** @typedef {typeof import('ferrograd')} Lib */
/** @typedef {import('ferrograd').Tensor} Tensor */

/**
 * @param {boolean} ok
 * @param {string} what
 * @returns {asserts ok}
 */
function check(ok, what) {
  if (!ok) throw new Error(`consumer check failed: ${what}`);
}

/**
 * d2l §7.2's `corr2d`, as the book writes it (slices, multiply, sum).
 * @param {Lib} lib
 * @param {Tensor} X
 * @param {Tensor} K
 */
export function corr2d(lib, X, K) {
  const [h = 0, w = 0] = K.shape;
  const [H = 0, W = 0] = X.shape;
  /** @type {Tensor[]} */
  const rows = [];
  for (let i = 0; i < H - h + 1; i++) {
    /** @type {Tensor[]} */
    const row = [];
    for (let j = 0; j < W - w + 1; j++) row.push(X.slice(0, i, i + h).slice(1, j, j + w).mul(K).sum());
    rows.push(lib.stack(row));
  }
  return lib.stack(rows);
}

/**
 * §7.2's example on `device`: the book's loop and F.conv2d both give [[19, 25], [37, 43]].
 * @param {Lib} lib
 * @param {'cpu' | 'gpu'} device
 * @returns {Promise<number[][]>}
 */
export async function checkCorr2d(lib, device) {
  const X = lib.tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8]], { device });
  const K = lib.tensor([[0, 1], [2, 3]], { device });
  const want = [[19, 25], [37, 43]];
  const got = /** @type {number[][]} */ (await corr2d(lib, X, K).array());
  check(JSON.stringify(got) === JSON.stringify(want), `corr2d on ${device} gave ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  const conv = /** @type {number[][][][]} */ (await lib.F.conv2d(X.reshape(1, 1, 3, 3), K.reshape(1, 1, 2, 2)).array());
  check(JSON.stringify(conv[0]?.[0]) === JSON.stringify(want), `F.conv2d on ${device} gave ${JSON.stringify(conv)}`);
  return got;
}

/**
 * A fixed batch of 28×28 images whose class is where a bright square sits, so a few steps on it
 * must lower the loss; the same bytes in every host.
 * @param {number} n
 */
export function syntheticBatch(n) {
  const images = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  let s = 12345;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    const r0 = 2 + 8 * Math.floor(c / 4);
    const c0 = 2 + 6 * (c % 4);
    for (let k = 0; k < 784; k++) images[i * 784 + k] = rnd() * 0.25;
    for (let r = r0; r < r0 + 8; r++) for (let q = c0; q < c0 + 6; q++) images[i * 784 + r * 28 + q] = 0.8 + rnd() * 0.2;
  }
  return { images, labels };
}

/**
 * Six SGD steps of d2l's LeNet on one fixed batch, seeded: the loss must fall at every step
 * (2.53 to 2.31 on the CPU, each step at least 0.009 lower).
 * @param {Lib} lib
 * @param {'cpu' | 'gpu'} device
 * @param {number} [steps]
 * @returns {Promise<number[]>} the losses, one per step
 */
export async function lenetSteps(lib, device, steps = 6) {
  const { d2l, manualSeed, fromArray, scope, noGrad, zeros, stack } = lib;
  manualSeed(0);
  // the book's settings: LeNet(lr=0.1), apply_init(..., d2l.init_cnn)
  const model = new d2l.LeNet({ lr: 0.1 });
  model.applyInit([zeros([1, 1, 28, 28])], d2l.initCnn);
  model.to(device);
  const optimizer = model.configureOptimizers();
  const batch = syntheticBatch(32);
  const X = fromArray(batch.images, [32, 1, 28, 28], { device });
  const y = fromArray(batch.labels, [32], { device, dtype: 'int64' });
  /** @type {Tensor[]} */
  const losses = [];
  for (let s = 0; s < steps; s++) {
    losses.push(
      scope(() => {
        const loss = model.loss(model.forward(X), y);
        optimizer.zeroGrad();
        noGrad(() => {
          loss.backward();
          optimizer.step();
        });
        return loss.detach();
      }),
    );
  }
  // one read for all steps: a GPU run does not wait inside the loop
  const values = Array.from(await stack(losses).data());
  check(values.every(Number.isFinite), `LeNet losses on ${device} are finite: ${values}`);
  for (let i = 1; i < values.length; i++) {
    check(/** @type {number} */ (values[i]) < /** @type {number} */ (values[i - 1]), `LeNet loss on ${device} falls at every step: ${values.map((v) => v.toFixed(4)).join(', ')}`);
  }
  return values;
}

/**
 * Everything on one device; returns a summary line.
 * @param {Lib} lib
 * @param {'cpu' | 'gpu'} device
 */
export async function runChecks(lib, device) {
  const corr = await checkCorr2d(lib, device);
  const losses = await lenetSteps(lib, device);
  return `${device}: corr2d ${JSON.stringify(corr)}; LeNet loss ${losses.map((v) => v.toFixed(4)).join(' > ')}`;
}

/**
 * LeNet in a training worker (spawnTrainer): the worker bundle and its .wasm must be found where
 * the package put them. Trains two epochs on bytes and checks the epoch losses fall.
 * @param {Lib} lib
 */
export async function checkWorker(lib) {
  const trainer = await lib.spawnTrainer();
  try {
    const { images, labels } = syntheticBatch(64);
    const bytes = Uint8Array.from(images, (v) => Math.round(v * 255));
    await trainer.createModel({ kind: 'lenet', seed: 0, optimizer: { type: 'sgd', lr: 0.9 } });
    await trainer.loadData({ kind: 'bytes', train: { images: bytes, labels: Uint8Array.from(labels) }, batchSize: 16, seed: 1 });
    const result = await trainer.fit({ maxEpochs: 3 });
    const epochLosses = result.epochs.map((e) => e.trainLoss);
    check(epochLosses.length === 3 && epochLosses.every(Number.isFinite), `worker epochs: ${JSON.stringify(result.epochs)}`);
    check(/** @type {number} */ (epochLosses[2]) < /** @type {number} */ (epochLosses[0]), `worker loss falls over epochs: ${epochLosses}`);
    return `worker: epoch losses ${epochLosses.map((v) => v.toFixed(4)).join(' > ')}`;
  } finally {
    await trainer.dispose();
  }
}
