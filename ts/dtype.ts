/**
 * Dtypes and PyTorch 1.13's dtype rules: which dtype each op returns, and which dtypes it
 * refuses, as typed tables with no fallback (a new op or dtype that lacks a row does not
 * compile). Storage is float32 for every dtype: integers are exact for |v| < 2^24, bools are
 * 0/1. The expected results were produced by `scripts/golden/dtype_rules.py` (torch 1.13) and
 * are checked case by case in `test/dtype.test.ts`.
 *
 * Promotion of the four dtypes is a chain, `bool < int32 < int64 < float32`, with PyTorch's
 * operand priorities (`at::result_type`): dimensioned tensors decide within a category, a 0-d
 * tensor or a JS number only lifts the category (an integer-valued number is an int64 "Python
 * int", any other number a "Python float", a JS boolean a "Python bool"). JS cannot tell `2`
 * from `2.0`, so `intTensor.mul(2.0)` stays an int (PyTorch: float).
 * @module
 */

export type DType = 'float32' | 'int64' | 'int32' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'int64', 'int32', 'bool'];

type Category = 'bool' | 'int' | 'float';
const CATEGORY: Record<DType, Category> = { bool: 'bool', int32: 'int', int64: 'int', float32: 'float' };
const RANK: Record<DType, number> = { bool: 0, int32: 1, int64: 2, float32: 3 };
const CATEGORY_RANK: Record<Category, number> = { bool: 0, int: 1, float: 2 };
/** PyTorch's scalar type names, as its error messages spell them. */
export const TORCH_NAME: Record<DType, string> = { float32: 'Float', int64: 'Long', int32: 'Int', bool: 'Bool' };
/** What `repr` prints after a tensor whose dtype is not implied by its values. */
export const TORCH_DTYPE: Record<DType, string> = { float32: 'torch.float32', int64: 'torch.int64', int32: 'torch.int32', bool: 'torch.bool' };

export const isFloating = (d: DType): boolean => CATEGORY[d] === 'float';
export const isIntegral = (d: DType): boolean => CATEGORY[d] !== 'float';

/** `torch.promote_types`. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** An operand of an op: a tensor with dims, a 0-d tensor, or a JS number/boolean. */
export interface Operand {
  dtype: DType;
  kind: 'dim' | 'zero' | 'scalar';
}

/** The dtype PyTorch gives a JS value used as a Python scalar. */
export function scalarDType(v: number | boolean): DType {
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int64' : 'float32';
}

/** `at::result_type`: combine_categories(dim, combine_categories(zero-dim, scalars)). */
export function resultType(operands: readonly Operand[]): DType {
  const group = (kind: Operand['kind']): DType | undefined => operands.filter((o) => o.kind === kind).reduce<DType | undefined>((acc, o) => (acc === undefined ? o.dtype : promoteTypes(acc, o.dtype)), undefined);
  const combine = (higher: DType | undefined, lower: DType | undefined): DType | undefined => {
    if (higher === undefined) return lower;
    if (lower === undefined) return higher;
    if (CATEGORY[higher] === 'float') return higher;
    if (higher === 'bool' || CATEGORY_RANK[CATEGORY[lower]] > CATEGORY_RANK[CATEGORY[higher]]) return promoteTypes(higher, lower);
    return higher;
  };
  return combine(group('dim'), combine(group('zero'), group('scalar'))) ?? 'float32';
}

// ---- binary ops ----

export type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'floor_divide' | 'div_trunc' | 'remainder' | 'fmod' | 'pow' | 'maximum' | 'minimum' | 'gt' | 'lt' | 'ge' | 'le' | 'eq' | 'ne';

/**
 * `promoted`: the operands' result type; `float`: true division (ints give float32); `bool`:
 * comparisons. `boolIn`: an error if any operand is bool (`sub`); `boolOut`: the kernel
 * PyTorch lacks for a bool result type (its "not implemented for 'Bool'" message), or `ok`.
 */
