/**
 * `F.cross_entropy` with PyTorch's options. Without options it is the core's fused kernel (log
 * softmax and the picked term in one pass, labels range-checked on every device); with them it
 * is composed from primitives (log-softmax, a one-hot mask, products and sums), so autograd
 * needs no rule of its own.
 * @module
 */
import { enumArg, intArg, isTensor, optionsArg, realArg, show, tensorArg } from './check.js';
import { arange } from './creation.js';
import { TORCH_NAME } from './dtype.js';
import { type Tensor, wrap } from './tensor.js';
import { wasm } from './wasm.js';

/** PyTorch's `F.cross_entropy` keyword arguments, camel-cased. */
export interface CrossEntropyOptions {
  /** A manual rescaling weight per class, shape `[C]` (`weight`). */
  weight?: Tensor | null;
  /** A class index whose targets add nothing to the loss or to the mean's count (`ignore_index`, -100). */
  ignoreIndex?: number;
  /** `'mean'` (the default: over the targets' weights), `'sum'` or `'none'` (per target). */
  reduction?: 'mean' | 'sum' | 'none';
  /** Mix `labelSmoothing / C` of a uniform distribution into each target (`label_smoothing`, 0). */
  labelSmoothing?: number;
}

const OP = 'cross_entropy';
const REDUCTIONS = ['mean', 'sum', 'none'] as const;

/**
 * Cross-entropy of logits `input` (`[N, C]`, or `[N, C, d1, ...]`) against `target`: class
 * indices (`[N]` or `[N, d1, ...]`, integer-valued) or class probabilities (the input's shape),
 * with PyTorch's `weight`, `ignoreIndex`, `reduction` and `labelSmoothing` options.
 */
