/**
 * d2l.ai §8.1 AlexNet and §8.3 Network in Network (NiN), written as the book writes them.
 * @module
 */
import { AdaptiveAvgPool2d, Dropout, Flatten, LazyConv2d, LazyLinear, MaxPool2d, ReLU } from '../nn/index.js';
import { Sequential } from '../nn/module.js';
import type { Pair } from '../functional.js';
import { Classifier } from './module.js';
import type { ClassifierOptions } from './models.js';
import { initCnn } from './utils.js';

/** AlexNet as in d2l §8.1 (for 224×224 single-channel input): five convolutions, three dense layers with dropout 0.5. */
export class AlexNet extends Classifier {
  constructor({ lr = 0.1, numClasses = 10 }: ClassifierOptions = {}) {
    super();
    this.lr = lr;
    this.net = new Sequential(
      new LazyConv2d(96, 11, { stride: 4, padding: 1 }),
      new ReLU(), new MaxPool2d(3, { stride: 2 }),
      new LazyConv2d(256, 5, { padding: 2 }), new ReLU(),
      new MaxPool2d(3, { stride: 2 }),
      new LazyConv2d(384, 3, { padding: 1 }), new ReLU(),
      new LazyConv2d(384, 3, { padding: 1 }), new ReLU(),
      new LazyConv2d(256, 3, { padding: 1 }), new ReLU(),
      new MaxPool2d(3, { stride: 2 }), new Flatten(),
      new LazyLinear(4096), new ReLU(), new Dropout(0.5),
      new LazyLinear(4096), new ReLU(), new Dropout(0.5),
      new LazyLinear(numClasses),
    );
    this.net.apply(initCnn);
  }
}

/** d2l §8.3 `nin_block`: a convolution followed by two 1×1 convolutions, each with ReLU. */
export function ninBlock(outChannels: number, kernelSize: Pair, strides: Pair, padding: Pair): Sequential {
  return new Sequential(
    new LazyConv2d(outChannels, kernelSize, { stride: strides, padding }), new ReLU(),
    new LazyConv2d(outChannels, 1), new ReLU(),
    new LazyConv2d(outChannels, 1), new ReLU(),
  );
}

/** NiN as in d2l §8.3: NiN blocks, max-pooling, dropout, and global average pooling instead of dense layers. */
export class NiN extends Classifier {
  constructor({ lr = 0.1, numClasses = 10 }: ClassifierOptions = {}) {
    super();
    this.lr = lr;
    this.net = new Sequential(
      ninBlock(96, 11, 4, 0),
      new MaxPool2d(3, { stride: 2 }),
      ninBlock(256, 5, 1, 2),
      new MaxPool2d(3, { stride: 2 }),
      ninBlock(384, 3, 1, 1),
      new MaxPool2d(3, { stride: 2 }),
      new Dropout(0.5),
      ninBlock(numClasses, 3, 1, 1),
      new AdaptiveAvgPool2d([1, 1]),
      new Flatten(),
    );
    this.net.apply(initCnn);
  }
}
