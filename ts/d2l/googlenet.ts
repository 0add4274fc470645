/**
 * d2l.ai §8.4 Multi-Branch Networks (GoogLeNet), written as the book writes them.
 * @module
 */
import * as F from '../functional.js';
import { AdaptiveAvgPool2d, Flatten, LazyConv2d, LazyLinear, MaxPool2d, ReLU } from '../nn/index.js';
import { Module as NnModule, Sequential } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { Classifier } from './module.js';
import type { ClassifierOptions } from './models.js';
import { initCnn } from './utils.js';

/**
 * The Inception block of d2l §8.4: four parallel branches (1×1; 1×1 then 3×3; 1×1 then 5×5;
 * 3×3 max-pool then 1×1) concatenated on the channel dim. `c1`–`c4` are the output channels of
 * each branch. The fields keep PyTorch's names (`b1_1`, ...), so state dicts match the book's.
 */
export class Inception extends NnModule {
  b1_1: LazyConv2d;
  b2_1: LazyConv2d;
  b2_2: LazyConv2d;
  b3_1: LazyConv2d;
  b3_2: LazyConv2d;
  b4_1: MaxPool2d;
  b4_2: LazyConv2d;

  constructor(c1: number, c2: readonly [number, number], c3: readonly [number, number], c4: number) {
    super();
    // Branch 1
    this.b1_1 = new LazyConv2d(c1, 1);
    // Branch 2
    this.b2_1 = new LazyConv2d(c2[0], 1);
    this.b2_2 = new LazyConv2d(c2[1], 3, { padding: 1 });
    // Branch 3
    this.b3_1 = new LazyConv2d(c3[0], 1);
    this.b3_2 = new LazyConv2d(c3[1], 5, { padding: 2 });
    // Branch 4
    this.b4_1 = new MaxPool2d(3, { stride: 1, padding: 1 });
    this.b4_2 = new LazyConv2d(c4, 1);
  }

  forward(x: Tensor): Tensor {
    const b1 = F.relu(this.b1_1.forward(x));
    const b2 = F.relu(this.b2_2.forward(F.relu(this.b2_1.forward(x))));
    const b3 = F.relu(this.b3_2.forward(F.relu(this.b3_1.forward(x))));
    const b4 = F.relu(this.b4_2.forward(this.b4_1.forward(x)));
    return F.cat([b1, b2, b3, b4], 1);
  }
}

/** GoogLeNet as in d2l §8.4 (for 96×96 input): the stem b1, b2, three groups of Inception blocks, a dense head. */
export class GoogleNet extends Classifier {
  constructor({ lr = 0.1, numClasses = 10 }: ClassifierOptions = {}) {
    super();
    this.lr = lr;
    this.net = new Sequential(this.b1(), this.b2(), this.b3(), this.b4(), this.b5(), new LazyLinear(numClasses));
    this.net.apply(initCnn);
  }

  b1(): Sequential {
    return new Sequential(
      new LazyConv2d(64, 7, { stride: 2, padding: 3 }),
      new ReLU(), new MaxPool2d(3, { stride: 2, padding: 1 }),
    );
  }

  b2(): Sequential {
    return new Sequential(
      new LazyConv2d(64, 1), new ReLU(),
      new LazyConv2d(192, 3, { padding: 1 }), new ReLU(),
      new MaxPool2d(3, { stride: 2, padding: 1 }),
    );
  }

  b3(): Sequential {
    return new Sequential(
      new Inception(64, [96, 128], [16, 32], 32),
      new Inception(128, [128, 192], [32, 96], 64),
      new MaxPool2d(3, { stride: 2, padding: 1 }),
    );
  }

  b4(): Sequential {
    return new Sequential(
      new Inception(192, [96, 208], [16, 48], 64),
      new Inception(160, [112, 224], [24, 64], 64),
      new Inception(128, [128, 256], [24, 64], 64),
      new Inception(112, [144, 288], [32, 64], 64),
      new Inception(256, [160, 320], [32, 128], 128),
      new MaxPool2d(3, { stride: 2, padding: 1 }),
    );
  }

  b5(): Sequential {
    return new Sequential(
      new Inception(256, [160, 320], [32, 128], 128),
      new Inception(384, [192, 384], [48, 128], 128),
      new AdaptiveAvgPool2d([1, 1]), new Flatten(),
    );
  }
}
