/**
 * `torch.nn` for ferrograd.
 * @module
 */
export { Module, Parameter, Sequential, type StateDict } from './module.js';
export { Linear, LazyLinear, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Flatten, Dropout } from './layers.js';
export { Conv1d, LazyConv1d, Conv2d, LazyConv2d, ConvTranspose2d, LazyConvTranspose2d, type Conv1dOptions, type Conv2dOptions, type ConvTranspose2dOptions } from './conv_layers.js';
export { MaxPool2d, MaxPool1d, AvgPool2d, AvgPool1d, MaxUnpool2d, AdaptiveAvgPool2d, type Pool2dOptions } from './pooling.js';
export { BatchNorm1d, BatchNorm2d, LazyBatchNorm1d, LazyBatchNorm2d, type BatchNormOptions } from './batchnorm.js';
export { Upsample, type UpsampleOptions } from './upsample.js';
export * as init from './init.js';
