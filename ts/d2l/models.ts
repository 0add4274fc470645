/**
 * The models of d2l.ai chapters 7–8, written as the book writes them: LeNet (§7.6), VGG (§8.2)
 * and ResNet (§8.6).
 * @module
 */
import { AdaptiveAvgPool2d, AvgPool2d, Dropout, Flatten, LazyConv2d, LazyLinear, MaxPool2d, ReLU, Sigmoid } from '../nn/index.js';
import { LazyBatchNorm2d } from '../nn/batchnorm.js';
import { Module as NnModule, Sequential } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { Classifier } from './module.js';
import { initCnn } from './utils.js';

export interface ClassifierOptions {
  lr?: number;
  numClasses?: number;
}

/** LeNet-5 as in d2l §7.6: sigmoid activations and average pooling. */
export class LeNet extends Classifier {
  constructor({ lr = 0.1, numClasses = 10 }: ClassifierOptions = {}) {
    super();
    this.lr = lr;
    this.net = new Sequential(
      new LazyConv2d(6, 5, { padding: 2 }), new Sigmoid(),
      new AvgPool2d(2, { stride: 2 }),
      new LazyConv2d(16, 5), new Sigmoid(),
      new AvgPool2d(2, { stride: 2 }),
      new Flatten(),
      new LazyLinear(120), new Sigmoid(),
      new LazyLinear(84), new Sigmoid(),
      new LazyLinear(numClasses),
    );
  }
}

/** `num_convs` 3×3 convolutions with ReLU, then a 2×2 max-pool (d2l §8.2). */
export function vggBlock(numConvs: number, outChannels: number): Sequential {
  const layers: NnModule[] = [];
  for (let i = 0; i < numConvs; i++) {
    layers.push(new LazyConv2d(outChannels, 3, { padding: 1 }));
    layers.push(new ReLU());
  }
  layers.push(new MaxPool2d(2, { stride: 2 }));
  return new Sequential(...layers);
}

export type VGGArch = readonly (readonly [numConvs: number, outChannels: number])[];

export class VGG extends Classifier {
  constructor(readonly arch: VGGArch, { lr = 0.1, numClasses = 10 }: ClassifierOptions = {}) {
    super();
    this.lr = lr;
    const convBlks = arch.map(([numConvs, outChannels]) => vggBlock(numConvs, outChannels));
    this.net = new Sequential(
      ...convBlks, new Flatten(),
      new LazyLinear(4096), new ReLU(), new Dropout(0.5),
      new LazyLinear(4096), new ReLU(), new Dropout(0.5),
      new LazyLinear(numClasses),
    );
    this.net.apply(initCnn);
  }
}

/** The residual block of d2l §8.6. */
export class Residual extends NnModule {
  conv1: LazyConv2d;
  conv2: LazyConv2d;
  conv3: LazyConv2d | null;
  bn1: LazyBatchNorm2d;
  bn2: LazyBatchNorm2d;

  constructor(numChannels: number, use1x1conv = false, strides = 1) {
    super();
    this.conv1 = new LazyConv2d(numChannels, 3, { padding: 1, stride: strides });
    this.conv2 = new LazyConv2d(numChannels, 3, { padding: 1 });
    this.conv3 = use1x1conv ? new LazyConv2d(numChannels, 1, { stride: strides }) : null;
    this.bn1 = new LazyBatchNorm2d();
    this.bn2 = new LazyBatchNorm2d();
  }

  forward(X: Tensor): Tensor {
    // F.relu(self.bn1(self.conv1(X))), with the ReLU fused into the batch norm
    let Y = this.bn1.forwardAct(this.conv1.forward(X), 'relu');
    Y = this.bn2.forward(this.conv2.forward(Y));
    if (this.conv3) X = this.conv3.forward(X);
    Y = Y.add(X);
    return Y.relu();
  }
}

export type ResNetArch = readonly (readonly [numResiduals: number, numChannels: number])[];

/** The stem d2l's ResNet (§8.6) and DenseNet (§8.7) share: 7×7/2 conv, batch norm, ReLU, 3×3/2 max-pool. */
export function resnetStem(): Sequential {
  return new Sequential(
    new LazyConv2d(64, 7, { stride: 2, padding: 3 }),
    new LazyBatchNorm2d(), new ReLU(),
    new MaxPool2d(3, { stride: 2, padding: 1 }),
  );
}

export class ResNet extends Classifier {
  constructor(readonly arch: ResNetArch, { lr = 0.1, numClasses = 10 }: ClassifierOptions = {}) {
    super();
    this.lr = lr;
    const net = new Sequential(this.b1());
    arch.forEach(([numResiduals, numChannels], i) => net.addModule(`b${i + 2}`, this.block(numResiduals, numChannels, i === 0)));
    net.addModule('last', new Sequential(new AdaptiveAvgPool2d([1, 1]), new Flatten(), new LazyLinear(numClasses)));
    this.net = net;
    this.net.apply(initCnn);
  }

  b1(): Sequential {
    return resnetStem();
  }

  block(numResiduals: number, numChannels: number, firstBlock = false): Sequential {
    const blk: NnModule[] = [];
    for (let i = 0; i < numResiduals; i++) {
      blk.push(i === 0 && !firstBlock ? new Residual(numChannels, true, 2) : new Residual(numChannels));
    }
    return new Sequential(...blk);
  }
}

export class ResNet18 extends ResNet {
  constructor(opts: ClassifierOptions = {}) {
    super([[2, 64], [2, 128], [2, 256], [2, 512]], opts);
  }
}
