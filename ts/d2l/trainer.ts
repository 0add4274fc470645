/**
 * d2l's `Trainer` (d2l.ai §3.4): `await trainer.fit(model, data)` runs the epochs, each training
 * step in a step scope (so nothing leaks and nothing needs disposing), validation in eval mode
 * without autograd, and reports progress (a ProgressBoard, and in Node a progress bar).
 * @module
 */
import { noGrad, withDefaultDevice } from '../creation.js';
import { cat, stack } from '../functional.js';
import { selectDevice, type DeviceName, type DeviceSpec } from '../gpu/index.js';
import { scope } from '../memory.js';
import type { Tensor } from '../tensor.js';
import type { Optimizer } from '../optim.js';
import type { Batch, DataLoader, DataModule } from '../data/datamodule.js';
import type { Module } from './module.js';

/** Whether `e` is the allocator's error for memory that cannot be served. */
function isOutOfMemory(e: unknown): boolean {
  return e instanceof RangeError && / out of memory: /.test(e.message);
}


/**
 * Lets timers, messages and I/O run between batches: `setImmediate` where the host has it (Node,
 * Deno, Bun: no clamp), else a `setTimeout(0)` (browsers; at least 1 ms once nested, about 2% of
 * a 50 ms slice).
 */
function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((r) => (immediate ? immediate(() => r()) : setTimeout(r, 0)));
}

export interface TrainerOptions {
  maxEpochs: number;
  /**
   * GPUs to use (d2l's num_gpus): with 1 the model trains on the GPU when an adapter exists
   * (the adapter is logged), else on the CPU with one message saying why.
   */
  numGpus?: number;
  /** Training device; overrides `numGpus`. `'auto'` behaves as `numGpus: 1`. */
  device?: DeviceSpec;
  gradientClipVal?: number;
  /** Called with one line per epoch (and notices); default: silent. */
  log?: (line: string) => void;
  /** Called after every training batch with running metrics (progress bars, workers). */
  onBatch?: (p: BatchProgress) => void;
  /** Called after every epoch with its metrics. */
  onEpoch?: (p: EpochMetrics) => void;
  /** Yield to the event loop every this many milliseconds so UIs and timers run (default 50). */
  yieldEveryMs?: number;
  /**
   * Awaited before each training batch is drawn, and once more after the epoch's last one: the
   * point where the weights are consistent, so workers pause, checkpoint or `stop()` here.
   * Returning nothing keeps the loop synchronous.
   */
  beforeBatch?: (epoch: number, batch: number) => void | Promise<void>;
  /** Start `fit` at this epoch and batch (a restored checkpoint); earlier batches are skipped, not trained. */
  resumeFrom?: { epoch: number; batch: number };
  /** Train with this optimizer instead of `model.configureOptimizers()`, so its state carries over. */
  optimizer?: Optimizer;
}

export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  valLoss?: number;
  valAcc?: number;
  seconds: number;
  imagesPerSecond: number;
}

export class Trainer {
  readonly maxEpochs: number;
  readonly numGpus: number;
  readonly gradientClipVal: number;
  epoch = 0;
  trainBatchIdx = 0;
  valBatchIdx = 0;
  numTrainBatches = 0;
  numValBatches = 0;
  model: Module | null = null;
  optim: Optimizer | null = null;
  trainDataloader: DataLoader | null = null;
  valDataloader: DataLoader | null = null;
  /** Per-epoch metrics of the last `fit`. */
  readonly history: EpochMetrics[] = [];
  readonly #opts: TrainerOptions;
  #sums = new Map<string, { sum: number; n: number }>();
  #stopRequested = false;
  /** Where the model trains (set by `fit`). */
  device: DeviceName = 'cpu';
  /**
   * Examples per micro-batch once a batch did not fit in memory (gradients are accumulated over
   * the micro-batches of each batch); undefined while whole batches fit.
   */
  microBatchSize: number | undefined = undefined;
  /** @internal Train metrics plotted during a step, drawn once the step has succeeded. */
  _pending: [string, Tensor | number][] | null = null;
  /** GPU metrics waiting to be read back together (a per-batch read would stall the GPU). */
  #deferred: { t: Tensor; apply: (v: number) => void }[] = [];

