/**
 * d2l.ai §8.2 Networks Using Blocks (VGG): the VGG-11 layer summary at 224×224, then training
 * the small VGG (channels / 4) on Fashion-MNIST resized to 224.
 * Run: npx tsx examples/ch08_2_vgg.ts [--epochs 10] [--batch-size 128] [--lr 0.01]
 *      [--train-limit N] [--val-limit N] [--resize 224] [--skip-summary 1]
 */
import { d2l, manualSeed } from 'ferrograd';
import { isMain, exampleOptions, type ExampleOptions } from './util.js';

export const VGG11: d2l.VGGArch = [[1, 64], [1, 128], [2, 256], [2, 512], [2, 512]];
export const SMALL_VGG: d2l.VGGArch = [[1, 16], [1, 32], [2, 64], [2, 128], [2, 128]];

export async function main(opts: ExampleOptions = {}): Promise<{ summary: string[]; history: d2l.EpochMetrics[] }> {
  const log = opts.log ?? console.log;
  const summary = opts.summary === false ? [] : new d2l.VGG(VGG11).layerSummary([1, 1, 224, 224], log);

  manualSeed(0);
  const model = new d2l.VGG(SMALL_VGG, { lr: opts.lr ?? 0.01 });
  const trainer = new d2l.Trainer({ maxEpochs: opts.epochs ?? 10, numGpus: 1, log });
  const data = new d2l.FashionMNIST({ batchSize: opts.batchSize ?? 128, resize: opts.resize ?? 224, trainLimit: opts.trainLimit, valLimit: opts.valLimit, seed: 0, quiet: true });
  await data.load();
  model.applyInit([d2l.first(data.getDataloader(true))[0]], d2l.initCnn);
  const history = await trainer.fit(model, data);
  return { summary, history };
}

if (isMain(import.meta.url)) await main(exampleOptions());
