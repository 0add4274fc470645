/**
 * d2l.ai §7.6 Convolutional Neural Networks (LeNet): the layer summary, then training on
 * Fashion-MNIST with Xavier init, as the book does.
 * Run: npx tsx examples/ch07_6_lenet.ts [--epochs 10] [--batch-size 128] [--lr 0.1]
 *      [--train-limit N] [--val-limit N]
 */
import { d2l, manualSeed } from 'ferrograd';
import { isMain, option } from './util.js';

export interface LeNetRun {
  summary: string[];
  history: d2l.EpochMetrics[];
  model: d2l.LeNet;
}

export async function main(opts: { epochs?: number; batchSize?: number; lr?: number; trainLimit?: number; valLimit?: number; seed?: number; log?: (s: string) => void } = {}): Promise<LeNetRun> {
  const log = opts.log ?? console.log;
  const summary = new d2l.LeNet().layerSummary([1, 1, 28, 28], log);

  manualSeed(opts.seed ?? 0);
  const trainer = new d2l.Trainer({ maxEpochs: opts.epochs ?? 10, numGpus: 1, log });
  const data = new d2l.FashionMNIST({ batchSize: opts.batchSize ?? 128, trainLimit: opts.trainLimit, valLimit: opts.valLimit, seed: opts.seed ?? 0, quiet: true });
  await data.load();
  const model = new d2l.LeNet({ lr: opts.lr ?? 0.1 });
  model.applyInit([d2l.first(data.getDataloader(true))[0]], d2l.initCnn);
  const history = await trainer.fit(model, data);
  return { summary, history, model };
}

if (isMain(import.meta.url)) {
  const n = (name: string) => {
    const v = option(name, NaN);
    return Number.isNaN(v) ? undefined : v;
  };
  await main({ epochs: n('epochs'), batchSize: n('batch-size'), lr: n('lr'), trainLimit: n('train-limit'), valLimit: n('val-limit') });
}
