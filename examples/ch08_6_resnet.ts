/**
 * d2l.ai §8.6 Residual Networks (ResNet): Residual block shapes, the ResNet-18 layer summary at
 * 96×96, then training on Fashion-MNIST resized to 96.
 * Run: npx tsx examples/ch08_6_resnet.ts [--epochs 10] [--batch-size 128] [--lr 0.01]
 *      [--train-limit N] [--val-limit N] [--resize 96]
 */
import { d2l, randn } from 'ferrograd';
import { isMain, option, size, trainSection } from './util.js';

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

  const history = await trainSection((lr) => new d2l.ResNet18({ lr: lr }), opts, { lr: 0.01, resize: 96 });
  return { shapes, summary, history };
}

if (isMain(import.meta.url)) {
  const n = (name: string) => {
    const v = option(name, NaN);
    return Number.isNaN(v) ? undefined : v;
  };
  await main({ epochs: n('epochs'), batchSize: n('batch-size'), lr: n('lr'), trainLimit: n('train-limit'), valLimit: n('val-limit'), resize: n('resize') });
}
