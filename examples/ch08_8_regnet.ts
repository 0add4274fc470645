/**
 * d2l.ai §8.8 Designing Convolution Network Architectures (RegNetX-32): the RegNetX-32 layer summary
 * at 96×96, then training on Fashion-MNIST resized to 96 with lr 0.05, as the book does.
 * Run: npx tsx examples/ch08_8_regnet.ts [--epochs 10] [--batch-size 128] [--lr 0.05]
 *      [--train-limit N] [--val-limit N] [--resize 96] [--skip-summary 1]
 */
import { d2l } from 'ferrograd';
import { isMain, trainSection, exampleOptions, type ExampleOptions } from './util.js';

export async function main(opts: ExampleOptions = {}): Promise<{ summary: string[]; history: d2l.EpochMetrics[] }> {
  const log = opts.log ?? console.log;
  const summary = opts.summary === false ? [] : new d2l.RegNetX32().layerSummary([1, 1, 96, 96], log);

  const history = await trainSection((lr) => new d2l.RegNetX32({ lr: lr }), opts, { lr: 0.05, resize: 96 });
  return { summary, history };
}

if (isMain(import.meta.url)) await main(exampleOptions());
