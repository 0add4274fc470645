// d2l.ai chapter 8 (the sections not in examples.test.ts): each example's layer summary equals
// PyTorch's line for line (test/fixtures/ch8_summaries.json, written by
// scripts/golden/ch8_summaries.py with torch 1.13), the book's shape checks hold, the §8.5
// from-scratch BatchNorm matches PyTorch and nn.BatchNorm2d, and a short, seeded training run
// learns. The summaries run at the book's input size; training runs on a few Fashion-MNIST
// images at the smallest size each architecture allows, so each test stays within seconds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { d2l } from 'ferrograd';
import { main as alexnet } from '../examples/ch08_1_alexnet.js';
import { main as nin } from '../examples/ch08_3_nin.js';
import { main as googlenet } from '../examples/ch08_4_googlenet.js';
import { main as batchnorm } from '../examples/ch08_5_batchnorm.js';
import { main as resnext } from '../examples/ch08_6_resnext.js';
import { main as densenet } from '../examples/ch08_7_densenet.js';
import { main as regnet } from '../examples/ch08_8_regnet.js';

interface Fixture {
  alexnet: string[];
  nin: string[];
  googlenet: string[];
  bnlenet_scratch: string[];
  bnlenet: string[];
  batchnorm: Record<'train1_scratch' | 'train1_nn' | 'train2_scratch' | 'train2_nn' | 'moving_mean' | 'moving_var' | 'running_mean' | 'running_var' | 'eval_scratch' | 'eval_nn', number[]>;
  resnext: { book: string; strided: string };
  densenet: { dense_block: string; transition_block: string; summary: string[] };
  regnetx32: string[];
}
const golden = JSON.parse(readFileSync(new URL('./fixtures/ch8_summaries.json', import.meta.url), 'utf8')) as Fixture;

const quiet = () => {};
const LN10 = Math.log(10);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
/** Train loss of the last epoch at least `margin` below the first epoch's, and below ln(10). */
const learns = (history: d2l.EpochMetrics[], epochs: number, margin: number): void => {
  expect(history).toHaveLength(epochs);
  const [first, last] = [history[0]!.trainLoss, history.at(-1)!.trainLoss];
  expect(Number.isFinite(first) && Number.isFinite(last)).toBe(true);
  expect(last).toBeLessThan(first - margin);
  expect(last).toBeLessThan(LN10);
  expect(Number.isFinite(history.at(-1)!.valLoss!)).toBe(true);
};

// Networks without batch norm (AlexNet, NiN, GoogLeNet) learn slowly in a handful of SGD steps:
// they fit one fixed batch of 16 images for 10 epochs (10 steps) with a raised lr.
const fixedBatch = { epochs: 10, batchSize: 16, trainLimit: 16, valLimit: 16 };
// The batch-norm networks learn fast: 64 images, batch 16, 4 epochs (16 steps), the book's lr.
const fewBatches = { epochs: 4, batchSize: 16, trainLimit: 64, valLimit: 32 };

