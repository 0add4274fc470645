/**
 * ferrograd: tensors with autograd in WebAssembly, and the d2l.ai convolutional-network API.
 *
 * ```ts
 * import { init, tensor } from 'ferrograd';
 * await init();
 * const x = tensor([[0, 1, 2], [3, 4, 5]]);
 * console.log(x.matmul(x.t()).toString());
 * ```
 * @module
 */
export { init, isReady, type InitOptions } from './wasm.js';
export { setNumThreads, getNumThreads, threadsInfo, type ThreadsInfo } from './threads/index.js';
export { Tensor, type TensorOrScalar, type NestedArray, type DeviceName, type DeviceSpec } from './tensor.js';
export { initGpu, gpuInfo, releaseGpu, isGpuReady, selectDevice, probeAdapter, type GpuInfo, type AdapterProbe } from './gpu/index.js';
export { tensor, fromArray, zeros, ones, full, zerosLike, onesLike, rand, randn, arange, setDefaultDevice, getDefaultDevice, withDefaultDevice, manualSeed, rngState, setRngState, noGrad, isGradEnabled, type TensorOptions, type Shape } from './creation.js';
export { scope, scopeAsync, memory, resetPeakMemory, type MemoryInfo } from './memory.js';
export { formatTensor, type DType, type FormatOptions } from './format.js';
export * as F from './functional.js';
export { cat, stack, type Pair } from './functional.js';
export * as nn from './nn/index.js';
export * as optim from './optim.js';
export { SGD, Adam, Optimizer, type OptimizerState } from './optim.js';
export * as d2l from './d2l/index.js';
export { DataModule, ImageLoader, FashionMNIST, FASHION_MNIST_FILES, FASHION_MNIST_LABELS, type Batch, type DataLoader, type DownloadProgress, type FashionMNISTFile, type FashionMNISTOptions, type FashionMNISTSplit, type FashionMNISTFileInfo, type ImageLoaderOptions } from './data/index.js';
export { ProgressBoard, type ProgressBoardOptions, type Scale, type Series } from './d2l/board.js';
export { ProgressBar, type ProgressBarOptions, type ProgressStream } from './d2l/progress.js';
export { encodeSafetensors, decodeSafetensors, encodeStateDict, decodeStateDict, saveSafetensors, loadSafetensors, tensorToRecord, recordToTensor, type SafetensorsDType, type TensorRecord } from './io/safetensors.js';
export { spawnTrainer, TrainerClient, TrainerGoneError, type SpawnTrainerOptions, type FitCallbacks, type NodeWorkerLike } from './workers/client.js';
export type { TrainerApi, LoaderSpec, ModelSpec, LayerSpec, OptimizerSpec, DataSpec, ByteImages, FloatExamples, FitOptions, FitResult, Position, ProgressEvent, BatchEvent, EpochEvent, ProgressCallback, CheckpointCallback, CheckpointInfo, ModelInfo, DataInfo, EvalResult, Prediction } from './workers/types.js';
