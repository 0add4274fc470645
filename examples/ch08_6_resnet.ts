/**
 * d2l.ai §8.6 Residual Networks (ResNet): Residual block shapes, the ResNet-18 layer summary at
 * 96×96, then training on Fashion-MNIST resized to 96.
 * Run: npx tsx examples/ch08_6_resnet.ts [--epochs 10] [--batch-size 128] [--lr 0.01]
 *      [--train-limit N] [--val-limit N] [--resize 96]
 */
import { d2l, manualSeed, randn } from 'ferrograd';
import { isMain, option, size } from './util.js';

export async function main(opts: { epochs?: number; batchSize?: number; lr?: number; trainLimit?: number; valLimit?: number; resize?: number; log?: (s: string) => void } = {}): Promise<{ shapes: string[]; summary: string[]; history: d2l.EpochMetrics[] }> {
  const log = opts.log ?? console.log;
  const shapes: string[] = [];
  const X = randn([4, 3, 6, 6]);
  for (const blk of [new d2l.Residual(3), new d2l.Residual(6, true, 2)]) {
    const s = size(blk.forward(X).shape);
    shapes.push(s);
    log(s);
  }
  const summary = new d2l.ResNet18().layerSummary([1, 1, 96, 96], log);

  manualSeed(0);
  const model = new d2l.ResNet18({ lr: opts.lr ?? 0.01 });
  const trainer = new d2l.Trainer({ maxEpochs: opts.epochs ?? 10, numGpus: 1, log });
  const data = new d2l.FashionMNIST({ batchSize: opts.batchSize ?? 128, resize: opts.resize ?? 96, trainLimit: opts.trainLimit, valLimit: opts.valLimit, seed: 0, quiet: true });
  await data.load();
  model.applyInit([d2l.first(data.getDataloader(true))[0]], d2l.initCnn);
  const history = await trainer.fit(model, data);
  return { shapes, summary, history };
}

if (isMain(import.meta.url)) {
  const n = (name: string) => {
    const v = option(name, NaN);
    return Number.isNaN(v) ? undefined : v;
  };
  await main({ epochs: n('epochs'), batchSize: n('batch-size'), lr: n('lr'), trainLimit: n('train-limit'), valLimit: n('val-limit'), resize: n('resize') });
}
