/**
 * d2l.ai §8.7 Densely Connected Networks (DenseNet): the DenseBlock and transition_block shape
 * checks, the DenseNet layer summary at 96×96, then training on Fashion-MNIST resized to 96 with
 * lr 0.01, as the book does.
 * Run: npx tsx examples/ch08_7_densenet.ts [--epochs 10] [--batch-size 128] [--lr 0.01]
 *      [--train-limit N] [--val-limit N] [--resize 96] [--skip-summary 1]
 */
import { d2l, randn } from 'ferrograd';
import { isMain, size, trainSection, exampleOptions, type ExampleOptions } from './util.js';

export async function main(opts: ExampleOptions = {}): Promise<{ shapes: string[]; summary: string[]; history: d2l.EpochMetrics[] }> {
  const log = opts.log ?? console.log;
  const blk = new d2l.DenseBlock(2, 10);
  const X = randn([4, 3, 8, 8]);
  const Y = blk.forward(X);
  const shapes = [size(Y.shape), size(d2l.transitionBlock(10).forward(Y).shape)];
  shapes.forEach((s) => log(s));
  const summary = opts.summary === false ? [] : new d2l.DenseNet().layerSummary([1, 1, 96, 96], log);

  const history = await trainSection((lr) => new d2l.DenseNet({ lr: lr }), opts, { lr: 0.01, resize: 96 });
  return { shapes, summary, history };
}

if (isMain(import.meta.url)) await main(exampleOptions());
