/**
 * Model and optimizer construction from the worker's specs, with errors that name the bad field
 * (they reach the caller's promise as they are written here).
 * @module
 */
import { manualSeed, zeros } from '../ts/creation.js';
import { Classifier } from '../ts/d2l/module.js';
import { LeNet, ResNet18, VGG } from '../ts/d2l/models.js';
import { initCnn } from '../ts/d2l/utils.js';
import { LazyBatchNorm1d, LazyBatchNorm2d } from '../ts/nn/batchnorm.js';
import { AdaptiveAvgPool2d, AvgPool2d, Dropout, Flatten, LazyConv2d, LazyLinear, MaxPool2d, ReLU, Sigmoid, Tanh } from '../ts/nn/index.js';
import { Sequential, type Module as NnModule } from '../ts/nn/module.js';
import { Adam, SGD, type Optimizer } from '../ts/optim.js';
import type { LayerSpec, ModelSpec, OptimizerSpec } from '../ts/workers/types.js';

const KINDS = ['lenet', 'vgg', 'resnet18', 'sequential'];

function bad(msg: string): never {
  throw new Error(`createModel: ${msg}`);
}

function positiveInt(v: unknown, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 1) bad(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/** A d2l Classifier around a layer list (d2l's pattern for ad-hoc nets). */
class SequentialClassifier extends Classifier {
  constructor(layers: NnModule[], lr: number) {
    super();
    this.lr = lr;
    this.net = new Sequential(...layers);
  }
}

function layer(spec: LayerSpec, i: number): NnModule {
  const where = `layers[${i}]`;
  if (typeof spec !== 'object' || spec === null) bad(`${where} must be an object with a type, got ${JSON.stringify(spec)}`);
  switch (spec.type) {
    case 'conv2d':
      return new LazyConv2d(positiveInt(spec.outChannels, `${where}.outChannels`), spec.kernelSize, { ...(spec.stride !== undefined ? { stride: spec.stride } : {}), ...(spec.padding !== undefined ? { padding: spec.padding } : {}) });
    case 'linear':
      return new LazyLinear(positiveInt(spec.outFeatures, `${where}.outFeatures`));
    case 'maxpool2d':
    case 'avgpool2d': {
      const opts = { ...(spec.stride !== undefined ? { stride: spec.stride } : {}), ...(spec.padding !== undefined ? { padding: spec.padding } : {}) };
      return spec.type === 'maxpool2d' ? new MaxPool2d(spec.kernelSize, opts) : new AvgPool2d(spec.kernelSize, opts);
    }
    case 'adaptiveavgpool2d':
      return new AdaptiveAvgPool2d(spec.outputSize);
    case 'relu':
      return new ReLU();
    case 'sigmoid':
      return new Sigmoid();
    case 'tanh':
      return new Tanh();
    case 'flatten':
      return new Flatten();
    case 'dropout':
      if (spec.p !== undefined && !(spec.p >= 0 && spec.p < 1)) bad(`${where}.p must be in [0, 1), got ${spec.p}`);
      return new Dropout(spec.p ?? 0.5);
    case 'batchnorm2d':
      return new LazyBatchNorm2d();
    case 'batchnorm1d':
      return new LazyBatchNorm1d();
    default:
      return bad(`${where} has unknown type ${JSON.stringify((spec as { type?: unknown }).type)} (expected conv2d, linear, maxpool2d, avgpool2d, adaptiveavgpool2d, relu, sigmoid, tanh, flatten, dropout, batchnorm2d, batchnorm1d)`);
  }
}

/**
 * Builds the network, draws its parameters (after `manualSeed(spec.seed)` when given) and
 * materialises the lazy layers with one forward pass of zeros, so no random draw depends on data.
 */
export function buildModel(spec: ModelSpec, inputShape: [number, number, number]): Classifier {
  if (typeof spec !== 'object' || spec === null || !KINDS.includes(spec.kind)) bad(`unknown model kind ${JSON.stringify((spec as { kind?: unknown } | null)?.kind)} (expected ${KINDS.join(', ')})`);
  const lr = spec.lr ?? 0.1;
  if (!(lr > 0)) bad(`lr must be positive, got ${spec.lr}`);
  const numClasses = spec.numClasses === undefined ? 10 : positiveInt(spec.numClasses, 'numClasses');
  if (spec.seed !== undefined) manualSeed(spec.seed);
  let model: Classifier;
  switch (spec.kind) {
    case 'lenet':
      model = new LeNet({ lr, numClasses });
      break;
    case 'vgg':
      if (!Array.isArray(spec.arch) || spec.arch.length === 0) bad(`vgg needs arch, a list of [numConvs, outChannels], got ${JSON.stringify(spec.arch)}`);
      spec.arch.forEach((b, i) => {
        if (!Array.isArray(b) || b.length !== 2) bad(`vgg arch[${i}] must be [numConvs, outChannels], got ${JSON.stringify(b)}`);
        positiveInt(b[0], `vgg arch[${i}][0]`);
        positiveInt(b[1], `vgg arch[${i}][1]`);
      });
      model = new VGG(spec.arch, { lr, numClasses });
      break;
    case 'resnet18':
      model = new ResNet18({ lr, numClasses });
      break;
    case 'sequential':
      if (!Array.isArray(spec.layers) || spec.layers.length === 0) bad('sequential needs a non-empty layers list');
      model = new SequentialClassifier(spec.layers.map(layer), lr);
      break;
  }
  // the worker has no page to draw on; the main thread owns the plot
  model.board.display = false;
  // eval mode: batch norm keeps its running statistics and dropout draws nothing
  model.eval();
  model.applyInit([zeros([1, ...inputShape])], initCnn);
  model.train();
  return model;
}

export function buildOptimizer(model: Classifier, spec: OptimizerSpec | undefined): Optimizer {
  if (!spec) return model.configureOptimizers();
  const params = model.parameters();
  switch (spec.type) {
    case 'sgd':
      return new SGD(params, { lr: spec.lr ?? model.lr, ...(spec.momentum !== undefined ? { momentum: spec.momentum } : {}), ...(spec.dampening !== undefined ? { dampening: spec.dampening } : {}), ...(spec.weightDecay !== undefined ? { weightDecay: spec.weightDecay } : {}), ...(spec.nesterov !== undefined ? { nesterov: spec.nesterov } : {}) });
    case 'adam':
      return new Adam(params, { ...(spec.lr !== undefined ? { lr: spec.lr } : {}), ...(spec.betas ? { betas: spec.betas } : {}), ...(spec.eps !== undefined ? { eps: spec.eps } : {}), ...(spec.weightDecay !== undefined ? { weightDecay: spec.weightDecay } : {}) });
    default:
      return bad(`unknown optimizer type ${JSON.stringify((spec as { type?: unknown }).type)} (expected sgd or adam)`);
  }
}

/** One line per top-level layer, as PyTorch prints modules. */
export function describeLayers(model: Classifier): string[] {
  return model.net ? model.net.children().map((m) => m.toString().split('\n')[0]!) : [];
}
