/**
 * d2l.ai §8.6.5 ResNeXt: the ResNeXt block with a grouped 3×3 convolution. The book checks
 * `ResNeXtBlock(32, 16, 1)` on a `randn(4, 32, 96, 96)` input (same shape out); a strided block
 * with a 1×1 convolution on the shortcut halves the resolution. The book trains no ResNeXt
 * model in this section: the blocks are trained as part of RegNetX-32 (§8.8,
 * examples/ch08_8_regnet.ts).
 * Run: npx tsx examples/ch08_6_resnext.ts
 */
import { d2l, manualSeed, noGrad, randn } from 'ferrograd';
import { isMain, size } from './util.js';

export function main(opts: { log?: (s: string) => void } = {}): { shapes: string[]; blocks: d2l.ResNeXtBlock[] } {
  const log = opts.log ?? console.log;
  manualSeed(0);
  const blk = new d2l.ResNeXtBlock(32, 16, 1);
  const X = randn([4, 32, 96, 96]);
  const strided = new d2l.ResNeXtBlock(64, 16, 0.5, true, 2);
  const shapes = noGrad(() => [size(blk.forward(X).shape), size(strided.forward(randn([4, 32, 12, 12])).shape)]);
  shapes.forEach((s) => log(s));
  return { shapes, blocks: [blk, strided] };
}

if (isMain(import.meta.url)) main();
