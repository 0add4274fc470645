// The README's TypeScript, checked against the shipped declarations (and, inside the repo, by
// `npm run typecheck` against the sources): the d2l LeNet class, trainer.fit, d2l's fit_epoch
// loop, and background training. Type-checked only; the other consumers run the code.
import { d2l, nn, noGrad, scope, spawnTrainer, ProgressBoard } from 'ferrograd';

// --- README: "The book's code, in TypeScript" (d2l §7.6) ---
class LeNet extends d2l.Classifier {
  constructor({ lr = 0.1, numClasses = 10 } = {}) {
    super();
    this.lr = lr;
    this.net = new nn.Sequential(
      new nn.LazyConv2d(6, 5, { padding: 2 }),
      new nn.Sigmoid(),
      new nn.AvgPool2d(2, { stride: 2 }),
      new nn.LazyConv2d(16, 5),
      new nn.Sigmoid(),
      new nn.AvgPool2d(2, { stride: 2 }),
      new nn.Flatten(),
      new nn.LazyLinear(120), new nn.Sigmoid(),
      new nn.LazyLinear(84), new nn.Sigmoid(),
      new nn.LazyLinear(numClasses));
  }
}

export async function readmeLeNet(): Promise<void> {
  new LeNet().layerSummary([1, 1, 28, 28]);

  const trainer = new d2l.Trainer({ maxEpochs: 10, numGpus: 1 });
  const data = new d2l.FashionMNIST({ batchSize: 128 });
  await data.load();
  const model = new LeNet({ lr: 0.1 });
  model.applyInit(
    [d2l.first(data.getDataloader(true))[0]],
    d2l.initCnn);
  await trainer.fit(model, data);
}

// --- README: d2l §3.4's Trainer.fit_epoch, the loop trainer.fit runs every epoch ---
class Trainer extends d2l.Trainer {
  override async fitEpoch(): Promise<void> {
    const model = this.model!;
    const optim = this.optim!;
    model.train();
    for (const batch of this.trainDataloader!) {
      scope(() => {            // frees every tensor the step made
        const loss = model.trainingStep(this.prepareBatch(batch));
        optim.zeroGrad();
        noGrad(() => {
          loss.backward();
          if (this.gradientClipVal > 0) this.clipGradients(this.gradientClipVal, model);
          optim.step();
        });
      });
      this.trainBatchIdx += 1;
    }
    if (this.valDataloader === null) return;
    model.eval();
    for (const batch of this.valDataloader) {
      scope(() => noGrad(() => model.validationStep(this.prepareBatch(batch))));
      this.valBatchIdx += 1;
    }
  }
}

export async function readmeFit(): Promise<number[]> {
  const data = new d2l.FashionMNIST({ batchSize: 256 });
  await data.load();
  const model = new d2l.LeNet({ lr: 0.1 });
  model.applyInit([d2l.first(data.getDataloader(true))[0]], d2l.initCnn);
  const trainer = new Trainer({ maxEpochs: 3, log: console.log });
  await trainer.fit(model, data);
  // this fitEpoch plots, as d2l's does; the metrics history is the built-in loop's
  return model.board.series.get('val_acc')?.y ?? [];
}

// --- README / workers/README.md: training in a worker, the page stays responsive ---
export async function readmeWorker(): Promise<Uint8Array> {
  const trainer = await spawnTrainer();
  await trainer.createModel({ kind: 'lenet', seed: 0 });
  await trainer.loadData({ kind: 'fashion-mnist', batchSize: 256, seed: 1 });
  const board = new ProgressBoard();
  const result = await trainer.fit({ maxEpochs: 10, progressHz: 10, checkpointEvery: 100 }, {
    onProgress: (e) => e.type === 'batch' ? board.draw(e.x, e.loss, 'train_loss') : board.draw(e.epoch, e.valAcc ?? NaN, 'val_acc'),
  });
  console.log(`${result.imagesPerSecond.toFixed(0)} images/s`);
  const weights = await trainer.getStateDict();
  await trainer.dispose();
  return weights;
}
