/**
 * d2l.ai §8.3 Network in Network (NiN): the NiN layer summary at 224×224, then training on
 * Fashion-MNIST resized to 224 with lr 0.05, as the book does.
 * Run: npx tsx examples/ch08_3_nin.ts [--epochs 10] [--batch-size 128] [--lr 0.05]
 *      [--train-limit N] [--val-limit N] [--resize 224] [--skip-summary 1]
 */
import { d2l } from 'ferrograd';
import { isMain, trainSection, exampleOptions, type ExampleOptions } from './util.js';

export async function main(opts: ExampleOptions = {}): Promise<{ summary: string[]; history: d2l.EpochMetrics[] }> {
  const log = opts.log ?? console.log;
  const summary = opts.summary === false ? [] : new d2l.NiN().layerSummary([1, 1, 224, 224], log);

  const history = await trainSection((lr) => new d2l.NiN({ lr: lr }), opts, { lr: 0.05, resize: 224 });
  return { summary, history };
}

if (isMain(import.meta.url)) await main(exampleOptions());
