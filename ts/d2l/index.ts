/**
 * `from d2l import torch as d2l` for ferrograd: the book's training framework and models.
 * @module
 */
export { Module, Classifier } from './module.js';
export { Trainer, type TrainerOptions, type BatchProgress, type EpochMetrics } from './trainer.js';
export { LeNet, vggBlock, VGG, Residual, ResNet, ResNet18, type ClassifierOptions, type VGGArch, type ResNetArch } from './models.js';
export { initCnn, first, addToClass } from './utils.js';
export { ProgressBoard } from './board.js';
export { ProgressBar } from './progress.js';
export { DataModule, type Batch, type DataLoader } from '../data/datamodule.js';
export { FashionMNIST, FASHION_MNIST_LABELS, type FashionMNISTOptions } from '../data/fashion_mnist.js';
