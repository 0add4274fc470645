/**
 * Two workers, both through ferrograd's `spawnTrainer`: one trains, the other predicts. The
 * trainer answers calls only between batches and refuses `predict` while it runs, so the page's
 * predictions (the test grid, the drawing) come from a second worker that receives the trainer's
 * weights every few seconds. Neither ever runs on the main thread.
 */
import { spawnTrainer, type DataInfo, type FitResult, type ModelInfo, type ModelSpec, type Prediction, type ProgressEvent, type TrainerClient } from 'ferrograd';
import type { Dataset } from './data.js';

export type Kind = 'lenet' | 'vgg' | 'resnet18';
export type Device = 'cpu' | 'gpu';
export type OptimizerKind = 'adam' | 'sgd';

export interface RunConfig {
  kind: Kind;
  device: Device;
  optimizer: OptimizerKind;
  /** Square input size; 28 is Fashion-MNIST's own. */
  size: number;
  lr: number;
  batchSize: number;
  epochs: number;
  trainLimit: number;
  valLimit: number;
}

/** d2l §8.2's small VGG: the original VGG-11 with a quarter of the channels. */
export const SMALL_VGG: [number, number][] = [[1, 16], [1, 32], [2, 64], [2, 128], [2, 128]];

/**
 * Defaults per network: LeNet at 28×28, the others larger for their poolings. Adam by default:
 * with SGD, sigmoid LeNet sits at chance for the first tens of thousands of images (d2l trains
 * it 10 epochs), while Adam is well above chance within 12,000.
 */
export const DEFAULTS: Record<Kind, { size: number; batchSize: number; lr: Record<OptimizerKind, number> }> = {
  lenet: { size: 28, batchSize: 128, lr: { adam: 0.003, sgd: 0.9 } },
  vgg: { size: 64, batchSize: 64, lr: { adam: 0.001, sgd: 0.05 } },
  resnet18: { size: 64, batchSize: 64, lr: { adam: 0.001, sgd: 0.05 } },
};

/** The worker's model spec on `device` (the CPU when not given). */
export function modelSpec(c: RunConfig, inputShape?: [number, number, number], device: Device = 'cpu'): ModelSpec {
  const base: ModelSpec = c.kind === 'vgg' ? { kind: 'vgg', arch: SMALL_VGG } : { kind: c.kind };
  const optimizer = c.optimizer === 'adam' ? { type: 'adam' as const, lr: c.lr } : { type: 'sgd' as const, lr: c.lr };
  return Object.assign(base, { lr: c.lr, optimizer, seed: 0, ...(inputShape ? { inputShape } : {}), ...(device === 'gpu' ? { device: 'gpu' as const } : {}) });
}

/**
 * A model in `worker`. With WebGPU chosen, on any adapter the worker finds (a software one too:
 * the user asked for WebGPU, where 'auto' would keep the CPU), else on the CPU, which
 * {@link trainedOn} then reports.
 */
async function createModel(worker: TrainerClient, c: RunConfig, inputShape?: [number, number, number]): Promise<ModelInfo> {
  if (c.device !== 'gpu') return worker.createModel(modelSpec(c, inputShape));
  try {
    return await worker.createModel(modelSpec(c, inputShape, 'gpu'));
  } catch (e) {
    if (!/no GPU available/.test(e instanceof Error ? e.message : String(e))) throw e;
    return worker.createModel(modelSpec(c, inputShape));
  }
}

/** The device a worker reports for its model. */
export function trainedOn(info: ModelInfo): Device {
  return info.device;
}

/** A copy of a split's bytes (the original stays with the page; the copy is transferred). */
function copy(s: { images: Uint8Array; labels: Uint8Array }): { images: Uint8Array; labels: Uint8Array } {
  return { images: s.images.slice(), labels: s.labels.slice() };
}

export interface SessionEvents {
  onProgress: (e: ProgressEvent) => void;
  /** New weights reached the predictor: predictions should be refreshed. */
  onWeights: () => void;
  onError: (e: unknown) => void;
}

export class Session {
  trainer: TrainerClient | undefined;
  predictor: TrainerClient | undefined;
  model: ModelInfo | undefined;
  data: DataInfo | undefined;
  config: RunConfig | undefined;
  state: 'idle' | 'running' | 'paused' = 'idle';
  #tail: Promise<void> = Promise.resolve();
  #waiting: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly events: SessionEvents) {}

