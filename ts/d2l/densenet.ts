/**
 * d2l.ai §8.7 Densely Connected Networks (DenseNet), written as the book writes it.
 * @module
 */
import * as F from '../functional.js';
import { AdaptiveAvgPool2d, AvgPool2d, Flatten, LazyConv2d, LazyLinear, ReLU } from '../nn/index.js';
import { LazyBatchNorm2d } from '../nn/batchnorm.js';
import { Module as NnModule, Sequential } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { Classifier } from './module.js';
import { resnetStem, type ClassifierOptions } from './models.js';
import { initCnn } from './utils.js';

/** d2l §8.7 `conv_block`: batch norm, ReLU, 3×3 convolution (pre-activation). */
export function convBlock(numChannels: number): Sequential {
  return new Sequential(new LazyBatchNorm2d(), new ReLU(), new LazyConv2d(numChannels, 3, { padding: 1 }));
}

/** A dense block: each conv block's output is concatenated to its input on the channel dim. */
export class DenseBlock extends NnModule {
  net: Sequential;

  constructor(numConvs: number, numChannels: number) {
    super();
    const layer: NnModule[] = [];
    for (let i = 0; i < numConvs; i++) layer.push(convBlock(numChannels));
    this.net = new Sequential(...layer);
  }

  forward(X: Tensor): Tensor {
    for (const blk of this.net) {
      const Y = blk.forward(X);
      // Concatenate input and output of each block along the channels
      X = F.cat([X, Y], 1);
    }
    return X;
  }
}

/** d2l §8.7 `transition_block`: batch norm, ReLU, 1×1 conv to `num_channels`, 2×2 average pooling. */
export function transitionBlock(numChannels: number): Sequential {
  return new Sequential(new LazyBatchNorm2d(), new ReLU(), new LazyConv2d(numChannels, 1), new AvgPool2d(2, { stride: 2 }));
}

export interface DenseNetOptions extends ClassifierOptions {
  numChannels?: number;
  growthRate?: number;
  arch?: readonly number[];
}

/** DenseNet as in d2l §8.7 (for 96×96 input): four dense blocks of 4 convs, growth rate 32, transition layers halving the channels. */
export class DenseNet extends Classifier {
  constructor({ numChannels = 64, growthRate = 32, arch = [4, 4, 4, 4], lr = 0.1, numClasses = 10 }: DenseNetOptions = {}) {
    super();
    this.lr = lr;
    const net = new Sequential(this.b1());
    arch.forEach((numConvs, i) => {
      net.addModule(`dense_blk${i + 1}`, new DenseBlock(numConvs, growthRate));
      // The number of output channels in the previous dense block
      numChannels += numConvs * growthRate;
      // A transition layer that halves the number of channels is added between the dense blocks
      if (i !== arch.length - 1) {
        numChannels = Math.floor(numChannels / 2);
        net.addModule(`tran_blk${i + 1}`, transitionBlock(numChannels));
      }
    });
    net.addModule('last', new Sequential(new LazyBatchNorm2d(), new ReLU(), new AdaptiveAvgPool2d([1, 1]), new Flatten(), new LazyLinear(numClasses)));
    this.net = net;
    this.net.apply(initCnn);
  }

  b1(): Sequential {
    return resnetStem();
  }
}
