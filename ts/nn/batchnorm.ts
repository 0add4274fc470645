/**
 * Batch normalisation (d2l §8.5) with PyTorch's state: weight/bias, running_mean/var and
 * num_batches_tracked, momentum 0.1, eps 1e-5, unbiased running variance.
 * @module
 */
import { ones, tensor, withDefaultDevice, zeros } from '../creation.js';
import { boolArg, intArg, optionsArg, realArg, tensorArg } from '../check.js';
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import { fusableActivation } from './layers.js';
import { Module, Parameter } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch statistic in the running average (null: cumulative average). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  weight: Parameter | null = null;
  bias: Parameter | null = null;
  numFeatures: number | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  protected abstract readonly inputRanks: readonly number[];

  constructor(numFeatures: number | null, opts: BatchNormOptions = {}) {
    super();
    const op = new.target.name;
    const o = optionsArg(op, opts, ['eps', 'momentum', 'affine', 'trackRunningStats']);
    this.numFeatures = numFeatures === null ? null : intArg(op, 'num_features', numFeatures, 1);
    this.eps = realArg(op, 'eps', o.eps ?? 1e-5, { min: 0 });
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum === null ? null : realArg(op, 'momentum', o.momentum);
    this.affine = boolArg(op, 'affine', o.affine ?? true);
    this.trackRunningStats = boolArg(op, 'track_running_stats', o.trackRunningStats ?? true);
    if (this.numFeatures !== null) this.materialize(this.numFeatures);
  }
  get initialized(): boolean {
    return this.numFeatures !== null && (this.getBuffer('running_mean') !== null || !this.trackRunningStats) && (this.weight !== null || !this.affine);
  }
  protected materialize(c: number): void {
    if (!Number.isInteger(c) || c <= 0) throw new RangeError(`${this.typeName}: num_features must be a positive integer, got ${c}`);
    this.numFeatures = c;
    if (this.affine) {
      this.weight = new Parameter(ones([c]));
      this.bias = new Parameter(zeros([c]));
    }
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([c]));
      this.registerBuffer('running_var', ones([c]));
      // a host-side counter even for GPU models: it is read every training step
      this.registerBuffer('num_batches_tracked', tensor(0, { dtype: 'int64', device: 'cpu' }));
    }
  }
  /** @internal A registered statistic (tests and checkpoints). */
  getBufferForTest(name: 'running_mean' | 'running_var'): Tensor {
    const b = this.getBuffer(name);
    if (!b) throw new Error(`${this.typeName}: ${name} is not tracked`);
    return b;
  }
  /** Batches seen in training mode. */
  get numBatchesTracked(): number {
    return this.getBuffer('num_batches_tracked')?.item() ?? 0;
  }
  forward(x: Tensor): Tensor {
    return this.run(x, null);
  }
  /** @internal `act(this.forward(x))` as one op (the BN + ReLU of d2l's blocks). */
  forwardAct(x: Tensor, act: F.Activation): Tensor {
    return this.run(x, act);
  }
  /** A following ReLU, Sigmoid or Tanh runs fused with the normalisation (see {@link Module.fuseWith}). */
  override fuseWith(next: Module): ((x: Tensor) => Tensor) | null {
    if (this.forward !== BatchNormBase.prototype.forward) return null;
    const act = fusableActivation(next);
    return act ? (x) => this.run(x, act) : null;
  }
  private run(x: Tensor, act: F.Activation | null): Tensor {
    tensorArg(this.typeName, 'input', x);
    if (!this.inputRanks.includes(x.ndim)) {
      throw new RangeError(`${this.typeName}: expected ${this.inputRanks.join('D or ')}D input (got ${x.ndim}D input of shape [${x.shape.join(', ')}])`);
    }
    if (this.numFeatures === null) withDefaultDevice(x.device, () => this.materialize(x.shape[1]!));
    if (x.shape[1] !== this.numFeatures) {
      throw new RangeError(`${this.typeName}: input of shape [${x.shape.join(', ')}] has ${x.shape[1]} channels, expected ${this.numFeatures}`);
    }
    const useBatchStats = this.training || !this.trackRunningStats;
    let momentum = this.momentum ?? 0;
    if (this.training && this.trackRunningStats) {
      const nbt = this.getBuffer('num_batches_tracked');
      if (nbt) nbt.assign_(nbt.item() + 1);
      // momentum=None means a cumulative moving average, as in PyTorch
      if (this.momentum === null) momentum = 1 / this.numBatchesTracked;
    }
    const rm = this.trackRunningStats && (this.training || !useBatchStats) ? this.getBuffer('running_mean') : null;
    const rv = this.trackRunningStats && (this.training || !useBatchStats) ? this.getBuffer('running_var') : null;
    const opts = { weight: this.weight, bias: this.bias, training: useBatchStats, momentum, eps: this.eps };
    return act ? F.batchNormAct(x, rm, rv, opts, act) : F.batchNorm(x, rm, rv, opts);
  }
  override extraRepr(): string {
    return `${this.numFeatures ?? 0}, eps=${fmtFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : fmtFloat(this.momentum)}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'}`;
  }
}

/** Python's `repr(float)`: shortest round-trip digits, scientific below 1e-4 (1e-05, 0.1). */
function fmtFloat(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [m, e] = v.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    return `${m}e${sign}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  const s = String(v);
  return s.includes('.') ? s : `${s}.0`;
}

export class BatchNorm2d extends BatchNormBase {
  protected readonly inputRanks = [4] as const;
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }
}

export class BatchNorm1d extends BatchNormBase {
  protected readonly inputRanks = [2, 3] as const;
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }
}

/** `nn.LazyBatchNorm2d()`: the channel count is inferred on the first call. */
export class LazyBatchNorm2d extends BatchNormBase {
  protected readonly inputRanks = [4] as const;
  constructor(opts: BatchNormOptions = {}) {
    super(null, opts);
  }
  override get typeName(): string {
    return this.initialized ? 'BatchNorm2d' : 'LazyBatchNorm2d';
  }
}

export class LazyBatchNorm1d extends BatchNormBase {
  protected readonly inputRanks = [2, 3] as const;
  constructor(opts: BatchNormOptions = {}) {
    super(null, opts);
  }
  override get typeName(): string {
    return this.initialized ? 'BatchNorm1d' : 'LazyBatchNorm1d';
  }
}