  /** Starts both workers (each loads the wasm core; the page keeps working meanwhile). */
  async open(): Promise<void> {
    [this.trainer, this.predictor] = await Promise.all([spawnTrainer({ name: 'ferrograd-trainer' }), spawnTrainer({ name: 'ferrograd-predictor' })]);
  }

  #need(): { trainer: TrainerClient; predictor: TrainerClient } {
    if (!this.trainer || !this.predictor) throw new Error('the workers are not started yet');
    return { trainer: this.trainer, predictor: this.predictor };
  }

  /** Fresh model (seeded) in both workers, and the data in the trainer. */
  async prepare(config: RunConfig, dataset: Dataset): Promise<ModelInfo> {
    const { trainer, predictor } = this.#need();
    this.data = await trainer.loadData({
      kind: 'bytes',
      train: copy(dataset.train),
      val: copy(dataset.val),
      batchSize: config.batchSize,
      seed: 1,
      trainLimit: Math.min(config.trainLimit, dataset.train.count),
      valLimit: Math.min(config.valLimit, dataset.val.count),
      ...(config.size !== 28 ? { resize: config.size } : {}),
    });
    this.model = await createModel(trainer, config);
    await predictor.createModel(modelSpec(config, this.model.inputShape, this.model.device));
    this.config = config;
    await this.syncWeights();
    return this.model;
  }

  /** A model for loading weights into, when no run prepared one. */
  async ensureModel(config: RunConfig): Promise<ModelInfo> {
    const { trainer, predictor } = this.#need();
    if (this.model && this.config && sameNet(this.config, config)) return this.model;
    const inputShape: [number, number, number] = [1, config.size, config.size];
    this.model = await createModel(trainer, config, inputShape);
    await predictor.createModel(modelSpec(config, inputShape, this.model.device));
    this.config = config;
    return this.model;
  }

  /** Trains to the configured epochs; resolves when done or cancelled. */
  async fit(): Promise<FitResult> {
    const { trainer } = this.#need();
    if (!this.config) throw new Error('prepare() first');
    this.state = 'running';
    this.#timer = setInterval(() => void this.syncWeights().catch(this.events.onError), 1500);
    try {
      return await trainer.fit({ maxEpochs: this.config.epochs, progressHz: 10 }, { onProgress: this.events.onProgress });
    } finally {
      clearInterval(this.#timer);
      this.state = 'idle';
      await this.syncWeights();
    }
  }

  async pause(): Promise<void> {
    await this.#need().trainer.pause();
    this.state = 'paused';
    await this.syncWeights();
  }

  async resume(): Promise<void> {
    await this.#need().trainer.resume();
    this.state = 'running';
  }

  async cancel(): Promise<void> {
    await this.#need().trainer.cancel();
  }

  /**
   * The trainer's weights → the predictor. At most one copy runs and one waits; the waiting one
   * starts after the running one and reads the newest weights, so whoever asks gets weights at
   * least as new as at the moment of asking (the last sync after a cancel is never skipped).
   */
  syncWeights(): Promise<void> {
    const { trainer, predictor } = this.#need();
    if (this.#waiting) return this.#waiting;
    const next = this.#tail.then(async () => {
      this.#waiting = undefined;
      await predictor.setStateDict(await trainer.getStateDict());
      this.events.onWeights();
    });
    this.#waiting = next;
    this.#tail = next.catch(() => {});
    return next;
  }

  /** The weights as safetensors bytes. */
  weights(): Promise<Uint8Array> {
    return this.#need().trainer.getStateDict();
  }

  /** Loads safetensors weights into both workers (the trainer must not be running). */
  async loadWeights(bytes: Uint8Array): Promise<void> {
    const { trainer, predictor } = this.#need();
    await trainer.setStateDict(bytes, { transfer: false });
    await predictor.setStateDict(bytes);
    this.events.onWeights();
  }

  /** Class scores for `count` images of the model's input size (floats in [0, 1]). */
  predict(x: Float32Array, count: number): Promise<Prediction> {
    const size = this.model?.inputShape[1] ?? 28;
    return this.#need().predictor.predict(x, [count, 1, size, size]);
  }
}

function sameNet(a: RunConfig, b: RunConfig): boolean {
  return a.kind === b.kind && a.size === b.size;
}

/** Softmax of one row of logits. */
export function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