interface BinaryRule {
  out: 'promoted' | 'float' | 'bool';
  boolIn: 'ok' | 'error';
  boolOut: 'ok' | string;
}
const BINARY: Record<BinaryName, BinaryRule> = {
  add: { out: 'promoted', boolIn: 'ok', boolOut: 'ok' },
  sub: { out: 'promoted', boolIn: 'error', boolOut: 'ok' },
  mul: { out: 'promoted', boolIn: 'ok', boolOut: 'ok' },
  div: { out: 'float', boolIn: 'ok', boolOut: 'ok' },
  floor_divide: { out: 'promoted', boolIn: 'ok', boolOut: 'div_floor_cpu' },
  div_trunc: { out: 'promoted', boolIn: 'ok', boolOut: 'div_trunc_cpu' },
  remainder: { out: 'promoted', boolIn: 'ok', boolOut: 'remainder_cpu' },
  fmod: { out: 'promoted', boolIn: 'ok', boolOut: 'fmod_cpu' },
  pow: { out: 'promoted', boolIn: 'ok', boolOut: 'pow' },
  maximum: { out: 'promoted', boolIn: 'ok', boolOut: 'ok' },
  minimum: { out: 'promoted', boolIn: 'ok', boolOut: 'ok' },
  gt: { out: 'bool', boolIn: 'ok', boolOut: 'ok' },
  lt: { out: 'bool', boolIn: 'ok', boolOut: 'ok' },
  ge: { out: 'bool', boolIn: 'ok', boolOut: 'ok' },
  le: { out: 'bool', boolIn: 'ok', boolOut: 'ok' },
  eq: { out: 'bool', boolIn: 'ok', boolOut: 'ok' },
  ne: { out: 'bool', boolIn: 'ok', boolOut: 'ok' },
};

/** The dtype of `op(a, b)`, or PyTorch's error (`op` names it in the message). */
export function binaryDType(op: string, name: BinaryName, a: Operand, b: Operand): DType {
  const rule = BINARY[name];
  if (rule.boolIn === 'error' && (a.dtype === 'bool' || b.dtype === 'bool')) {
    if (a.dtype === 'bool' && b.dtype === 'bool') throw new TypeError(`${op}: Subtraction, the \`-\` operator, with two bool tensors is not supported. Use the \`^\` or \`logical_xor()\` operator instead.`);
    throw new TypeError(`${op}: Subtraction, the \`-\` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the \`~\` or \`logical_not()\` operator instead.`);
  }
  if (rule.out === 'bool') return 'bool';
  const t = resultType([a, b]);
  if (rule.out === 'float') return isFloating(t) ? t : 'float32';
  if (t === 'bool' && rule.boolOut !== 'ok') throw notImplemented(op, rule.boolOut, t);
  return t;
}

// ---- unary ops ----

export type UnaryName = 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'sigmoid' | 'tanh' | 'reciprocal' | 'relu' | 'leaky_relu' | 'floor' | 'ceil' | 'round' | 'trunc' | 'sign' | 'softmax' | 'log_softmax';

/**
 * `keep`: the input's dtype; `float`: ints and bools give float32; `floatOnly`: ints and bools
 * are an error. `bool`: PyTorch's message for a bool input, or `ok`.
 */
interface UnaryRule {
  out: 'keep' | 'float' | 'floatOnly';
  bool: 'ok' | string;
}
const NEG_BOOL = 'Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.';
const UNARY: Record<UnaryName, UnaryRule> = {
  neg: { out: 'keep', bool: NEG_BOOL },
  abs: { out: 'keep', bool: `"abs_cpu" not implemented for 'Bool'` },
  exp: { out: 'float', bool: 'ok' },
  log: { out: 'float', bool: 'ok' },
  sqrt: { out: 'float', bool: 'ok' },
  sigmoid: { out: 'float', bool: 'ok' },
  tanh: { out: 'float', bool: 'ok' },
  reciprocal: { out: 'float', bool: 'ok' },
  relu: { out: 'keep', bool: 'Boolean inputs not supported for relu' },
  leaky_relu: { out: 'floatOnly', bool: 'ok' },
  floor: { out: 'keep', bool: `"floor_vml_cpu" not implemented for 'Bool'` },
  ceil: { out: 'keep', bool: `"ceil_vml_cpu" not implemented for 'Bool'` },
  round: { out: 'keep', bool: `"round_vml_cpu" not implemented for 'Bool'` },
  trunc: { out: 'keep', bool: `"trunc_vml_cpu" not implemented for 'Bool'` },
  sign: { out: 'keep', bool: 'ok' },
  softmax: { out: 'floatOnly', bool: 'ok' },
  log_softmax: { out: 'floatOnly', bool: 'ok' },
};
/** PyTorch's kernel names in the "not implemented" errors of float-only ops. */
const FLOAT_ONLY_KERNEL: Partial<Record<UnaryName, string>> = { leaky_relu: 'leaky_relu_cpu', softmax: 'softmax_lastdim_kernel_impl', log_softmax: 'log_softmax_lastdim_kernel_impl' };