describe('d2l chapter 8 examples', () => {
  it('§8.1 AlexNet: the summary at 224x224 is PyTorch\'s; training at 67x67 (the smallest that fits) learns', async () => {
    const r = await alexnet({ ...fixedBatch, lr: 0.05, resize: 67, log: quiet });
    expect(r.summary).toEqual(golden.alexnet);
    expect(r.summary[13]).toBe('Flatten output shape:\t torch.Size([1, 6400])');
    // seen: 2.3064 -> 2.0864
    learns(r.history, 10, 0.15);
  });

  it('§8.3 NiN: the summary at 224x224 is PyTorch\'s; training at 72x72 learns', async () => {
    const r = await nin({ ...fixedBatch, lr: 0.1, resize: 72, log: quiet });
    expect(r.summary).toEqual(golden.nin);
    // seen: 2.2518 -> 2.2018
    learns(r.history, 10, 0.03);
  });

  it('§8.4 GoogLeNet: Inception blocks concatenated on channels; the summary at 96x96 is PyTorch\'s; training at 32x32 learns', async () => {
    const r = await googlenet({ ...fixedBatch, lr: 0.1, resize: 32, log: quiet });
    expect(r.summary).toEqual(golden.googlenet);
    expect(r.summary[4]).toBe('Sequential output shape:\t torch.Size([1, 1024])');
    // seen: 2.3116 -> 2.0981
    learns(r.history, 10, 0.15);
  });

  it('§8.5 batch norm: the scratch BatchNorm equals PyTorch and nn.BatchNorm2d; BNLeNetScratch and BNLeNet learn alike', async () => {
    const r = await batchnorm({ epochs: 3, batchSize: 32, trainLimit: 512, valLimit: 128, log: quiet });
    expect(r.summaryScratch).toEqual(golden.bnlenet_scratch);
    expect(r.summary).toEqual(golden.bnlenet);
    const g = golden.batchnorm;
    const c = r.check;
    // against PyTorch (the book's batch_norm and nn.BatchNorm2d on the same input): float32
    // rounding of values up to ~3.5 (seen: 2.4e-7), so 5e-6
    const TOL = 5e-6;
    expect(maxDiff(c.train1Scratch, g.train1_scratch)).toBeLessThan(TOL);
    expect(maxDiff(c.train2Scratch, g.train2_scratch)).toBeLessThan(TOL);
    expect(maxDiff(c.train1Nn, g.train1_nn)).toBeLessThan(TOL);
    expect(maxDiff(c.train2Nn, g.train2_nn)).toBeLessThan(TOL);
    expect(maxDiff(c.movingMean, g.moving_mean)).toBeLessThan(1e-6);
    expect(maxDiff(c.movingVar, g.moving_var)).toBeLessThan(1e-6);
    expect(maxDiff(c.runningMean, g.running_mean)).toBeLessThan(1e-6);
    expect(maxDiff(c.runningVar, g.running_var)).toBeLessThan(1e-6);
    expect(maxDiff(c.evalScratch, g.eval_scratch)).toBeLessThan(TOL);
    expect(maxDiff(c.evalNn, g.eval_nn)).toBeLessThan(TOL);
    // scratch vs nn: the same outputs in training mode and the same running mean (1e-5) ...
    expect(maxDiff(c.train1Scratch, c.train1Nn)).toBeLessThan(1e-5);
    expect(maxDiff(c.train2Scratch, c.train2Nn)).toBeLessThan(1e-5);
    expect(maxDiff(c.movingMean, c.runningMean)).toBeLessThan(1e-6);
    // ... but the book's moving variance averages the biased batch variance and nn's the
    // unbiased one (n = 4*5*5 = 100 values per channel), so they differ ...
    expect(maxDiff(c.movingVar, c.runningVar)).toBeGreaterThan(1e-3);
    // ... and in prediction mode the two agree once they use the same statistics
    expect(maxDiff(c.evalScratch, c.evalNn)).toBeGreaterThan(1e-3);
    expect(maxDiff(c.evalScratchWithRunningVar, c.evalNn)).toBeLessThan(1e-5);
    // the learned scale/shift of the first BatchNorm: 6 channels each, moved from 1 / 0
    expect(r.gamma.shape).toEqual([6]);
    expect(r.beta.shape).toEqual([6]);
    expect(maxDiff(r.gamma.dataSync(), new Float32Array(6).fill(1))).toBeGreaterThan(1e-3);
    // training batch statistics are the same in both models, so the train losses are (1e-5)
    expect(maxDiff(r.historyScratch.map((h) => h.trainLoss), r.history.map((h) => h.trainLoss))).toBeLessThan(1e-5);
    // seen: 1.8403 -> 1.1839 (both)
    learns(r.historyScratch, 3, 0.4);
    learns(r.history, 3, 0.4);
  });

  it('§8.6 ResNeXt block: the book\'s shape check, and a strided block with a 1x1 shortcut', () => {
    const r = resnext({ log: quiet });
    expect(r.shapes).toEqual([golden.resnext.book, golden.resnext.strided]);
    expect(r.shapes[0]).toBe('torch.Size([4, 32, 96, 96])');
    // groups = bot_channels // groups, as the book: 32 // 16 = 2 groups of 16 channels
    const [blk, strided] = r.blocks as [d2l.ResNeXtBlock, d2l.ResNeXtBlock];
    expect(blk.conv2.groups).toBe(2);
    expect(blk.conv2.weight!.shape).toEqual([32, 16, 3, 3]);
    expect(blk.conv4).toBeNull();
    expect(strided.conv2.weight!.shape).toEqual([32, 16, 3, 3]);
    expect(strided.conv4!.stride).toEqual([2, 2]);
  });

  it('§8.7 DenseNet: DenseBlock / transition_block shapes; the summary at 96x96 is PyTorch\'s; training at 32x32 learns', async () => {
    const r = await densenet({ ...fewBatches, resize: 32, log: quiet });
    expect(r.shapes).toEqual([golden.densenet.dense_block, golden.densenet.transition_block]);
    expect(r.shapes).toEqual(['torch.Size([4, 23, 8, 8])', 'torch.Size([4, 10, 4, 4])']);
    expect(r.summary).toEqual(golden.densenet.summary);
    // seen: 2.8965 -> 1.3529
    learns(r.history, 4, 0.5);
  });

  it('§8.8 RegNetX-32: the summary at 96x96 is PyTorch\'s; training at 32x32 learns', async () => {
    const r = await regnet({ ...fewBatches, resize: 32, log: quiet });
    expect(r.summary).toEqual(golden.regnetx32);
    // seen: 3.7110 -> 1.4156
    learns(r.history, 4, 0.5);
  });
});
