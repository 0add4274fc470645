// The golden fixtures' runner, shared by the Node suite (test/golden.test.ts) and Chromium's
// (test/browser/golden.browser.test.ts): one body per case, run on the CPU and on the GPU.
// Forward values and the gradients of sum(out * upstream), at rtol 1e-4, atol 1e-5.
import { describe, expect, it } from 'vitest';
import { F, fromArray, type Tensor } from 'ferrograd';
import { expectClose } from './helpers/assert.js';

const RTOL = 1e-4;
const ATOL = 1e-5;

export interface Fixture {
  shape: number[];
  data: number[];
  dtype?: 'int64';
}
export interface Case {
  name: string;
  op: string;
  torch: string;
  config: Record<string, unknown>;
  inputs: Record<string, Fixture>;
  output: Fixture;
  upstream?: Fixture;
  grads?: Record<string, Fixture>;
  running_mean_after?: Fixture;
  running_var_after?: Fixture;
  indices?: Fixture;
}

type Pair = [number, number];
const pair = (c: Case, k: string): Pair => c.config[k] as Pair;
const int = (c: Case, k: string): number => c.config[k] as number;

/** A pooling case's options as the TS call takes them (PyTorch's defaults where the config has none). */
function poolOptions<T>(c: Case): T {
  const k = c.config;
  const o: Record<string, unknown> = { stride: k.stride, padding: k.padding };
  if (c.op.startsWith('max')) Object.assign(o, { dilation: k.dilation ?? 1, ceilMode: k.ceil_mode ?? false });
  if (c.op.startsWith('avg')) Object.assign(o, { ceilMode: k.ceil_mode ?? false, countIncludePad: k.count_include_pad ?? true });
  if (c.op === 'avg_pool2d') o.divisorOverride = k.divisor_override ?? null;
  return o as T;
}
const single = (c: Case): F.Single => c.config.kernel as F.Single;

/** `return_indices=True`: the indices of the case's max pooling. */
function maxIndices(c: Case, x: Tensor): Tensor {
  if (c.op === 'max_pool1d') return F.maxPool1d(x, single(c), { ...poolOptions<F.MaxPool1dOptions>(c), returnIndices: true })[1];
  return F.maxPool2d(x, pair(c, 'kernel'), { ...poolOptions<F.MaxPool2dOptions>(c), returnIndices: true })[1];
}

/** The TS call that corresponds to the case's PyTorch op. */
function forward(c: Case, t: Record<string, Tensor>): Tensor {
  const x = t.x!;
  switch (c.op) {
    case 'conv2d':
      return F.conv2d(x, t.weight!, { bias: t.bias ?? null, stride: pair(c, 'stride'), padding: pair(c, 'padding'), dilation: pair(c, 'dilation'), groups: int(c, 'groups') });
    case 'conv_transpose2d':
      return F.convTranspose2d(x, t.weight!, {
        bias: t.bias ?? null,
        stride: pair(c, 'stride'),
        padding: pair(c, 'padding'),
        outputPadding: pair(c, 'output_padding'),
        groups: int(c, 'groups'),
        dilation: pair(c, 'dilation'),
      });
    case 'conv1d':
      return F.conv1d(x, t.weight!, { bias: t.bias ?? null, stride: int(c, 'stride'), padding: int(c, 'padding'), dilation: int(c, 'dilation'), groups: int(c, 'groups') });
    case 'max_pool2d':
      return F.maxPool2d(x, pair(c, 'kernel'), poolOptions<F.MaxPool2dOptions & { returnIndices?: false }>(c));
    case 'max_pool1d':
      return F.maxPool1d(x, single(c), poolOptions<F.MaxPool1dOptions & { returnIndices?: false }>(c));
    case 'avg_pool2d':
      return F.avgPool2d(x, pair(c, 'kernel'), poolOptions<F.AvgPool2dOptions>(c));
    case 'avg_pool1d':
      return F.avgPool1d(x, single(c), poolOptions<F.AvgPool1dOptions>(c));
    case 'max_unpool2d':
      return F.maxUnpool2d(x, t.indices!, pair(c, 'kernel'), { stride: pair(c, 'stride'), padding: pair(c, 'padding'), outputSize: c.config.output_size as number[] | null });
    case 'adaptive_avg_pool2d':
      return F.adaptiveAvgPool2d(x, pair(c, 'output_size'));
    case 'resize_bilinear':
      return F.interpolateBilinear(x, pair(c, 'size'));
    case 'interpolate':
      return F.interpolate(x, c.config as F.InterpolateOptions);
    case 'batch_norm':
      return F.batchNorm(x, t.running_mean ?? null, t.running_var ?? null, {
        weight: t.weight ?? null,
        bias: t.bias ?? null,
        training: c.config.training as boolean,
        momentum: c.config.momentum as number,
        eps: c.config.eps as number,
      });
    case 'relu':
      return F.relu(x);
    case 'sigmoid':
      return F.sigmoid(x);
    case 'tanh':
      return F.tanh(x);
    case 'leaky_relu':
      return F.leakyRelu(x, c.config.negative_slope as number);
    case 'softmax':
      return F.softmax(x, int(c, 'dim'));
    case 'log_softmax':
      return F.logSoftmax(x, int(c, 'dim'));
    case 'cross_entropy':
      return F.crossEntropy(t.logits!, t.labels!);
    case 'cross_entropy_options':
      return F.crossEntropy(t.logits!, t.target!, { ...(t.weight ? { weight: t.weight } : {}), ...(c.config as F.CrossEntropyOptions) });
    case 'mse_loss':
      return F.mseLoss(t.input!, t.target!);
    case 'convolve_same':
      return F.convolveSame(t.a!, t.v!);
    case 'argmax':
      return c.config.dim === null ? x.argmax() : x.argmax(int(c, 'dim'));
    case 'cat':
    case 'stack': {
      const parts = Object.keys(t)
        .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
        .map((k) => t[k]!);
      return c.op === 'cat' ? F.cat(parts, int(c, 'dim')) : F.stack(parts, int(c, 'dim'));
    }
    case 'flatten':
      return x.flatten(int(c, 'start'), int(c, 'end'));
    case 'matmul':
      return t.a!.matmul(t.b!);
    case 'fmod':
      return t.a!.fmod(t.b!);
    case 'remainder':
      return t.a!.remainder(t.b!);
    case 'floor_divide':
      return t.a!.floorDivide(t.b!);
    case 'div_trunc':
      return t.a!.div(t.b!, { roundingMode: 'trunc' });
    default:
      throw new Error(`golden: no runner for op '${c.op}'`);
  }
}