export function unaryDType(op: string, name: UnaryName, x: DType): DType {
  const rule = UNARY[name];
  if (rule.out === 'floatOnly') {
    if (!isFloating(x)) throw notImplemented(op, FLOAT_ONLY_KERNEL[name] ?? name, x);
    return x;
  }
  if (x === 'bool' && rule.bool !== 'ok') throw new TypeError(`${op}: ${rule.bool}`);
  return rule.out === 'keep' || isFloating(x) ? x : 'float32';
}

/** `x ** p` for a JS number `p`: the scalar rule, and PyTorch's refusal of negative integer powers of ints. */
export function powScalarDType(x: DType, p: number | boolean): DType {
  const t = resultType([{ dtype: x, kind: 'dim' }, { dtype: scalarDType(p), kind: 'scalar' }]);
  if (t === 'bool') throw notImplemented('pow', 'pow', t);
  if (isIntegral(t) && typeof p === 'number' && p < 0) throw new RangeError('pow: Integers to negative integer powers are not allowed.');
  return t;
}

// ---- reductions and matmul ----

export type ReductionName = 'sum' | 'mean' | 'var' | 'std' | 'max' | 'min' | 'argmax';

/** `int64`: ints and bools accumulate as int64; `keep`; `floatOnly`: ints are an error; `index`: int64 indices. */
const REDUCTION: Record<ReductionName, 'int64' | 'keep' | 'floatOnly' | 'index'> = {
  sum: 'int64',
  mean: 'floatOnly',
  var: 'floatOnly',
  std: 'floatOnly',
  max: 'keep',
  min: 'keep',
  argmax: 'index',
};

export function reductionDType(op: string, name: ReductionName, x: DType): DType {
  switch (REDUCTION[name]) {
    case 'int64':
      return isFloating(x) ? x : 'int64';
    case 'keep':
      return x;
    case 'index':
      if (x === 'bool') throw notImplemented(op, 'argmax_cpu', x);
      return 'int64';
    case 'floatOnly':
      if (isFloating(x)) return x;
      if (name === 'mean') throw new TypeError(`${op}: mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${TORCH_NAME[x]}`);
      throw new TypeError(`${op}: std and var only support floating point and complex dtypes`);
  }
}

/** `matmul` does not promote: both operands must have one dtype (PyTorch's mm), and not bool. */
export function matmulDType(a: DType, b: DType): DType {
  if (a === 'bool') throw notImplemented('matmul', 'addmm_impl_cpu_', a);
  if (a !== b) throw new TypeError(`matmul: expected scalar type ${TORCH_NAME[a]} but found ${TORCH_NAME[b]}`);
  return a;
}

/** Ints and bools never require grad. */
export function checkRequiresGrad(op: string, d: DType): void {
  if (!isFloating(d)) throw new TypeError(`${op}: Only Tensors of floating point and complex dtype can require gradients (got dtype ${TORCH_DTYPE[d]})`);
}

function notImplemented(op: string, kernel: string, d: DType): TypeError {
  return new TypeError(`${op}: "${kernel}" not implemented for '${TORCH_NAME[d]}'`);
}

/** Largest magnitude an integer tensor holds exactly (float32 storage). */
export const MAX_EXACT_INT = 2 ** 24;

/**
 * The values of `tensor(data, { dtype })`: ints truncated toward zero as torch does, |v| >=
 * 2^24 refused (float32 storage would round them), bools as `v != 0`.
 */
export function castValues(op: string, values: Float32Array, dtype: DType): Float32Array {
  if (dtype === 'float32') return values;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (dtype === 'bool') {
      out[i] = v !== 0 ? 1 : 0;
      continue;
    }
    if (Number.isNaN(v) || Math.abs(v) >= MAX_EXACT_INT) throw new RangeError(`${op}: ${v} at index ${i} cannot be stored exactly as ${dtype}: ferrograd keeps integers in float32, exact only for |v| < 2^24 (16777216)`);
    out[i] = Math.trunc(v) + 0;
  }
  return out;
}
