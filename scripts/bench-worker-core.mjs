// The measurement shared by Node and Chromium: d2l's LeNet, the same batch size and data, trained
// on the calling thread with d2l.Trainer and in a worker with spawnTrainer, interleaved so load
// from elsewhere on the machine hits both alike.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function mainThread(fg, source, o) {
  const data = new fg.FashionMNIST({ ...source, batchSize: o.batch, seed: 1, trainLimit: o.train, valLimit: o.val, quiet: true });
  await data.load();
  fg.manualSeed(0);
  const model = new fg.d2l.LeNet();
  model.board.display = false;
  model.applyInit([fg.zeros([1, 1, 28, 28])], fg.d2l.initCnn);
  const t0 = performance.now();
  const history = await new fg.d2l.Trainer({ maxEpochs: o.epochs }).fit(model, data);
  const wall = (performance.now() - t0) / 1000;
  return { train: median(history.slice(1).map((e) => e.imagesPerSecond)), wall: (o.train * o.epochs) / wall };
}

async function inWorker(fg, source, o) {
  const t = await fg.spawnTrainer();
  try {
    await t.createModel({ kind: 'lenet', seed: 0 });
    await t.loadData({ kind: 'fashion-mnist', ...source, batchSize: o.batch, seed: 1, trainLimit: o.train, valLimit: o.val });
    let events = 0;
    const t0 = performance.now();
    const r = await t.fit({ maxEpochs: o.epochs, progressHz: 10 }, { onProgress: () => events++ });
    const wall = (performance.now() - t0) / 1000;
    return { train: median(r.epochs.slice(1).map((e) => e.imagesPerSecond)), wall: (o.train * o.epochs) / wall, events };
  } finally {
    await t.dispose();
  }
}

/** Interleaved rounds; images/s of the training phase (Trainer's metric, epochs after the first) and of fit() wall time. */
export async function measure(fg, source, { batch = 128, train = 6400, val = 1000, epochs = 3, rounds = 5 } = {}) {
  const o = { batch, train, val, epochs };
  const main = [];
  const worker = [];
  for (let i = 0; i < rounds; i++) {
    main.push(await mainThread(fg, source, o));
    worker.push(await inWorker(fg, source, o));
  }
  const pick = (rs, k) => median(rs.map((r) => r[k]));
  const range = (rs, k) => [Math.min(...rs.map((r) => r[k])), Math.max(...rs.map((r) => r[k]))];
  // paired by round: both halves of a round ran back to back, under about the same load
  const ratio = (k) => median(main.map((m, i) => worker[i][k] / m[k]));
  return {
    config: o,
    rounds,
    main: { train: pick(main, 'train'), wall: pick(main, 'wall'), trainRange: range(main, 'train') },
    worker: { train: pick(worker, 'train'), wall: pick(worker, 'wall'), trainRange: range(worker, 'train'), events: pick(worker, 'events') },
    ratio: { train: ratio('train'), wall: ratio('wall') },
    raw: { main, worker },
  };
}