  constructor(opts: TrainerOptions) {
    if (!Number.isInteger(opts.maxEpochs) || opts.maxEpochs < 0) throw new Error(`Trainer: maxEpochs must be a non-negative integer, got ${opts.maxEpochs}`);
    this.maxEpochs = opts.maxEpochs;
    this.numGpus = opts.numGpus ?? 0;
    this.gradientClipVal = opts.gradientClipVal ?? 0;
    this.#opts = opts;
  }

  prepareData(data: DataModule): void {
    this.trainDataloader = data.trainDataloader();
    this.valDataloader = data.valDataloader();
    this.numTrainBatches = this.trainDataloader.length;
    this.numValBatches = this.valDataloader?.length ?? 0;
  }

  prepareModel(model: Module): void {
    model.trainer = this;
    model.board.xlim = [0, this.maxEpochs];
    model.to(this.device);
    this.model = model;
  }

  /**
   * Picks the training device: the GPU when asked for (numGpus > 0 or device) and present, or
   * where `model` already lives when nothing was asked for.
   */
  async prepareDevice(model?: Module): Promise<DeviceName> {
    const want: DeviceSpec = this.#opts.device ?? (this.numGpus > 0 ? 'auto' : (model?.device ?? 'cpu'));
    const log = this.#opts.log ?? ((line: string) => console.warn(line));
    const { device, adapter } = await selectDevice(want, log);
    if (device === 'gpu') log(`Trainer: training on the GPU (${adapter})`);
    this.device = device;
    return device;
  }

  /** Moves a batch to the training device. */
  prepareBatch(batch: Batch): Batch {
    if (batch[0].device === this.device && batch[1].device === this.device) return batch;
    return [batch[0].to(this.device), batch[1].to(this.device)] as Batch;
  }

  /** @internal Reads `t` (a GPU scalar) later, with others, then calls `apply` with its value. */
  defer(t: Tensor, apply: (v: number) => void): void {
    this.#deferred.push({ t: t.detach().reshape(1).keep(), apply });
  }

  /** Reads every deferred metric in one transfer. */
  async flushMetrics(): Promise<void> {
    const items = this.#deferred.splice(0);
    if (!items.length) return;
    const all = items.length === 1 ? items[0]!.t : cat(items.map((i) => i.t)).keep();
    const values = await all.data();
    if (all !== items[0]!.t) all._free('its values were read');
    items.forEach((it, i) => {
      it.t._free('its value was read');
      it.apply(values[i]!);
    });
  }

  /** @internal Running sums behind the per-epoch metrics. */
  recordMetric(split: 'train' | 'val', key: string, value: number): void {
    const k = `${split}_${key}`;
    const s = this.#sums.get(k) ?? { sum: 0, n: 0 };
    s.sum += value;
    s.n += 1;
    this.#sums.set(k, s);
  }

