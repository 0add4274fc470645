/**
 * The training worker's API (`TrainerApi`), host-neutral: the browser and Node entries expose one
 * instance through Comlink. Training runs d2l's Trainer; every control call (pause, cancel,
 * checkpoint, ping) is served at a batch boundary, where weights, optimizer, RNG and position
 * agree, and the loop yields to the event loop at every boundary so calls wait at most one batch.
 * @module
 */
import { fromArray, noGrad, rngState, setRngState } from '../ts/creation.js';
import type { Classifier } from '../ts/d2l/module.js';
import { Trainer } from '../ts/d2l/trainer.js';
import { hardwareAdapter, isGpuReady, selectDevice } from '../ts/gpu/index.js';
import { threadsInfo } from '../ts/threads/index.js';
import { useSingleThreadedBuild } from '../ts/wasm.js';
import { isNode } from '../ts/runtime.js';
import { decodeStateDict, encodeStateDict } from '../ts/io/safetensors.js';
import { scope } from '../ts/memory.js';
import { cat } from '../ts/functional.js';
import type { Optimizer } from '../ts/optim.js';
import type { Tensor } from '../ts/tensor.js';
import type { CheckpointCallback, DataInfo, DataSpec, EpochEvent, EvalResult, FitOptions, FitResult, ModelInfo, ModelSpec, Position, Prediction, ProgressCallback, TrainerApi } from '../ts/workers/types.js';
import { buildModel, buildOptimizer, describeLayers } from './build.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { loadWorkerData, type WorkerData } from './data.js';
import { ProgressEmitter, yieldNow } from './progress.js';

type Spec = ModelSpec & { inputShape: [number, number, number] };

interface Deferred<T> {
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function deferred<T>(): Deferred<T> & { promise: Promise<T> } {
  let d!: Deferred<T>;
  const promise = new Promise<T>((resolve, reject) => (d = { resolve, reject }));
  return { ...d, promise };
}

/** How results leave the worker: the entry passes Comlink's `transfer`, so bytes move, not copy. */
export type Transfer = <T>(value: T, buffers: Transferable[]) => T;
/** Callbacks from the caller are Comlink proxies; the service releases them when done. */
export type Release = (callback: unknown) => void;

export class TrainerService implements TrainerApi {
  #model: Classifier | undefined;
  #spec: Spec | undefined;
  #optim: Optimizer | undefined;
  #data: WorkerData | undefined;
  /** A restored checkpoint's data seed, waiting for `loadData`. */
  #pendingSeed: number | undefined;
  #epoch = 0;
  #batch = 0;
  #state: Position['state'] = 'idle';
  #trainer: Trainer | undefined;
  #pauseWaiters: Deferred<Position>[] = [];
  #cancelWaiters: Deferred<Position>[] = [];
  #checkpointWaiters: Deferred<Uint8Array>[] = [];
  #resumeGate: (Deferred<void> & { promise: Promise<void> }) | undefined;
  #pauseRequested = false;
  #cancelRequested = false;

  constructor(
    private readonly initCore: (opts: { wasmUrl?: string; threads?: number }) => Promise<unknown>,
    private readonly transfer: Transfer = (v) => v,
    private readonly release: Release = () => {},
  ) {}

  async init(opts: { wasmUrl?: string; threads?: number } = {}): Promise<{ ready: true }> {
    await this.initCore(opts);
    return { ready: true };
  }

  ping(): Promise<number> {
    return Promise.resolve(Date.now());
  }