export function crossEntropy(input: Tensor, target: Tensor, options?: CrossEntropyOptions): Tensor {
  const o = optionsArg(OP, options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
  tensorArg(OP, 'input', input);
  tensorArg(OP, 'target', target);
  const weight = o.weight ?? null;
  if (weight !== null && !isTensor(weight)) throw new TypeError(`${OP}: option 'weight' must be a tensor or null, got ${show(weight)}`);
  if (weight !== null) tensorArg(OP, 'weight', weight);
  const ignoreIndex = o.ignoreIndex === undefined ? -100 : intArg(OP, 'ignoreIndex', o.ignoreIndex);
  const reduction = o.reduction === undefined ? 'mean' : enumArg(OP, 'reduction', o.reduction, REDUCTIONS);
  const eps = o.labelSmoothing === undefined ? 0 : realArg(OP, 'labelSmoothing', o.labelSmoothing, { min: 0, max: 1 });
  // PyTorch's rule: integer targets are class indices, float targets of the input's shape
  // probabilities; float targets of the indices' shape are read as indices too (labels held as
  // float32 before ferrograd had integer dtypes)
  if (target.dtype === 'int32' || target.dtype === 'bool') throw new TypeError(`${OP}: expected scalar type Long but found ${TORCH_NAME[target.dtype]}`);
  if (target.dtype === 'int64' && target.ndim === input.ndim) throw new TypeError(`${OP}: Expected floating point type for target with class probabilities, got Long`);
  const plain = weight === null && o.ignoreIndex === undefined && reduction === 'mean' && eps === 0;
  // the fused kernel has no ignore index: CPU targets holding the default one (-100) go the
  // composed way (on the GPU they cannot be looked at, and the kernel's label check fails them)
  const ignoresSome = target.device === 'cpu' && target.ndim === 1 && target.dataSync().includes(-100);
  if (plain && input.ndim === 2 && target.ndim === 1 && !ignoresSome) return wrap(wasm().crossEntropy(input.h, target.h));

  if (input.ndim < 2) throw new RangeError(`${OP}: input must be [N, C] or [N, C, d1, ...] logits, got shape [${input.shape.join(', ')}]`);
  const c = input.shape[1]!;
  const soft = target.ndim === input.ndim;
  // PyTorch's TORCH_CHECK(ignore_index < 0) for probabilities: they have no class index to ignore
  if (soft && ignoreIndex >= 0) throw new RangeError(`${OP}: ignore_index is not supported for floating point target (class probabilities), got ignoreIndex ${ignoreIndex}`);
  const wantTarget = soft ? input.shape : [input.shape[0]!, ...input.shape.slice(2)];
  if (target.shape.length !== wantTarget.length || target.shape.some((d, i) => d !== wantTarget[i])) {
    throw new RangeError(`${OP}: target of shape [${target.shape.join(', ')}] does not fit input [${input.shape.join(', ')}]: expected [${wantTarget.join(', ')}] (class indices) or [${input.shape.join(', ')}] (probabilities)`);
  }
  if (weight !== null && (weight.ndim !== 1 || weight.shape[0] !== c)) {
    throw new RangeError(`${OP}: weight must have shape [${c}] (one per class), got [${weight.shape.join(', ')}]`);
  }
  if (weight !== null && weight.device !== input.device) throw new RangeError(`${OP}: weight is on the ${weight.device}, input on the ${input.device}`);
  const rows = classesLast;
  const logp = rows(input).logSoftmax(1);
  const w = weight === null ? null : weight.reshape(1, c);
  let loss: Tensor;
  let count: Tensor | number;
  if (soft) {
    // probabilities: -Σ_c w_c · t_c · log p_c per row; the mean is over the rows
    let t = rows(target);
    if (eps > 0) t = t.mul(1 - eps).add(eps / c);
    const terms = w === null ? logp.mul(t) : logp.mul(t).mul(w);
    loss = terms.sum(1).neg();
    count = loss.shape[0]!;
  } else {
    const labels = target.reshape(-1);
    checkLabels(labels, c, ignoreIndex);
    const keep = labels.ne(ignoreIndex);
    const onehot = labels.unsqueeze(1).eq(arange(c, null, 1, { device: input.device }).unsqueeze(0)).mul(keep.unsqueeze(1));
    const picked = w === null ? onehot : onehot.mul(w);
    // -w_y · log p_y per row, 0 for ignored rows; the mean divides by Σ w_y over the kept rows
    loss = logp.mul(picked).sum(1).neg();
    if (eps > 0) {
      const smooth = (w === null ? logp : logp.mul(w)).sum(1).neg().mul(keep);
      loss = loss.mul(1 - eps).add(smooth.mul(eps / c));
    }
    count = picked.sum();
    if (input.device === 'gpu') loss = loss.add(labelGuard(input, labels, keep));
  }
  if (reduction === 'none') return input.ndim === 2 ? loss : loss.reshape(input.shape[0]!, ...input.shape.slice(2));
  if (reduction === 'sum') return loss.sum();
  return loss.sum().div(count);
}

/** `[N, C, d1, ...]` as `[M, C]` rows (M = N·d1·...), the class dim last. */
function classesLast(t: Tensor): Tensor {
  return t.ndim === 2 ? t : t.permute(0, ...Array.from({ length: t.ndim - 2 }, (_, i) => i + 2), 1).reshape(-1, t.shape[1]!);
}

/**
 * Class indices on the CPU: integers in [0, C) or the ignore index, else an error naming the
 * first bad one (PyTorch: "Target 12 is out of bounds.").
 */
function checkLabels(labels: Tensor, c: number, ignoreIndex: number): void {
  if (labels.device !== 'cpu') return;
  const v = labels.dataSync();
  for (let i = 0; i < v.length; i++) {
    const y = v[i]!;
    if (y !== ignoreIndex && !(Number.isInteger(y) && y >= 0 && y < c)) {
      throw new RangeError(`${OP}: target ${show(y)} at index ${i} is out of bounds for ${c} classes (expected an integer in [0, ${c}) or ignoreIndex ${ignoreIndex})`);
    }
  }
}

/**
 * On the GPU the labels cannot be read synchronously: the fused kernel checks them instead, on
 * the kept rows (ignored ones set to class 0), and sets the device's error flag on a bad one,
 * which fails the next read with the reason. Its value enters the loss times zero.
 */
function labelGuard(input: Tensor, labels: Tensor, keep: Tensor): Tensor {
  const logits = classesLast(input);
  const checked = wrap(wasm().crossEntropy(logits.detach().h, labels.mul(keep).h));
  return checked.mul(0);
}
