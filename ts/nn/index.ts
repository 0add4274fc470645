/**
 * `torch.nn` for ferrograd.
 * @module
 */
export { Module, Parameter, Sequential, type StateDict } from './module.js';
export { Linear, LazyLinear, Conv2d, LazyConv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Flatten, Dropout, type Conv2dOptions, type Pool2dOptions } from './layers.js';
export { BatchNorm1d, BatchNorm2d, LazyBatchNorm1d, LazyBatchNorm2d, type BatchNormOptions } from './batchnorm.js';
export { Upsample, type UpsampleOptions } from './upsample.js';
export * as init from './init.js';