  status(): Promise<Position> {
    return Promise.resolve(this.#position());
  }

  #position(): Position {
    const batches = this.#data?.info().batches ?? 0;
    return { epoch: this.#epoch, batch: this.#batch, step: this.#epoch * batches + this.#batch, batches, state: this.#state };
  }

  #idle(method: string): void {
    if (this.#state !== 'idle') throw new Error(`${method}: training is ${this.#state}; cancel() it first`);
  }

  #needModel(method: string): { model: Classifier; spec: Spec; optim: Optimizer } {
    if (!this.#model || !this.#spec || !this.#optim) throw new Error(`${method}: no model yet; call createModel(spec) or restore(checkpoint) first`);
    return { model: this.#model, spec: this.#spec, optim: this.#optim };
  }

  #needData(method: string): WorkerData {
    if (!this.#data) throw new Error(`${method}: no data yet; call loadData(spec) first`);
    return this.#data;
  }

  async createModel(spec: ModelSpec): Promise<ModelInfo> {
    this.#idle('createModel');
    const inputShape = spec?.inputShape ?? this.#data?.inputShape ?? [1, 28, 28];
    // 'auto' without a hardware adapter stays on the CPU: keep the threaded build then
    const want = spec?.device ?? 'cpu';
    if (want === 'gpu' || (want === 'auto' && (isGpuReady() || !('none' in (await hardwareAdapter()))))) await this.#singleThreadedForGpu();
    const { device, adapter } = await selectDevice(spec?.device ?? 'cpu', (line) => console.warn(line));
    const model = buildModel(spec, inputShape);
    // the weights are drawn on the CPU (same seed, same weights on both devices), then moved
    model.to(device);
    const full: Spec = { ...spec, inputShape };
    this.#install(model, full, buildOptimizer(model, spec.optimizer));
    this.#epoch = 0;
    this.#batch = 0;
    const info: ModelInfo = { kind: spec.kind, parameters: model.parameters().reduce((n, p) => n + p.numel(), 0), inputShape, layers: describeLayers(model), device, cpuThreads: threadsInfo().threads };
    if (adapter) info.adapter = adapter;
    return info;
  }

  /**
   * WebGPU needs the single-threaded build (the threaded one is CPU-only). This worker owns
   * every tensor of its core, so it can swap builds: the model being replaced goes first (its
   * weights, gradients and optimizer state are freed), then the single-threaded build loads.
   */
  async #singleThreadedForGpu(): Promise<void> {
    if (threadsInfo().variant !== 'threads' || !gpuWanted()) return;
    this.#releaseModel();
    await useSingleThreadedBuild();
  }

  #releaseModel(): void {
    const model = this.#model;
    const optim = this.#optim;
    this.#model = undefined;
    this.#optim = undefined;
    if (!model) return;
    const tensors: (Tensor | null)[] = [...model.buffers()];
    for (const p of model.parameters()) {
      tensors.push(p);
      p.grad = null;
    }
    if (optim) tensors.push(...Object.values(optim.stateDict().buffers).flat());
    for (const t of tensors) t?._free('its model was replaced');
  }

  #install(model: Classifier, spec: Spec, optim: Optimizer): void {
    this.#model = model;
    this.#spec = spec;
    this.#optim = optim;
  }

  async loadData(spec: DataSpec): Promise<DataInfo> {
    this.#idle('loadData');
    // without a seed, the order still must not depend on anything a checkpoint cannot restore
    const data = await loadWorkerData(spec, (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) >>> 0);
    if (this.#pendingSeed !== undefined) {
      data.seed = this.#pendingSeed;
      this.#pendingSeed = undefined;
    }
    this.#data = data;
    return data.info();
  }

  async fit(opts: FitOptions, onProgress?: ProgressCallback, onCheckpoint?: CheckpointCallback): Promise<FitResult> {
    try {
      return await this.#fit(opts, onProgress, onCheckpoint);
    } finally {
      if (onProgress) this.release(onProgress);
      if (onCheckpoint) this.release(onCheckpoint);
    }
  }

