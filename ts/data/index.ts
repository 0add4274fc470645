/**
 * Data modules and loaders (d2l's `DataModule`, `FashionMNIST`) and the IDX reader they use.
 * @module
 */
export { DataModule, ImageLoader, type Batch, type DataLoader, type ImageLoaderOptions } from './datamodule.js';
export {
  FashionMNIST,
  FASHION_MNIST_FILES,
  FASHION_MNIST_LABELS,
  type FashionMNISTFile,
  type FashionMNISTFileInfo,
  type FashionMNISTOptions,
  type FashionMNISTSplit,
} from './fashion_mnist.js';
export { parseIdxImages, parseIdxLabels, gunzipIfNeeded, type IdxImages, type IdxLabels, type IdxSource } from './idx.js';
export type { DownloadProgress } from './download.js';
export { permutation, epochSeed } from './random.js';
