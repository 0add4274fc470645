/**
 * The contract between the training worker (`workers/`) and its client ({@link spawnTrainer}):
 * plain, structured-clonable specs and results. The worker implements {@link TrainerApi}; the
 * client talks to it as a Comlink `Remote<TrainerApi>`, so both sides are checked by tsc.
 * @module
 */

/** What the worker entries post (`{ ferrograd: READY }`) once Comlink listens; the client waits for it. */
export const READY = 'trainer-ready';

/** One layer of a `sequential` model; lazy layers infer their input sizes on the first batch. */
export type LayerSpec =
  | { type: 'conv2d'; outChannels: number; kernelSize: number | [number, number]; stride?: number | [number, number]; padding?: number | [number, number] }
  | { type: 'linear'; outFeatures: number }
  | { type: 'maxpool2d' | 'avgpool2d'; kernelSize: number | [number, number]; stride?: number | [number, number]; padding?: number | [number, number] }
  | { type: 'adaptiveavgpool2d'; outputSize: number | [number, number] }
  | { type: 'relu' | 'sigmoid' | 'tanh' | 'flatten' }
  | { type: 'dropout'; p?: number }
  | { type: 'batchnorm2d' | 'batchnorm1d' };

export type OptimizerSpec =
  | { type: 'sgd'; lr?: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean }
  | { type: 'adam'; lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number };

/** Which network to build: d2l's LeNet, VGG (with its `arch`), ResNet-18, or a layer list. */
export type ModelSpec = (
  | { kind: 'lenet' }
  | { kind: 'vgg'; arch: [numConvs: number, outChannels: number][] }
  | { kind: 'resnet18' }
  | { kind: 'sequential'; layers: LayerSpec[] }
) & {
  /** Learning rate of the model's default optimizer (d2l's `lr`; LeNet 0.1). */
  lr?: number;
  numClasses?: number;
  /** `manualSeed` before the parameters are drawn: the same seed, the same initial weights. */
  seed?: number;
  /** Instead of the model's own optimizer (SGD at `lr`). */
  optimizer?: OptimizerSpec;
  /** `[C, H, W]` of one example, for the lazy layers (default: the loaded data's, else [1, 28, 28]). */
  inputShape?: [number, number, number];
  /**
   * Where the worker trains: `'gpu'` (WebGPU inside the worker; an error when there is none),
   * `'auto'` (a hardware GPU when there is one, else the CPU with one notice, on the threaded
   * build), or `'cpu'` (default).
   */
  device?: 'cpu' | 'gpu' | 'auto';
};

/** Images as bytes (0..255, scaled by 1/255 as `ToTensor` does), `count × rows × cols`, one channel. */
export interface ByteImages {
  images: Uint8Array;
  labels: Uint8Array;
}

/** Float examples `[N, C, H, W]` and integer class labels. */
export interface FloatExamples {
  x: Float32Array;
  shape: [number, number, number, number];
  labels: Uint8Array | Int32Array | Float32Array;
}

/** Batching and shuffling options shared by every {@link DataSpec}. */
export interface LoaderSpec {
  batchSize?: number;
  /** Bilinear resize of byte images, e.g. 224 for VGG/ResNet (default: none). */
  resize?: number | [number, number];
  /** Seeds the per-epoch shuffle (each epoch's order depends only on this and the epoch). */
  seed?: number;
  trainLimit?: number;
  valLimit?: number;
}

/**
 * Where the examples come from: Fashion-MNIST (files in Node, URLs in browsers, as `FashionMNIST`
 * finds them), or arrays the caller transfers (they are detached on the caller's side).
 */
export type DataSpec = LoaderSpec &
  (
    | {
        kind: 'fashion-mnist';
        root?: string;
        urls?: Partial<Record<'trainImages' | 'trainLabels' | 'valImages' | 'valLabels', string>>;
        mirrors?: string[];
        cacheDir?: string;
        systemDir?: string | null;
        download?: boolean;
        verify?: boolean;
      }
    | { kind: 'bytes'; train: ByteImages; val?: ByteImages; rows?: number; cols?: number }
    | { kind: 'floats'; train: FloatExamples; val?: FloatExamples }
  );

export interface FitOptions {
  /** Train until this many epochs are done in total (a resumed run continues towards it). */
  maxEpochs: number;
  gradientClipVal?: number;
  /** Most batch events per second sent to `onProgress` (default 10); epoch events always go. */
  progressHz?: number;
  /** Push a checkpoint to `onCheckpoint` every this many training steps. */
  checkpointEvery?: number;
  /** From epoch 0 with a fresh optimizer, keeping the weights (default: continue where training stopped). */
  restart?: boolean;
}