  #mean(key: string): number | undefined {
    const s = this.#sums.get(key);
    return s && s.n ? s.sum / s.n : undefined;
  }

  /** Asks a running `fit` to stop after the current batch. */
  stop(): void {
    this.#stopRequested = true;
  }

  async fit(model: Module, data: DataModule): Promise<EpochMetrics[]> {
    await data.load();
    this.prepareData(data);
    await this.prepareDevice(model);
    this.prepareModel(model);
    this.optim = this.#opts.optimizer ?? model.configureOptimizers();
    const resume = this.#opts.resumeFrom;
    this.epoch = resume?.epoch ?? 0;
    this.trainBatchIdx = resume ? resume.epoch * this.numTrainBatches + resume.batch : 0;
    this.valBatchIdx = 0;
    this.#stopRequested = false;
    this.history.length = 0;
    for (; this.epoch < this.maxEpochs && !this.#stopRequested; this.epoch++) {
      await this.fitEpoch();
    }
    return this.history;
  }

  async fitEpoch(): Promise<void> {
    const model = this.model!;
    this.#sums = new Map();
    const started = performance.now();
    let lastYield = started;
    let images = 0;
    const yieldMs = this.#opts.yieldEveryMs ?? 50;
    model.train();
    const it = this.trainDataloader![Symbol.iterator]();
    const resume = this.#opts.resumeFrom;
    const skip = resume && resume.epoch === this.epoch ? resume.batch : 0;
    // the permutation is per epoch, so skipping drawn batches lands on the same examples
    for (let s = 0; s < skip; s++) if (scope(() => it.next().done)) break;
    for (let b = skip; !this.#stopRequested; b++) {
      const hook = this.#opts.beforeBatch?.(this.epoch, b);
      if (hook) await hook;
      if (this.#stopRequested) break;
      const loss = scope(() => {
        const next = it.next();
        if (next.done) return null;
        const batch = this.prepareBatch(next.value);
        images += batch[0].shape[0]!;
        return this.#trainStep(batch);
      });
      if (loss === null) break;
      this.trainBatchIdx += 1;
      const now = performance.now();
      const progress = { epoch: this.epoch, batch: b + 1, batches: this.numTrainBatches, imagesPerSecond: (images * 1000) / Math.max(1, now - started) };
      if (typeof loss === 'number') {
        this.#opts.onBatch?.({ ...progress, loss });
      } else {
        this.defer(loss, (v) => this.#opts.onBatch?.({ ...progress, loss: v }));
        loss._free('deferred');
      }
      if (now - lastYield >= yieldMs || this.#deferred.length >= 64) {
        lastYield = now;
        await this.flushMetrics();
        await yieldToEventLoop();
      }
    }
    await this.flushMetrics();
    const trainSeconds = (performance.now() - started) / 1000;
    if (this.valDataloader && !this.#stopRequested) {
      model.eval();
      const vit = this.valDataloader[Symbol.iterator]();
      for (;;) {
        const done = scope(() =>
          noGrad(() => {
            const next = vit.next();
            if (next.done) return true;
            const batch = this.prepareBatch(next.value);
            withDefaultDevice(this.device, () => model.validationStep(batch));
            return false;
          }),
        );
        if (done) break;
        this.valBatchIdx += 1;
        if (this.#deferred.length >= 64) await this.flushMetrics();
      }
      await this.flushMetrics();
      model.train();
    }
    const metrics: EpochMetrics = {
      epoch: this.epoch + 1,
      trainLoss: this.#mean('train_loss') ?? NaN,
      seconds: trainSeconds,
      imagesPerSecond: images / Math.max(1e-9, trainSeconds),
    };
    const vl = this.#mean('val_loss');
    const va = this.#mean('val_acc');
    if (vl !== undefined) metrics.valLoss = vl;
    if (va !== undefined) metrics.valAcc = va;
    this.history.push(metrics);
    this.#opts.onEpoch?.(metrics);
    const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(4));
    this.#opts.log?.(`epoch ${metrics.epoch}/${this.maxEpochs}: train_loss ${fmt(metrics.trainLoss)}, val_loss ${fmt(metrics.valLoss)}, val_acc ${fmt(metrics.valAcc)} (${metrics.imagesPerSecond.toFixed(0)} img/s)`);
  }

  /**
   * One optimizer step on `batch`. When the batch does not fit in memory (a `RangeError` from
   * the allocator, on the CPU), the step is rerun in micro-batches of half the size, and so on
   * down to 1, with the gradients accumulated: each micro-batch's loss is weighted by its share
   * of the batch, so the update is the one the whole batch gives (up to rounding; batch-norm
   * layers see micro-batch statistics). The size found is kept for the rest of the run.
   */
  #trainStep(batch: Batch): number | Tensor {
    const n = batch[0].shape[0]!;
    for (;;) {
      const m = this.microBatchSize;
      try {
        return m === undefined || m >= n ? scope(() => this.#wholeStep(batch)) : this.#microSteps(batch, m);
      } catch (e) {
        this._pending = null;
        const size = m ?? n;
        if (!isOutOfMemory(e) || this.device !== 'cpu' || size <= 1) throw e;
        this.optim!.zeroGrad();
        this.microBatchSize = Math.ceil(size / 2);
        const bn = this.model!.modules().some((mod) => mod.typeName.includes('BatchNorm')) ? '; its batch-norm layers see micro-batch statistics' : '';
        const log = this.#opts.log ?? ((line: string) => console.warn(line));
        log(
          `Trainer: a batch of ${n} does not fit in memory (${(e as Error).message}); training in micro-batches of ${this.microBatchSize} with gradient accumulation from now on: the same update, as each micro-batch's loss is weighted by its share of the batch${bn}`,
        );
      }
    }
  }

  #wholeStep(batch: Batch): number | Tensor {
    const model = this.model!;
    const optim = this.optim!;
    this._pending = [];
    const l = withDefaultDevice(this.device, () => model.trainingStep(batch));
    optim.zeroGrad();
    noGrad(() => {
      l.backward();
      if (this.gradientClipVal > 0) this.clipGradients(this.gradientClipVal, model);
      optim.step();
    });
    this.#plotPending(this.#takePending());
    return l.device === 'cpu' ? l.item() : l.detach().keep();
  }

  #microSteps(batch: Batch, m: number): number {
    const model = this.model!;
    const optim = this.optim!;
    const [x, y] = batch;
    const n = x.shape[0]!;
    optim.zeroGrad();
    const sums = new Map<string, number>();
    let loss = 0;
    for (let i = 0; i < n; i += m) {
      const len = Math.min(m, n - i);
      const share = len / n;
      scope(() => {
        this._pending = [];
        const l = withDefaultDevice(this.device, () => model.trainingStep([x.narrow(0, i, len), y.narrow(0, i, len)]));
        for (const [k, v] of this.#takePending()) sums.set(k, (sums.get(k) ?? 0) + share * (typeof v === 'number' ? v : v.item()));
        const weighted = l.mul(share);
        noGrad(() => weighted.backward());
        loss += share * l.item();
      });
    }
    noGrad(() => {
      if (this.gradientClipVal > 0) this.clipGradients(this.gradientClipVal, model);
      optim.step();
    });
    this.#plotPending([...sums]);
    return loss;
  }

  #takePending(): [string, Tensor | number][] {
    const p = this._pending ?? [];
    this._pending = null;
    return p;
  }

  #plotPending(items: [string, Tensor | number][]): void {
    for (const [k, v] of items) this.model!.plot(k, v, true);
  }

  /** Rescales all gradients so their global L2 norm is at most `gradClipVal` (d2l's clip_gradients). */
  clipGradients(gradClipVal: number, model: Module): void {
    const grads = model.parameters().map((p) => p.grad).filter((g) => g !== null);
    if (grads.some((g) => g.device === 'gpu')) {
      // No readback: scale by clip / max(norm, clip), which is exactly 1 below the threshold.
      const norm = stack(grads.map((g) => g.pow(2).sum())).sum().sqrt();
      const coef = norm.clamp(gradClipVal).pow(-1).mul(gradClipVal);
      for (const p of model.parameters()) {
        const g = p.grad;
        if (g) p.grad = g.mul(coef);
      }
      return;
    }
    const norm = Math.sqrt(grads.reduce((s, g) => s + g.pow(2).sum().item(), 0));
    if (norm > gradClipVal) {
      for (const p of model.parameters()) {
        const g = p.grad;
        if (g) p.grad = g.mul(gradClipVal / norm);
      }
    }
  }
}
