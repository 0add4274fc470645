/**
 * d2l.ai §8.4 Multi-Branch Networks (GoogLeNet): the GoogLeNet layer summary at 96×96, then
 * training on Fashion-MNIST resized to 96 with lr 0.01, as the book does.
 * Run: npx tsx examples/ch08_4_googlenet.ts [--epochs 10] [--batch-size 128] [--lr 0.01]
 *      [--train-limit N] [--val-limit N] [--resize 96] [--skip-summary 1]
 */
import { d2l } from 'ferrograd';
import { isMain, trainSection, exampleOptions, type ExampleOptions } from './util.js';

export async function main(opts: ExampleOptions = {}): Promise<{ summary: string[]; history: d2l.EpochMetrics[] }> {
  const log = opts.log ?? console.log;
  const summary = opts.summary === false ? [] : new d2l.GoogleNet().layerSummary([1, 1, 96, 96], log);

  const history = await trainSection((lr) => new d2l.GoogleNet({ lr: lr }), opts, { lr: 0.01, resize: 96 });
  return { summary, history };
}

if (isMain(import.meta.url)) await main(exampleOptions());
