/**
 * `from d2l import torch as d2l` for ferrograd: the book's training framework and models.
 * @module
 */
export { Module, Classifier } from './module.js';
export { Trainer, type TrainerOptions, type BatchProgress, type EpochMetrics } from './trainer.js';
export { LeNet, vggBlock, VGG, Residual, ResNet, ResNet18, type ClassifierOptions, type VGGArch, type ResNetArch } from './models.js';
export { AlexNet, ninBlock, NiN } from './models_alexnet_nin.js';
export { Inception, GoogleNet } from './googlenet.js';
export { batchNorm, BatchNorm, BNLeNetScratch, BNLeNet } from './batchnorm_scratch.js';
export { ResNeXtBlock, AnyNet, RegNetX32, type AnyNetStage } from './resnext_regnet.js';
export { convBlock, DenseBlock, transitionBlock, DenseNet, type DenseNetOptions } from './densenet.js';
export { initCnn, first, addToClass } from './utils.js';
export { ProgressBoard } from './board.js';
export { ProgressBar } from './progress.js';
export { DataModule, type Batch, type DataLoader } from '../data/datamodule.js';
export { FashionMNIST, FASHION_MNIST_LABELS, type FashionMNISTOptions } from '../data/fashion_mnist.js';