  async #fit(opts: FitOptions, onProgress?: ProgressCallback, onCheckpoint?: CheckpointCallback): Promise<FitResult> {
    this.#idle('fit');
    const { model, spec } = this.#needModel('fit');
    const data = this.#needData('fit');
    if (!opts || !Number.isInteger(opts.maxEpochs) || opts.maxEpochs < 0) throw new Error(`fit: maxEpochs must be a non-negative integer, got ${opts?.maxEpochs}`);
    const every = opts.checkpointEvery;
    if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw new Error(`fit: checkpointEvery must be a positive integer, got ${every}`);
    if (opts.restart) {
      this.#optim = buildOptimizer(model, spec.optimizer);
      this.#epoch = 0;
      this.#batch = 0;
    }
    const batches = data.info().batches;
    const emitter = new ProgressEmitter(onProgress, opts.progressHz ?? 10);
    const epochs: EpochEvent[] = [];
    let images = 0;
    let lastPushed = -1;
    const pushes = new Set<Promise<void>>();
    let accSum = 0;
    let accN = 0;
    let lastAcc = NaN;
    const started = performance.now();
    // Training accuracy per batch: computed from the logits the training step already made.
    const baseLoss = model.loss;
    model.loss = (yHat: Tensor, y: Tensor): Tensor => {
      const l = baseLoss.call(model, yHat, y);
      if (model.training) {
        const acc = noGrad(() => model.accuracy(yHat, y));
        const record = (v: number) => {
          lastAcc = v;
          accSum += v;
          accN += 1;
        };
        // on the GPU the value is read with the loss, in the Trainer's batched reads
        if (acc.device === 'cpu') record(acc.item());
        else trainer.defer(acc, record);
      }
      return l;
    };
    const trainer = new Trainer({
      maxEpochs: opts.maxEpochs,
      device: model.device,
      ...(opts.gradientClipVal ? { gradientClipVal: opts.gradientClipVal } : {}),
      // this service yields at every boundary itself
      yieldEveryMs: Number.POSITIVE_INFINITY,
      optimizer: this.#optim!,
      resumeFrom: { epoch: this.#epoch, batch: this.#batch },
      beforeBatch: async (epoch, batch) => {
        this.#epoch = epoch;
        this.#batch = batch;
        const step = epoch * batches + batch;
        if (every && onCheckpoint && step > 0 && step % every === 0 && step !== lastPushed) {
          lastPushed = step;
          const bytes = await this.#snapshot();
          const info = { position: this.#position(), bytes: bytes.length };
          const p: Promise<void> = Promise.resolve(onCheckpoint(this.transfer(bytes, [bytes.buffer]), info))
            .then(
              () => {},
              () => {},
            )
            .finally(() => pushes.delete(p));
          pushes.add(p);
        }
        await yieldNow();
        await this.#boundary(trainer);
      },
      onBatch: (p) => {
        // no position update here: on a GPU the Trainer may report batches late; beforeBatch is exact
        // the last batch of an epoch may be short
        images += Math.min(data.batchSize, data.train.count - (p.batch - 1) * data.batchSize);
        emitter.batch({ epoch: p.epoch, batch: p.batch, batches, step: p.epoch * batches + p.batch, x: p.epoch + p.batch / batches, loss: p.loss, acc: lastAcc, imagesPerSecond: p.imagesPerSecond });
      },
      onEpoch: (m) => {
        const partial = this.#cancelRequested;
        if (!partial) {
          this.#epoch = m.epoch;
          this.#batch = 0;
        }
        const ev: EpochEvent = { type: 'epoch', epoch: m.epoch, step: this.#position().step, trainLoss: m.trainLoss, trainAcc: accN ? accSum / accN : NaN, seconds: m.seconds, imagesPerSecond: m.imagesPerSecond, partial };
        if (m.valLoss !== undefined) ev.valLoss = m.valLoss;
        if (m.valAcc !== undefined) ev.valAcc = m.valAcc;
        accSum = 0;
        accN = 0;
        epochs.push(ev);
        emitter.epoch(ev);
      },
    });
    data.epochOf = () => trainer.epoch;
    this.#trainer = trainer;
    this.#state = 'running';
    this.#cancelRequested = false;
    this.#pauseRequested = false;
    try {
      await trainer.fit(model, data);
    } finally {
      model.loss = baseLoss;
      this.#trainer = undefined;
      this.#state = 'idle';
      await this.#settleAfterFit();
    }
    const seconds = (performance.now() - started) / 1000;
    const cancelled = this.#cancelRequested;
    this.#cancelRequested = false;
    await emitter.drain();
    await Promise.all([...pushes]);
    return { epochs, position: this.#position(), cancelled, images, seconds, imagesPerSecond: images / Math.max(seconds, 1e-9) };
  }

  /** At a batch boundary of a running fit: serve checkpoints, then pause or stop if asked. */
  async #boundary(trainer: Trainer): Promise<void> {
    await this.#serveCheckpoints();
    if (this.#pauseRequested && !this.#cancelRequested) {
      this.#pauseRequested = false;
      this.#state = 'paused';
      this.#resumeGate = deferred<void>();
      for (const w of this.#pauseWaiters.splice(0)) w.resolve(this.#position());
      await this.#resumeGate.promise;
      this.#resumeGate = undefined;
      this.#state = 'running';
    }
    if (this.#cancelRequested) {
      trainer.stop();
      for (const w of this.#cancelWaiters.splice(0)) w.resolve({ ...this.#position(), state: 'idle' });
    }
  }

  async #serveCheckpoints(): Promise<void> {
    for (const w of this.#checkpointWaiters.splice(0)) {
      try {
        const bytes = await this.#snapshot();
        w.resolve(this.transfer(bytes, [bytes.buffer]));
      } catch (e) {
        w.reject(e);
      }
    }
  }

  async #settleAfterFit(): Promise<void> {
    // a fit that ended (or failed) before its next boundary still answers every waiter
    await this.#serveCheckpoints();
    for (const w of this.#pauseWaiters.splice(0)) w.resolve(this.#position());
    for (const w of this.#cancelWaiters.splice(0)) w.resolve(this.#position());
    this.#pauseRequested = false;
  }

  pause(): Promise<Position> {
    if (this.#state !== 'running') return Promise.resolve(this.#position());
    const d = deferred<Position>();
    this.#pauseWaiters.push(d);
    this.#pauseRequested = true;
    return d.promise;
  }

  resume(): Promise<Position> {
    this.#pauseRequested = false;
    for (const w of this.#pauseWaiters.splice(0)) w.resolve(this.#position());
    if (this.#state === 'paused') {
      this.#state = 'running';
      this.#resumeGate?.resolve();
    }
    return Promise.resolve(this.#position());
  }

  cancel(): Promise<Position> {
    if (this.#state === 'idle') return Promise.resolve(this.#position());
    const d = deferred<Position>();
    this.#cancelWaiters.push(d);
    this.#cancelRequested = true;
    this.#resumeGate?.resolve();
    return d.promise;
  }

  async checkpoint(): Promise<Uint8Array> {
    this.#needModel('checkpoint');
    if (this.#state === 'running') {
      const d = deferred<Uint8Array>();
      this.#checkpointWaiters.push(d);
      return d.promise;
    }
    const bytes = await this.#snapshot();
    return this.transfer(bytes, [bytes.buffer]);
  }

  async #snapshot(): Promise<Uint8Array> {
    const { model, spec, optim } = this.#needModel('checkpoint');
    const o = optim.stateDict();
    // GPU weights and optimizer buffers are read back asynchronously before encoding
    const weights = await hostTensors(model.stateDict());
    const buffers: Record<string, (Tensor | null)[]> = {};
    for (const [k, list] of Object.entries(o.buffers)) buffers[k] = await Promise.all(list.map((t) => (t && t.device !== 'cpu' ? t.toAsync('cpu') : t)));
    return encodeCheckpoint({ spec, weights, optimizer: { ...o, buffers }, epoch: this.#epoch, batch: this.#batch, rng: rngState(), dataSeed: this.#data?.seed ?? this.#pendingSeed });
  }

  async restore(bytes: Uint8Array): Promise<Position> {
    this.#idle('restore');
    let ck = decodeCheckpoint(bytes);
    if (ck.spec.device && ck.spec.device !== 'cpu' && threadsInfo().variant === 'threads' && gpuWanted()) {
      // decoded again after the swap: the first decode's tensors belong to the threaded build
      for (const t of [...Object.values(ck.weights), ...Object.values(ck.optimizer.buffers).flat()]) t?._free('the core was reloaded for WebGPU');
      await this.#singleThreadedForGpu();
      ck = decodeCheckpoint(bytes);
    }
    const model = buildModel(ck.spec, ck.spec.inputShape);
    const optim = buildOptimizer(model, ck.spec.optimizer);
    try {
      scope(() => {
        model.loadStateDict(ck.weights);
        optim.loadStateDict(ck.optimizer);
      });
    } finally {
      // both loads copy; the decoded tensors need not wait for the collector
      for (const t of [...Object.values(ck.weights), ...Object.values(ck.optimizer.buffers).flat()]) t?._free('restore copied it into the model');
    }
    if (ck.spec.device && ck.spec.device !== 'cpu') {
      const { device } = await selectDevice(ck.spec.device, (line) => console.warn(line));
      model.to(device);
    }
    this.#install(model, ck.spec, optim);
    setRngState(ck.rng);
    this.#epoch = ck.epoch;
    this.#batch = ck.batch;
    if (ck.dataSeed !== undefined) {
      if (this.#data) this.#data.seed = ck.dataSeed;
      else this.#pendingSeed = ck.dataSeed;
    }
    return this.#position();
  }

  async evaluate(opts: { split?: 'train' | 'val' } = {}): Promise<EvalResult> {
    if (this.#state === 'running') throw new Error('evaluate: training is running; pause() or cancel() it first');
    const { model } = this.#needModel('evaluate');
    const data = this.#needData('evaluate');
    const split = opts.split ?? 'val';
    if (split !== 'train' && split !== 'val') throw new Error(`evaluate: split must be 'train' or 'val', got ${JSON.stringify(split)}`);
    const it = data.orderedDataloader(split)[Symbol.iterator]();
    const wasTraining = model.training;
    const device = model.device;
    model.eval();
    let loss = 0;
    let correct = 0;
    let count = 0;
    try {
      for (;;) {
        const r = scope(() =>
          noGrad(() => {
            const next = it.next();
            if (next.done) return null;
            const [X, y] = next.value;
            const yd = y.to(device);
            const yHat = model.forward(X.to(device));
            // [loss * n, correct] in one tensor: one read per batch, async on the GPU
            const n = y.shape[0]!;
            return { n, sums: cat([model.loss(yHat, yd).mul(n).reshape(1), model.accuracy(yHat, yd, false).sum().reshape(1)]).keep() };
          }),
        );
        if (!r) break;
        const [l = NaN, c = NaN] = await r.sums.data();
        loss += l;
        correct += c;
        count += r.n;
        await yieldNow();
      }
    } finally {
      model.train(wasTraining);
    }
    if (count === 0) throw new Error(`evaluate: the ${split} split is empty`);
    return { loss: loss / count, acc: correct / count, count };
  }

  async predict(x: Float32Array | Uint8Array, shape: number[]): Promise<Prediction> {
    if (this.#state === 'running') throw new Error('predict: training is running; pause() or cancel() it first');
    const { model, spec } = this.#needModel('predict');
    if (!(x instanceof Float32Array || x instanceof Uint8Array)) throw new Error('predict: x must be a Float32Array or a Uint8Array');
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`predict: shape must be positive integers, got ${JSON.stringify(shape)}`);
    const full = shape.length === 3 ? [shape[0]!, 1, shape[1]!, shape[2]!] : shape;
    const n = full.reduce((a, b) => a * b, 1);
    if (full.length !== 4 || n !== x.length) throw new Error(`predict: shape [${shape.join(', ')}] must be [N, C, H, W] or [N, H, W] with ${x.length} values in all (the model takes [${spec.inputShape.join(', ')}] per example)`);
    const values = x instanceof Uint8Array ? Float32Array.from(x, (v) => v / 255) : x;
    const wasTraining = model.training;
    model.eval();
    try {
      const res = scope(() =>
        noGrad(() => {
          const yHat = model.forward(fromArray(values, full).to(model.device));
          const flat = yHat.reshape(full[0]!, -1);
          return { flat: flat.keep(), arg: flat.argmax(1).keep() };
        }),
      );
      const logits = Float32Array.from(await res.flat.data());
      const classes = Int32Array.from(await res.arg.data());
      const out: Prediction = { logits, classes, shape: [full[0]!, logits.length / full[0]!] };
      return this.transfer(out, [logits.buffer, classes.buffer]);
    } finally {
      model.train(wasTraining);
    }
  }

  async getStateDict(): Promise<Uint8Array> {
    const { model } = this.#needModel('getStateDict');
    const bytes = encodeStateDict(await hostTensors(model.stateDict()));
    return this.transfer(bytes, [bytes.buffer]);
  }

  async setStateDict(bytes: Uint8Array): Promise<void> {
    if (this.#state === 'running') throw new Error('setStateDict: training is running; pause() or cancel() it first');
    const { model } = this.#needModel('setStateDict');
    scope(() => {
      model.loadStateDict(decodeStateDict(bytes).tensors);
    });
  }

  async dispose(): Promise<void> {
    if (this.#state !== 'idle') {
      this.#trainer?.stop();
      this.#cancelRequested = true;
      this.#resumeGate?.resolve();
    }
    this.#model = undefined;
    this.#spec = undefined;
    this.#optim = undefined;
    this.#data = undefined;
  }
}

/**
 * Whether a GPU model could get WebGPU here: `navigator.gpu` exists, or the host can provide it
 * (Node loads Dawn on the first initGpu). Elsewhere 'auto' keeps the threaded CPU build.
 */
function gpuWanted(): boolean {
  return (typeof navigator !== 'undefined' && (navigator as { gpu?: unknown }).gpu !== undefined) || isNode();
}

/** The tensors of a state dict on the host (GPU ones read back asynchronously). */
async function hostTensors(sd: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(sd)) out[k] = t.device === 'cpu' ? t : await t.toAsync('cpu');
  return out;
}