/** Where training stands: `batch` batches of epoch `epoch` (0-based) are done. */
export interface Position {
  epoch: number;
  batch: number;
  /** Training steps done in all: `epoch × batches + batch`. */
  step: number;
  batches: number;
  state: 'idle' | 'running' | 'paused';
}

/** Metrics since the previous batch event (several batches when they come faster than `progressHz`). */
export interface BatchEvent {
  type: 'batch';
  /** 0-based epoch and the batches done in it. */
  epoch: number;
  batch: number;
  batches: number;
  step: number;
  /** Fractional epochs, `epoch + batch / batches`: the x of a d2l plot. */
  x: number;
  loss: number;
  acc: number;
  imagesPerSecond: number;
  /** Batches this event covers. */
  count: number;
}

export interface EpochEvent {
  type: 'epoch';
  /** Epochs completed (1-based, as d2l prints them). */
  epoch: number;
  step: number;
  trainLoss: number;
  trainAcc: number;
  valLoss?: number;
  valAcc?: number;
  seconds: number;
  imagesPerSecond: number;
  /** The epoch ended early (cancelled); a resumed run finishes it. */
  partial: boolean;
}

export type ProgressEvent = BatchEvent | EpochEvent;

export interface FitResult {
  epochs: EpochEvent[];
  position: Position;
  cancelled: boolean;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface ModelInfo {
  kind: ModelSpec['kind'];
  parameters: number;
  inputShape: [number, number, number];
  layers: string[];
  /** Where the model lives and trains. */
  device: 'cpu' | 'gpu';
  /** The WebGPU adapter, when on the GPU. */
  adapter?: string;
  /** Threads the worker's CPU kernels use (1 on the single-threaded build). */
  cpuThreads: number;
}

export interface DataInfo {
  train: number;
  val: number;
  batchSize: number;
  batches: number;
  inputShape: [number, number, number];
  seed: number;
  sources: string[];
}

export interface EvalResult {
  loss: number;
  acc: number;
  count: number;
}

export interface Prediction {
  /** `[N, numClasses]` row-major. */
  logits: Float32Array;
  classes: Int32Array;
  shape: [number, number];
}

export interface CheckpointInfo {
  position: Position;
  bytes: number;
}

export type ProgressCallback = (event: ProgressEvent) => void;
export type CheckpointCallback = (checkpoint: Uint8Array, info: CheckpointInfo) => void;

/** What the worker exposes. Calls are answered between batches while training runs. */
export interface TrainerApi {
  /**
   * Loads the compute core (browsers: from `wasmUrl`, default next to the worker script) with
   * `threads` for the CPU kernels (default: the core count where the threaded build can run).
   */
  init(opts?: { wasmUrl?: string; threads?: number }): Promise<{ ready: true }>;
  createModel(spec: ModelSpec): Promise<ModelInfo>;
  loadData(spec: DataSpec): Promise<DataInfo>;
  fit(opts: FitOptions, onProgress?: ProgressCallback, onCheckpoint?: CheckpointCallback): Promise<FitResult>;
  evaluate(opts?: { split?: 'train' | 'val' }): Promise<EvalResult>;
  /** `x` is `[N, C, H, W]` floats, or bytes scaled by 1/255. */
  predict(x: Float32Array | Uint8Array, shape: number[]): Promise<Prediction>;
  /** The model's weights as safetensors (PyTorch names), transferred. */
  getStateDict(): Promise<Uint8Array>;
  setStateDict(bytes: Uint8Array): Promise<void>;
  /** Stops at the next batch boundary; resolves there. */
  pause(): Promise<Position>;
  resume(): Promise<Position>;
  /** Ends a running `fit` at the next batch boundary (its promise resolves with `cancelled`). */
  cancel(): Promise<Position>;
  /** Weights, optimizer state, position, RNG and data seed as one safetensors file, taken at a batch boundary. */
  checkpoint(): Promise<Uint8Array>;
  /** Rebuilds the model and optimizer from a checkpoint; the next `fit` continues from it. */
  restore(bytes: Uint8Array): Promise<Position>;
  status(): Promise<Position>;
  ping(): Promise<number>;
  /** Frees the model, optimizer and data. */
  dispose(): Promise<void>;
}
