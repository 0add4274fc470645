/**
 * d2l.ai §8.5 Batch Normalization: LeNet with the book's from-scratch BatchNorm
 * (BNLeNetScratch), trained on Fashion-MNIST (lr 0.1, 28×28), then the first BatchNorm layer's
 * learned `gamma` and `beta` (the book's `model.net[1].gamma.reshape((-1,))`), then the concise
 * BNLeNet with nn.LazyBatchNorm2d / LazyBatchNorm1d. Before training, a check that the scratch
 * BatchNorm and nn.BatchNorm2d agree on a deterministic input (two training steps, then
 * prediction mode).
 * Run: npx tsx examples/ch08_5_batchnorm.ts [--epochs 10] [--batch-size 128] [--lr 0.1]
 *      [--train-limit N] [--val-limit N] [--resize 28]
 */
import { d2l, fromArray, manualSeed, nn, noGrad, type Tensor } from 'ferrograd';
import { isMain, option } from './util.js';

/** `x[i] = sin(a * i + b) * (1 + c) + 0.5 * c` (i the flat index, c the channel): the same input as scripts/golden/ch8_summaries.py. */
export function detInput(shape: readonly number[], a: number, b: number): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const plane = shape.slice(2).reduce((p, d) => p * d, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / plane) % shape[1]!;
    v[i] = Math.sin(a * i + b) * (1 + c) + 0.5 * c;
  }
  return fromArray(v, [...shape]);
}

export interface BatchNormCheck {
  train1Scratch: Float32Array;
  train1Nn: Float32Array;
  train2Scratch: Float32Array;
  train2Nn: Float32Array;
  movingMean: Float32Array;
  movingVar: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
  evalScratch: Float32Array;
  evalNn: Float32Array;
  /** The scratch layer in prediction mode after its moving variance is set to nn's running variance. */
  evalScratchWithRunningVar: Float32Array;
}

/** The scratch BatchNorm(3, 4) and nn.BatchNorm2d(3) with the same gamma/beta: two training steps, then prediction mode. */
export function compareWithNn(shape: readonly number[] = [4, 3, 5, 5], inputs: readonly (readonly [number, number])[] = [[0.37, 0.1], [0.23, 0.7], [0.11, 1.3]], gamma: readonly number[] = [1, 1.1, 1.2], beta: readonly number[] = [0, 0.05, 0.1]): BatchNormCheck {
  const [X1, X2, X3] = inputs.map(([a, b]) => detInput(shape, a, b)) as [Tensor, Tensor, Tensor];
  const c = gamma.length;
  const scratch = new d2l.BatchNorm(c, 4);
  scratch.gamma.assign_(fromArray(Float32Array.from(gamma), [1, c, 1, 1]));
  scratch.beta.assign_(fromArray(Float32Array.from(beta), [1, c, 1, 1]));
  const bn = new nn.BatchNorm2d(c);
  bn.weight!.assign_(fromArray(Float32Array.from(gamma), [c]));
  bn.bias!.assign_(fromArray(Float32Array.from(beta), [c]));
  bn.train();
  const train1Scratch = scratch.forward(X1).dataSync();
  const train1Nn = bn.forward(X1).dataSync();
  const train2Scratch = scratch.forward(X2).dataSync();
  const train2Nn = bn.forward(X2).dataSync();
  const r: Omit<BatchNormCheck, 'evalScratch' | 'evalNn' | 'evalScratchWithRunningVar'> = {
    train1Scratch, train1Nn, train2Scratch, train2Nn,
    movingMean: scratch.movingMean.dataSync(), movingVar: scratch.movingVar.dataSync(),
    runningMean: bn.getBufferForTest('running_mean').dataSync(), runningVar: bn.getBufferForTest('running_var').dataSync(),
  };
  bn.eval();
  // the book's batch_norm takes prediction mode from torch.is_grad_enabled()
  const [evalScratch, evalNn] = noGrad(() => [scratch.forward(X3).dataSync(), bn.forward(X3).dataSync()]);
  scratch.movingVar = bn.getBufferForTest('running_var').reshape(1, c, 1, 1).detach().keep();
  const evalScratchWithRunningVar = noGrad(() => scratch.forward(X3).dataSync());
  return { ...r, evalScratch, evalNn, evalScratchWithRunningVar };
}

export interface BatchNormRun {
  check: BatchNormCheck;
  summaryScratch: string[];
  summary: string[];
  historyScratch: d2l.EpochMetrics[];
  history: d2l.EpochMetrics[];
  gamma: Tensor;
  beta: Tensor;
}

export async function main(opts: { epochs?: number; batchSize?: number; lr?: number; trainLimit?: number; valLimit?: number; resize?: number; log?: (s: string) => void } = {}): Promise<BatchNormRun> {
  const log = opts.log ?? console.log;
  const check = compareWithNn();
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  log(`scratch BatchNorm vs nn.BatchNorm2d: max |diff| ${maxDiff(check.train1Scratch, check.train1Nn).toExponential(2)} (training), ${maxDiff(check.evalScratchWithRunningVar, check.evalNn).toExponential(2)} (prediction, same statistics)`);
  // batch 2: batch norm in training mode needs more than one value per channel
  const summaryScratch = new d2l.BNLeNetScratch().layerSummary([2, 1, 28, 28], log);
  const summary = new d2l.BNLeNet().layerSummary([2, 1, 28, 28], log);

  const fit = async <M extends d2l.Classifier>(model: M): Promise<d2l.EpochMetrics[]> => {
    const trainer = new d2l.Trainer({ maxEpochs: opts.epochs ?? 10, numGpus: 1, log });
    const data = new d2l.FashionMNIST({ batchSize: opts.batchSize ?? 128, resize: opts.resize, trainLimit: opts.trainLimit, valLimit: opts.valLimit, seed: 0, quiet: true });
    await data.load();
    model.applyInit([d2l.first(data.getDataloader(true))[0]], d2l.initCnn);
    return trainer.fit(model, data);
  };
  manualSeed(0);
  const scratch = new d2l.BNLeNetScratch({ lr: opts.lr ?? 0.1 });
  const historyScratch = await fit(scratch);
  const bn1 = (scratch.net as nn.Sequential).get(1) as d2l.BatchNorm;
  const gamma = bn1.gamma.reshape(-1);
  const beta = bn1.beta.reshape(-1);
  log(`(${gamma.toString()},\n ${beta.toString()})`);

  manualSeed(0);
  const history = await fit(new d2l.BNLeNet({ lr: opts.lr ?? 0.1 }));
  return { check, summaryScratch, summary, historyScratch, history, gamma, beta };
}

if (isMain(import.meta.url)) {
  const n = (name: string) => {
    const v = option(name, NaN);
    return Number.isNaN(v) ? undefined : v;
  };
  await main({ epochs: n('epochs'), batchSize: n('batch-size'), lr: n('lr'), trainLimit: n('train-limit'), valLimit: n('val-limit'), resize: n('resize') });
}
