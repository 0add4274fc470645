/**
 * Layers of d2l chapters 7–8: linear (eager and lazy), activations, flatten and dropout, with
 * PyTorch's default initialisation and repr (convolutions: `conv_layers.ts`).
 * @module
 */
import { boolArg, intArg, numberArg, optionsArg, show } from '../check.js';
import { rand, withDefaultDevice } from '../creation.js';
import * as F from '../functional.js';
import type { Activation } from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module, Parameter } from './module.js';

/**
 * PyTorch's `reset_parameters` of Linear/Conv: kaiming_uniform(a=√5) for the weight, which is
 * U(±1/√fan_in), and the same bound for the bias. Sampled straight into the new parameters, so
 * a 25088×4096 layer (VGG) costs one allocation, not two.
 */
/** @internal */
export function initialParameters(shape: number[], fanIn: number, bias: number | null): [Parameter, Parameter | null] {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  const w = new Parameter(rand(shape, { low: -bound, high: bound }));
  const b = bias === null ? null : new Parameter(rand([bias], { low: -bound, high: bound }));
  return [w, b];
}

export class Linear extends Module {
  weight: Parameter | null = null;
  bias: Parameter | null = null;
  inFeatures: number | null;
  readonly hasBias: boolean;

  /** Lazy subclasses take `in_features` from the first input. */
  protected static readonly lazy: boolean = false;

  constructor(inFeatures: number | null, readonly outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    const lazy = (new.target as unknown as { lazy: boolean }).lazy;
    const op = lazy ? 'LazyLinear' : 'Linear';
    if (!lazy) intArg(op, 'in_features', inFeatures, 0, 0x7fffffff);
    intArg(op, 'out_features', outFeatures, 0, 0x7fffffff);
    const o = optionsArg(op, opts, ['bias']);
    this.inFeatures = lazy ? null : inFeatures;
    this.hasBias = boolArg(op, 'bias', o.bias ?? true);
    if (this.inFeatures !== null) this.materialize(this.inFeatures);
  }
  /** True once the weight exists (lazy layers create it on the first call). */
  get initialized(): boolean {
    return this.weight !== null;
  }
  protected materialize(inFeatures: number): void {
    intArg(this.typeName, 'in_features', inFeatures, 0, 0x7fffffff);
    this.inFeatures = inFeatures;
    [this.weight, this.bias] = initialParameters([this.outFeatures, inFeatures], inFeatures, this.hasBias ? this.outFeatures : null);
  }
  forward(x: Tensor): Tensor {
    // lazy parameters are created on the input's device (sampled by the CPU generator either way)
    if (!this.weight) withDefaultDevice(x.device, () => this.materialize(x.shape.at(-1) ?? 1));
    const w = this.weight!;
    if (x.shape.at(-1) !== this.inFeatures) {
      throw new RangeError(`${this.typeName}: input of shape [${x.shape.join(', ')}] does not end in in_features=${this.inFeatures}`);
    }
    const y = x.matmul(w.t());
    return this.bias ? y.add(this.bias) : y;
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures ?? 0}, out_features=${this.outFeatures}, bias=${this.hasBias ? 'True' : 'False'}`;
  }
}

/** `nn.LazyLinear(out_features)`: `in_features` is inferred on the first call. */
export class LazyLinear extends Linear {
  protected static override readonly lazy: boolean = true;
  constructor(outFeatures: number, opts: { bias?: boolean } = {}) {
    super(null, outFeatures, opts);
  }
  override get typeName(): string {
    return this.initialized ? 'Linear' : 'LazyLinear';
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}
/** PyTorch's `nn.LeakyReLU(negative_slope=0.01)`. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    numberArg('LeakyReLU', 'negative_slope', negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return x.leakyRelu(this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    intArg('Flatten', 'start_dim', startDim);
    intArg('Flatten', 'end_dim', endDim);
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new (typeof p === 'number' ? RangeError : TypeError)(`Dropout: dropout probability has to be between 0 and 1, but got ${show(p)}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

/** The activations a conv or batch norm can fuse, and their names for the fused op. */
const ACTIVATIONS: [typeof ReLU | typeof Sigmoid | typeof Tanh, Activation][] = [
  [ReLU, 'relu'],
  [Sigmoid, 'sigmoid'],
  [Tanh, 'tanh'],
];

/** @internal `m`'s activation when it is exactly a ReLU, Sigmoid or Tanh layer (forward not overridden). */
export function fusableActivation(m: Module): Activation | null {
  const forward: unknown = m.forward;
  return ACTIVATIONS.find(([cls]) => m.constructor === cls && forward === cls.prototype.forward)?.[1] ?? null;
}
