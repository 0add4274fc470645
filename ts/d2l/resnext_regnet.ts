/**
 * d2l.ai §8.6 the ResNeXt block and §8.8 Designing Convolution Network Architectures (AnyNet,
 * RegNetX32), written as the book writes them.
 * @module
 */
import * as F from '../functional.js';
import { AdaptiveAvgPool2d, Flatten, LazyConv2d, LazyLinear, ReLU } from '../nn/index.js';
import { LazyBatchNorm2d } from '../nn/batchnorm.js';
import { Module as NnModule, Sequential } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { Classifier } from './module.js';
import type { ClassifierOptions } from './models.js';
import { initCnn } from './utils.js';

/**
 * The ResNeXt block of d2l §8.6: 1×1 conv to `round(num_channels * bot_mul)` bottleneck
 * channels, a grouped 3×3 conv, a 1×1 conv back to `num_channels`, each with batch norm, plus the
 * (optionally 1×1-convolved) input. As in the book, the 3×3 conv uses
 * `groups = bot_channels // groups`, i.e. `groups` is the width of each group.
 */
export class ResNeXtBlock extends NnModule {
  conv1: LazyConv2d;
  conv2: LazyConv2d;
  conv3: LazyConv2d;
  bn1: LazyBatchNorm2d;
  bn2: LazyBatchNorm2d;
  bn3: LazyBatchNorm2d;
  conv4: LazyConv2d | null;
  bn4: LazyBatchNorm2d | null = null;

  constructor(numChannels: number, groups: number, botMul: number, use1x1conv = false, strides = 1) {
    super();
    // Python's round(): half to even
    const botChannels = roundHalfEven(numChannels * botMul);
    this.conv1 = new LazyConv2d(botChannels, 1, { stride: 1 });
    this.conv2 = new LazyConv2d(botChannels, 3, { stride: strides, padding: 1, groups: Math.floor(botChannels / groups) });
    this.conv3 = new LazyConv2d(numChannels, 1, { stride: 1 });
    this.bn1 = new LazyBatchNorm2d();
    this.bn2 = new LazyBatchNorm2d();
    this.bn3 = new LazyBatchNorm2d();
    if (use1x1conv) {
      this.conv4 = new LazyConv2d(numChannels, 1, { stride: strides });
      this.bn4 = new LazyBatchNorm2d();
    } else {
      this.conv4 = null;
    }
  }

  forward(X: Tensor): Tensor {
    let Y = F.relu(this.bn1.forward(this.conv1.forward(X)));
    Y = F.relu(this.bn2.forward(this.conv2.forward(Y)));
    Y = this.bn3.forward(this.conv3.forward(Y));
    if (this.conv4 && this.bn4) X = this.bn4.forward(this.conv4.forward(X));
    return F.relu(Y.add(X));
  }
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** One AnyNet stage: `[depth, num_channels, groups, bot_mul]`. */
export type AnyNetStage = readonly [depth: number, numChannels: number, groups: number, botMul: number];

/** AnyNet of d2l §8.8: a stem, stages of ResNeXt blocks (the first of each halves the resolution), a head. */
export class AnyNet extends Classifier {
  constructor(readonly arch: readonly AnyNetStage[], readonly stemChannels: number, { lr = 0.1, numClasses = 10 }: ClassifierOptions = {}) {
    super();
    this.lr = lr;
    const net = new Sequential(this.stem(stemChannels));
    arch.forEach((s, i) => net.addModule(`stage${i + 1}`, this.stage(...s)));
    net.addModule('head', new Sequential(new AdaptiveAvgPool2d([1, 1]), new Flatten(), new LazyLinear(numClasses)));
    this.net = net;
    this.net.apply(initCnn);
  }

  stem(numChannels: number): Sequential {
    return new Sequential(new LazyConv2d(numChannels, 3, { stride: 2, padding: 1 }), new LazyBatchNorm2d(), new ReLU());
  }

  stage(depth: number, numChannels: number, groups: number, botMul: number): Sequential {
    const blk: NnModule[] = [];
    for (let i = 0; i < depth; i++) {
      blk.push(i === 0 ? new ResNeXtBlock(numChannels, groups, botMul, true, 2) : new ResNeXtBlock(numChannels, groups, botMul));
    }
    return new Sequential(...blk);
  }
}

/** RegNetX-32 of d2l §8.8: stem 32 channels, groups 16, bot_mul 1, depths (4, 6), channels (32, 80). */
export class RegNetX32 extends AnyNet {
  constructor(opts: ClassifierOptions = {}) {
    const [stemChannels, groups, botMul] = [32, 16, 1];
    const [depths, channels] = [[4, 6], [32, 80]] as const;
    super([[depths[0], channels[0], groups, botMul], [depths[1], channels[1], groups, botMul]], stemChannels, opts);
  }
}
