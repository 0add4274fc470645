/**
 * Optimizers with PyTorch's update rules (`torch.optim.SGD`, `torch.optim.Adam`). Updates run
 * in place outside autograd; their temporaries live in a step scope.
 * @module
 */
import { boolArg, optionsArg, realArg, show, tensorArg } from './check.js';
import { noGrad, zerosLike } from './creation.js';
import { scope, untrack } from './memory.js';
import type { Tensor } from './tensor.js';
import type { Parameter } from './nn/module.js';

export abstract class Optimizer {
  readonly params: Parameter[];
  constructor(params: Iterable<Parameter>) {
    const op = new.target.name;
    if (params === null || typeof params !== 'object' || typeof (params as Partial<Iterable<Parameter>>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${op}: params argument given to the optimizer should be an iterable of Tensors, got ${show(params)}`);
    }
    this.params = [...params];
    this.params.forEach((p, i) => tensorArg(op, `params[${i}]`, p));
    if (this.params.length === 0) throw new Error(`${this.constructor.name}: optimizer got an empty parameter list`);
  }
  /** Drops gradients (PyTorch's default `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
  /** One update from the current gradients (parameters without a gradient are skipped). */
  step(): void {
    scope(() =>
      noGrad(() => {
        this.params.forEach((p, i) => {
          const g = p.grad;
          if (g) this.update(p, g, i);
        });
        this.afterStep();
      }),
    );
  }
  protected abstract update(p: Parameter, grad: Tensor, index: number): void;
  protected afterStep(): void {}
  /** Optimizer state (hyper-parameters, step count, buffers) for checkpoints. */
  abstract stateDict(): OptimizerState;
  abstract loadStateDict(state: OptimizerState): void;
}

export interface OptimizerState {
  hyper: Record<string, number | boolean>;
  step: number;
  buffers: Record<string, (Tensor | null)[]>;
}

/** A persistent per-parameter buffer, kept out of step scopes. */
function persistent(t: Tensor): Tensor {
  untrack(t);
  return t;
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  #buf: (Tensor | null)[];
  #steps = 0;

  constructor(params: Iterable<Parameter>, opts: SGDOptions | number) {
    super(params);
    const o = typeof opts === 'number' ? { lr: opts } : optionsArg('SGD', opts, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov']);
    this.lr = realArg('SGD', 'lr', o.lr, { min: 0 });
    this.momentum = realArg('SGD', 'momentum', o.momentum ?? 0, { min: 0 });
    this.dampening = realArg('SGD', 'dampening', o.dampening ?? 0);
    this.weightDecay = realArg('SGD', 'weight_decay', o.weightDecay ?? 0, { min: 0 });
    this.nesterov = boolArg('SGD', 'nesterov', o.nesterov ?? false);
    if (!(this.lr >= 0)) throw new Error(`SGD: invalid learning rate ${this.lr}`);
    if (!(this.momentum >= 0)) throw new Error(`SGD: invalid momentum ${this.momentum}`);
    if (!(this.weightDecay >= 0)) throw new Error(`SGD: invalid weight_decay ${this.weightDecay}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) throw new Error('SGD: nesterov momentum requires a momentum and zero dampening');
    this.#buf = this.params.map(() => null);
  }
  protected update(p: Parameter, grad: Tensor, i: number): void {
    let d = this.weightDecay ? grad.add(p.mul(this.weightDecay)) : grad;
    if (this.momentum) {
      const buf = this.#buf[i];
      if (!buf) {
        this.#buf[i] = persistent(d.contiguous().mul(1));
      } else {
        buf.axpby_(this.momentum, d, 1 - this.dampening);
      }
      const b = this.#buf[i]!;
      d = this.nesterov ? d.add(b.mul(this.momentum)) : b;
    }
    p.axpby_(1, d, -this.lr);
  }
  protected override afterStep(): void {
    this.#steps += 1;
  }
  stateDict(): OptimizerState {
    return { hyper: { lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov }, step: this.#steps, buffers: { momentum_buffer: [...this.#buf] } };
  }
  loadStateDict(state: OptimizerState): void {
    const bufs = state.buffers['momentum_buffer'] ?? [];
    if (bufs.length !== this.params.length) throw new Error(`SGD.loadStateDict: state has ${bufs.length} buffers for ${this.params.length} parameters`);
    this.lr = Number(state.hyper['lr'] ?? this.lr);
    this.#steps = state.step;
    this.#buf = bufs.map((b) => (b ? persistent(b.contiguous().mul(1)) : null));
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  #m: (Tensor | null)[];
  #v: (Tensor | null)[];
  #t = 0;

  constructor(params: Iterable<Parameter>, opts: AdamOptions = {}) {
    super(params);
    const o = optionsArg('Adam', opts, ['lr', 'betas', 'eps', 'weightDecay']);
    this.lr = realArg('Adam', 'lr', o.lr ?? 1e-3, { min: 0 });
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw new TypeError(`Adam: betas must be a pair of numbers, got ${show(betas)}`);
    this.betas = [realArg('Adam', 'betas[0]', betas[0], { min: 0, max: 1, maxExclusive: true }), realArg('Adam', 'betas[1]', betas[1], { min: 0, max: 1, maxExclusive: true })];
    this.eps = realArg('Adam', 'eps', o.eps ?? 1e-8, { min: 0 });
    this.weightDecay = realArg('Adam', 'weight_decay', o.weightDecay ?? 0, { min: 0 });
    if (!(this.lr >= 0)) throw new Error(`Adam: invalid learning rate ${this.lr}`);
    if (!this.betas.every((b) => b >= 0 && b < 1)) throw new Error(`Adam: invalid betas [${this.betas.join(', ')}]`);
    this.#m = this.params.map(() => null);
    this.#v = this.params.map(() => null);
  }
  override step(): void {
    this.#t += 1;
    super.step();
  }
  protected update(p: Parameter, grad: Tensor, i: number): void {
    const [b1, b2] = this.betas;
    const g = this.weightDecay ? grad.add(p.mul(this.weightDecay)) : grad;
    const m = (this.#m[i] ??= persistent(zerosLike(p)));
    const v = (this.#v[i] ??= persistent(zerosLike(p)));
    m.axpby_(b1, g, 1 - b1);
    v.axpby_(b2, g.mul(g), 1 - b2);
    const bc1 = 1 - b1 ** this.#t;
    const bc2 = 1 - b2 ** this.#t;
    // p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps), PyTorch's formulation
    const denom = v.sqrt().div(Math.sqrt(bc2)).add(this.eps);
    p.axpby_(1, m.div(denom), -this.lr / bc1);
  }
  stateDict(): OptimizerState {
    return { hyper: { lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: this.weightDecay }, step: this.#t, buffers: { exp_avg: [...this.#m], exp_avg_sq: [...this.#v] } };
  }
  loadStateDict(state: OptimizerState): void {
    const m = state.buffers['exp_avg'] ?? [];
    const v = state.buffers['exp_avg_sq'] ?? [];
    if (m.length !== this.params.length || v.length !== this.params.length) {
      throw new Error(`Adam.loadStateDict: state has ${m.length}/${v.length} buffers for ${this.params.length} parameters`);
    }
    this.lr = Number(state.hyper['lr'] ?? this.lr);
    this.#t = state.step;
    this.#m = m.map((b) => (b ? persistent(b.contiguous().mul(1)) : null));
    this.#v = v.map((b) => (b ? persistent(b.contiguous().mul(1)) : null));
  }
}
