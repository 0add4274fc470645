/**
 * d2l's `Module` and `Classifier` (d2l.ai §3.2 / §4.3): a network with its loss, the optimizer
 * it wants, and training/validation steps that plot their metrics on a ProgressBoard.
 * @module
 */
import { noGrad, randn } from '../creation.js';
import * as F from '../functional.js';
import { Module as NnModule } from '../nn/module.js';
import { SGD, type Optimizer } from '../optim.js';
import type { Tensor } from '../tensor.js';
import { ProgressBoard } from './board.js';
import type { Batch } from '../data/datamodule.js';
import type { Trainer } from './trainer.js';

export abstract class Module extends NnModule {
  /** The network; `forward` calls it (subclasses set it in their constructor). */
  net: NnModule | null = null;
  lr = 0.1;
  board: ProgressBoard = new ProgressBoard();
  plotTrainPerEpoch = 2;
  plotValidPerEpoch = 1;
  /** Set by the Trainer that fits this model. */
  trainer: Trainer | null = null;

  loss(_yHat: Tensor, _y: Tensor): Tensor {
    throw new Error(`${this.constructor.name}: loss() is not defined`);
  }

  forward(x: Tensor): Tensor {
    if (!this.net) throw new Error(`${this.constructor.name}: this.net is not defined; set it in the constructor or override forward()`);
    return this.net.forward(x);
  }

  /** Plots `value` as `train_<key>` or `val_<key>` at fractional epochs (d2l's `plot`). */
  plot(key: string, value: Tensor | number, train: boolean): void {
    const t = this.trainer;
    if (!t) throw new Error(`${this.constructor.name}.plot: Trainer is not inited`);
    if (train && t._pending) {
      // inside a training step: drawn once the step has succeeded (a retried step draws once)
      t._pending.push([key, value]);
      return;
    }
    this.board.xlabel = 'epoch';
    let x: number;
    let n: number;
    if (train) {
      x = t.trainBatchIdx / t.numTrainBatches;
      n = t.numTrainBatches / this.plotTrainPerEpoch;
    } else {
      x = t.epoch + 1;
      n = t.numValBatches / this.plotValidPerEpoch;
    }
    const draw = (v: number) => {
      this.board.draw(x, v, (train ? 'train_' : 'val_') + key, Math.max(1, Math.floor(n)));
      t.recordMetric(train ? 'train' : 'val', key, v);
    };
    // A GPU value is read later together with others, so a step never waits on the GPU.
    if (typeof value === 'number') draw(value);
    else if (value.device === 'cpu') draw(value.item());
    else t.defer(value, draw);
  }

  trainingStep(batch: Batch): Tensor {
    const l = this.loss(this.forward(batch[0]), batch[1]);
    this.plot('loss', l, true);
    return l;
  }

  validationStep(batch: Batch): void {
    const l = this.loss(this.forward(batch[0]), batch[1]);
    this.plot('loss', l, false);
  }

  configureOptimizers(): Optimizer {
    return new SGD(this.parameters(), this.lr);
  }

  /** Runs one forward pass so lazy layers materialise, then applies `init` to every layer. */
  applyInit(inputs: Tensor[], init?: (m: NnModule) => void): void {
    noGrad(() => this.forward(...(inputs as [Tensor])));
    if (init && this.net) this.net.apply(init);
  }
}

export abstract class Classifier extends Module {
  override validationStep(batch: Batch): void {
    const yHat = this.forward(batch[0]);
    this.plot('loss', this.loss(yHat, batch[1]), false);
    this.plot('acc', this.accuracy(yHat, batch[1]), false);
  }

  /** Fraction (or count, unaveraged) of correct predictions. */
  accuracy(yHat: Tensor, y: Tensor, averaged = true): Tensor {
    const preds = yHat.reshape(-1, yHat.shape.at(-1)!).argmax(1);
    // d2l: `(preds == Y).type(torch.float32)`; the mean of a bool tensor is an error
    const cmp = preds.eq(y.reshape(-1)).float();
    return averaged ? cmp.mean() : cmp;
  }

  override loss(yHat: Tensor, y: Tensor): Tensor {
    return F.crossEntropy(yHat.reshape(-1, yHat.shape.at(-1)!), y.reshape(-1));
  }

  /** Prints each top-level layer's output shape for an input of `shape` (d2l's layer_summary). */
  layerSummary(shape: number[], log: (line: string) => void = console.log): string[] {
    if (!this.net) throw new Error(`${this.constructor.name}.layerSummary: this.net is not defined`);
    const lines: string[] = [];
    noGrad(() => {
      let x = randn(shape, { device: this.device });
      for (const layer of this.net!.children()) {
        x = layer.forward(x);
        const line = `${layer.typeName} output shape:\t torch.Size([${x.shape.join(', ')}])`;
        lines.push(line);
        log(line);
      }
    });
    return lines;
  }
}
