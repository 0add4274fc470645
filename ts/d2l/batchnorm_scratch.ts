/**
 * d2l.ai §8.5 Batch Normalization: the book's `batch_norm` function and `BatchNorm` layer from
 * scratch, LeNet with them (`BNLeNetScratch`) and with nn's lazy batch-norm layers (`BNLeNet`).
 * @module
 */
import { isGradEnabled, ones, zeros } from '../creation.js';
import { AvgPool2d, Flatten, LazyConv2d, LazyLinear, Sigmoid } from '../nn/index.js';
import { LazyBatchNorm1d, LazyBatchNorm2d } from '../nn/batchnorm.js';
import { Module as NnModule, Parameter, Sequential } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { Classifier } from './module.js';
import type { ClassifierOptions } from './models.js';

/**
 * The book's `batch_norm`: in training mode (grad enabled, as the book tests
 * `torch.is_grad_enabled()`) normalises with the batch mean and biased variance (over dim 0 for
 * 2-D input, dims 0, 2, 3 for 4-D) and updates the moving averages; in prediction mode (inside
 * `noGrad`) uses the moving averages. Returns `[Y, moving_mean, moving_var]` (the statistics
 * detached, as the book's `.data`).
 *
 * Unlike `nn.BatchNorm2d`, whose running variance averages the *unbiased* batch variance, the
 * book's moving variance averages the biased one; the outputs in training mode are the same.
 */
export function batchNorm(X: Tensor, gamma: Tensor, beta: Tensor, movingMean: Tensor, movingVar: Tensor, eps: number, momentum: number): [Tensor, Tensor, Tensor] {
  let XHat: Tensor;
  if (!isGradEnabled()) {
    // In prediction mode, use mean and variance obtained by moving average
    XHat = X.sub(movingMean).div(movingVar.add(eps).sqrt());
  } else {
    if (X.ndim !== 2 && X.ndim !== 4) throw new Error(`batch_norm: expected a 2-D or 4-D input, got shape [${X.shape.join(', ')}]`);
    let mean: Tensor;
    let v: Tensor;
    if (X.ndim === 2) {
      // fully connected layer: mean and variance on the feature dimension
      mean = X.mean(0);
      v = X.sub(mean).pow(2).mean(0);
    } else {
      // convolutional layer: mean and variance per channel (axis=1), keeping X's shape for broadcasting
      mean = X.mean([0, 2, 3], true);
      v = X.sub(mean).pow(2).mean([0, 2, 3], true);
    }
    // In training mode, the current mean and variance are used
    XHat = X.sub(mean).div(v.add(eps).sqrt());
    // Update the mean and variance using moving average
    movingMean = movingMean.mul(1.0 - momentum).add(mean.mul(momentum));
    movingVar = movingVar.mul(1.0 - momentum).add(v.mul(momentum));
  }
  const Y = gamma.mul(XHat).add(beta); // Scale and shift
  return [Y, movingMean.detach(), movingVar.detach()];
}

/**
 * The book's `BatchNorm(num_features, num_dims)`: `num_dims` is 2 after a fully connected layer,
 * 4 after a convolution. `gamma`/`beta` are parameters (ones/zeros); `movingMean`/`movingVar`
 * are plain tensors (zeros/ones), not parameters, as in the book (so not in the state dict).
 */
export class BatchNorm extends NnModule {
  gamma: Parameter;
  beta: Parameter;
  movingMean: Tensor;
  movingVar: Tensor;

  constructor(numFeatures: number, numDims: number) {
    super();
    const shape = numDims === 2 ? [1, numFeatures] : [1, numFeatures, 1, 1];
    // The scale parameter and the shift parameter are initialized to 1 and 0
    this.gamma = new Parameter(ones(shape));
    this.beta = new Parameter(zeros(shape));
    // The variables that are not model parameters are initialized to 0 and 1
    this.movingMean = zeros(shape).keep();
    this.movingVar = ones(shape).keep();
  }

  forward(X: Tensor): Tensor {
    // If X is not on the main memory, copy moving_mean and moving_var to X's device
    if (this.movingMean.device !== X.device) {
      this.movingMean = this.movingMean.to(X.device).keep();
      this.movingVar = this.movingVar.to(X.device).keep();
    }
    // Save the updated moving_mean and moving_var (they outlive the training step's scope)
    const [Y, movingMean, movingVar] = batchNorm(X, this.gamma, this.beta, this.movingMean, this.movingVar, 1e-5, 0.1);
    this.movingMean = movingMean.keep();
    this.movingVar = movingVar.keep();
    return Y;
  }
}

/** LeNet with the from-scratch BatchNorm after every convolution and dense layer (d2l §8.5). */
export class BNLeNetScratch extends Classifier {
  constructor({ lr = 0.1, numClasses = 10 }: ClassifierOptions = {}) {
    super();
    this.lr = lr;
    this.net = new Sequential(
      new LazyConv2d(6, 5), new BatchNorm(6, 4),
      new Sigmoid(), new AvgPool2d(2, { stride: 2 }),
      new LazyConv2d(16, 5), new BatchNorm(16, 4),
      new Sigmoid(), new AvgPool2d(2, { stride: 2 }),
      new Flatten(), new LazyLinear(120),
      new BatchNorm(120, 2), new Sigmoid(), new LazyLinear(84),
      new BatchNorm(84, 2), new Sigmoid(),
      new LazyLinear(numClasses),
    );
  }
}

/** The concise version: LeNet with `nn.LazyBatchNorm2d` / `nn.LazyBatchNorm1d` (d2l §8.5). */
export class BNLeNet extends Classifier {
  constructor({ lr = 0.1, numClasses = 10 }: ClassifierOptions = {}) {
    super();
    this.lr = lr;
    this.net = new Sequential(
      new LazyConv2d(6, 5), new LazyBatchNorm2d(),
      new Sigmoid(), new AvgPool2d(2, { stride: 2 }),
      new LazyConv2d(16, 5), new LazyBatchNorm2d(),
      new Sigmoid(), new AvgPool2d(2, { stride: 2 }),
      new Flatten(), new LazyLinear(120), new LazyBatchNorm1d(),
      new Sigmoid(), new LazyLinear(84), new LazyBatchNorm1d(),
      new Sigmoid(), new LazyLinear(numClasses),
    );
  }
}