export type Device = 'cpu' | 'gpu';

async function check(what: string, got: Tensor, want: Fixture | number[]): Promise<void> {
  if (!Array.isArray(want)) expect(got.shape, `${what}: shape`).toEqual(want.shape);
  try {
    expectClose(await got.data(), Array.isArray(want) ? want : want.data, RTOL, ATOL);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

const input = (f: Fixture, device: Device, requiresGrad = false): Tensor => fromArray(f.data, f.shape, { device, requiresGrad });

export async function run(c: Case, device: Device): Promise<void> {
  const t: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.inputs)) t[k] = input(v, device, c.grads?.[k] !== undefined);
  const out = forward(c, t);
  expect(out.device).toBe(device);
  await check('forward', out, c.output);
  if (c.running_mean_after) await check('running_mean after the step', t.running_mean!, c.running_mean_after);
  if (c.running_var_after) await check('running_var after the step', t.running_var!, c.running_var_after);
  if (c.indices) {
    const idx = maxIndices(c, t.x!);
    expect(idx.dtype).toBe('int64');
    await check('indices', idx, c.indices);
  }
  if (!c.grads || !c.upstream) return;
  out.mul(input(c.upstream, device)).sum().backward();
  for (const [k, want] of Object.entries(c.grads)) {
    const g = t[k]!.grad;
    expect(g, `gradient of ${k}`).not.toBeNull();
    await check(`grad of ${k}`, g!, want);
  }
}

/** Rows `[i*n/N, (i+1)*n/N)` of a fixture whose first dim is the batch N. */
function image(f: Fixture, i: number): number[] {
  const per = f.data.length / f.shape[0]!;
  return f.data.slice(i * per, (i + 1) * per);
}

/**
 * The last image of a batched case, taken as a view `x.slice(0, N-1)` (contiguous, but at an
 * offset into the batch's buffer), must give that image's fixture output and input gradient.
 */
export async function runLastImage(c: Case, device: Device): Promise<void> {
  const n = c.inputs.x!.shape[0]!;
  const t: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.inputs)) t[k] = input(v, device, k === 'x');
  const full = t.x!;
  t.x = full.slice(0, n - 1);
  const out = forward(c, t);
  await check('forward', out, image(c.output, n - 1));
  const up = c.upstream!;
  out.mul(fromArray(image(up, n - 1), [1, ...up.shape.slice(1)], { device })).sum().backward();
  await check('grad of x', full.grad!.slice(0, n - 1), image(c.grads!.x!, n - 1));
  expect(await full.grad!.slice(0, 0, n - 1).abs().sum().itemAsync()).toBe(0);
}

// conv2d, pools, batch norm, cross-entropy, resize and convolve are required here; the rest
// come along because they cost nothing.
export const FAMILIES = ['conv2d', 'conv2d_edge', 'conv_transpose', 'pool', 'pool_options', 'batchnorm', 'losses', 'cross_entropy_options', 'resize', 'interpolate', 'convolve', 'activations', 'misc', 'division'];


const SPECIAL: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };
/** JSON has no infinities or NaN: the generator writes them as "inf", "-inf" and "nan". */
function decode(c: Case): Case {
  const fix = (f: Fixture): Fixture => ({ ...f, data: f.data.map((v: unknown) => (typeof v === 'string' ? SPECIAL[v]! : (v as number))) });
  const all = (r: Record<string, Fixture>): Record<string, Fixture> => Object.fromEntries(Object.entries(r).map(([k, f]) => [k, fix(f)]));
  return { ...c, inputs: all(c.inputs), output: fix(c.output), ...(c.upstream && { upstream: fix(c.upstream) }), ...(c.grads && { grads: all(c.grads) }) };
}

/** Every case of every family on `device`, as vitest tests; `load` reads a family's file. */
export function goldenSuite(device: Device, loadRaw: (family: string) => Case[]): void {
  const load = (family: string): Case[] => loadRaw(family).map(decode);
  describe('batch slices (offset views) through the kernels', () => {
    for (const family of ['conv2d', 'conv_transpose', 'pool', 'resize']) {
      for (const c of load(family).filter((c) => c.inputs.x !== undefined && c.inputs.x.shape[0]! > 1 && c.grads?.x)) {
        it(`${c.op}: ${c.name}, last image only`, () => runLastImage(c, device));
      }
    }
  });
  for (const family of FAMILIES) {
    describe(family, () => {
      for (const c of load(family)) it(`${c.op}: ${c.name}`, () => run(c, device));
    });
  }
}
