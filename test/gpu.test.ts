// The GPU in Node: Dawn from npm `webgpu`, on SwiftShader where there is no GPU (correctness
// only). The same bodies run on the CPU and the GPU: describe.each over the devices for the
// known answers, then the portable parity cases (test/browser/gpu.browser.ts) that Deno and
// Chromium run too, LeNet's loss curve over 20 steps, and the Trainer on `numGpus: 1`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from 'ferrograd';
import { d2l, DataModule, ImageLoader, F, fromArray, initGpu, releaseGpu, tensor, type DataLoader, type Tensor } from 'ferrograd';
import { closeTo, gpuCases, lenetLosses } from './browser/gpu.browser.js';
import { syntheticImages } from './browser/portable.js';
import { startNodeGpu } from './helpers/gpu.js';

beforeAll(async () => {
  await startNodeGpu();
});
// Node does not exit while a GPU device is referenced.
afterAll(() => releaseGpu());

describe.each(['cpu', 'gpu'] as const)('op families on %s', (device) => {
  const t = (v: number[][] | number[], requiresGrad = false) => tensor(v, { device, requiresGrad });

  it('elementwise with broadcasting and its gradient', async () => {
    const a = t([[1, 2, 3], [4, 5, 6]], true);
    const b = t([10, 20, 30]);
    const y = a.mul(b).add(a.pow(2)).sub(1);
    y.sum().backward();
    expect(await y.array()).toEqual([[10, 43, 98], [55, 124, 215]]);
    expect(await a.grad!.array()).toEqual([[12, 24, 36], [18, 30, 42]]);
    expect(a.grad!.device).toBe(device);
  });

  it('reductions and argmax', async () => {
    const x = t([[3, -1, 4], [1, 5, -9]]);
    expect(await x.sum(1).array()).toEqual([6, -3]);
    expect(await x.max(0).array()).toEqual([3, 5, 4]);
    expect(await x.min().itemAsync()).toBe(-9);
    expect(await x.argmax(1).array()).toEqual([2, 1]);
    closeTo(await x.mean(0).data(), [2, 2, -2.5], 'mean');
  });

  it('matmul and its gradients', async () => {
    const a = t([[1, 2], [3, 4]], true);
    const b = t([[5, 6], [7, 8]], true);
    const y = a.matmul(b);
    y.sum().backward();
    expect(await y.array()).toEqual([[19, 22], [43, 50]]);
    expect(await a.grad!.array()).toEqual([[11, 15], [11, 15]]);
    expect(await b.grad!.array()).toEqual([[4, 4], [6, 6]]);
  });

  it('conv2d, pooling and resize', async () => {
    const x = fromArray(Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4], { device });
    const w = fromArray([1, 0, 0, -1], [1, 1, 2, 2], { device });
    expect(await F.conv2d(x, w).array()).toEqual([[[[-5, -5, -5], [-5, -5, -5], [-5, -5, -5]]]]);
    expect(await F.maxPool2d(x, 2).array()).toEqual([[[[5, 7], [13, 15]]]]);
    expect(await F.avgPool2d(x, 2).array()).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
    expect(await F.adaptiveAvgPool2d(x, 1).array()).toEqual([[[[7.5]]]]);
    expect(await F.interpolateBilinear(x, [2, 2]).array()).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
  });

  it('softmax and cross-entropy', async () => {
    const logits = t([[0, 0], [0, Math.log(3)]], true);
    const loss = F.crossEntropy(logits, tensor([0, 1], { device, dtype: 'int64' }));
    closeTo([await loss.itemAsync()], [(Math.log(2) + Math.log(4 / 3)) / 2], 'loss');
    loss.backward();
    closeTo(await logits.grad!.data(), [-0.25, 0.25, 0.125, -0.125], 'dlogits');
  });
});

describe('parity cases shared with Deno and Chromium', () => {
  for (const c of gpuCases) it(c.name, () => c.run(lib));
});

describe('training on the GPU', () => {
  it('20 LeNet steps on the GPU track the CPU loss curve (same init, same batches)', async () => {
    await initGpu();
    const cpu = await lenetLosses(lib, 'cpu', 20);
    const gpu = await lenetLosses(lib, 'gpu', 20);
    console.log(`LeNet losses cpu ${cpu.map((v) => v.toFixed(5)).join(' ')}\n               gpu ${gpu.map((v) => v.toFixed(5)).join(' ')}`);
    // Summation order differs (tiled GEMM, tree reductions): ~1e-6 per op, compounding over
    // 20 SGD steps; 1e-3 relative is far above that drift and far below a step's change.
    closeTo(gpu, cpu, 'losses', 1e-3);
    expect(cpu[19]).not.toBe(cpu[0]);
  });

  class Synthetic extends DataModule {
    readonly #data = syntheticImages(96, 10, 3);
    async load(): Promise<void> {}
    #loader(n: number, shuffle: boolean): DataLoader {
      return new ImageLoader({ images: this.#data.images.subarray(0, n * 784), labels: this.#data.labels.subarray(0, n), count: n, rows: 28, cols: 28, batchSize: 32, resize: [28, 28], ...(shuffle ? { shuffleSeed: () => 5 } : {}) });
    }
    trainDataloader(): DataLoader {
      return this.#loader(96, true);
    }
    valDataloader(): DataLoader {
      return this.#loader(64, false);
    }
  }

  async function fit(opts: { numGpus?: number }): Promise<{ log: string[]; history: d2l.EpochMetrics[]; losses: number[]; model: d2l.LeNet }> {
    lib.manualSeed(11);
    const model = new d2l.LeNet({ lr: 0.5 });
    model.applyInit([lib.zeros([1, 1, 28, 28])]);
    const log: string[] = [];
    const losses: number[] = [];
    const trainer = new d2l.Trainer({ maxEpochs: 1, ...opts, log: (l) => log.push(l), onBatch: (p) => losses.push(p.loss) });
    const history = await trainer.fit(model, new Synthetic());
    return { log, history, losses, model };
  }

  it('Trainer({numGpus: 1}) trains on the GPU, logs the adapter and matches a CPU run', async () => {
    const gpu = await fit({ numGpus: 1 });
    expect(gpu.log[0]).toMatch(/^Trainer: training on the GPU \(.+\)$/);
    expect(gpu.model.device).toBe('gpu');
    const cpu = await fit({});
    expect(cpu.model.device).toBe('cpu');
    expect(gpu.losses.length).toBe(3);
    closeTo(gpu.losses, cpu.losses, 'per-batch losses', 1e-3);
    closeTo([gpu.history[0]!.valLoss!, gpu.history[0]!.valAcc!], [cpu.history[0]!.valLoss!, cpu.history[0]!.valAcc!], 'validation metrics', 1e-3);
    closeTo(await gpu.model.parameters()[0]!.data(), await cpu.model.parameters()[0]!.data(), 'trained conv1 weights', 1e-3);
  });

  it('a model moved to the GPU by hand trains there with the default Trainer', async () => {
    lib.manualSeed(11);
    const model = new d2l.LeNet({ lr: 0.5 });
    model.applyInit([lib.zeros([1, 1, 28, 28])]);
    model.to('gpu');
    const log: string[] = [];
    const history = await new d2l.Trainer({ maxEpochs: 1, log: (l) => log.push(l) }).fit(model, new Synthetic());
    expect(model.device).toBe('gpu');
    expect(log[0]).toMatch(/^Trainer: training on the GPU/);
    expect(Number.isFinite(history[0]!.trainLoss)).toBe(true);
  });

  it('gradient clipping on the GPU needs no readback and matches the CPU', async () => {
    const run = async (d: 'cpu' | 'gpu'): Promise<Float32Array> => {
      lib.manualSeed(2);
      const model = new d2l.LeNet({ lr: 0.1 });
      model.applyInit([lib.zeros([1, 1, 28, 28])]);
      model.to(d);
      const x = fromArray(syntheticImages(8).images, [8, 1, 28, 28], { device: d }).div(255);
      const y = fromArray(syntheticImages(8).labels, [8], { device: d, dtype: 'int64' });
      model.loss(model.forward(x), y).backward();
      new d2l.Trainer({ maxEpochs: 0 }).clipGradients(1e-3, model);
      return model.parameters()[0]!.grad!.data();
    };
    closeTo(await run('gpu'), await run('cpu'), 'clipped gradients');
  });
});

describe('device arguments', () => {
  it("'auto' is the GPU once initialised; tensors and modules move with to()", async () => {
    await initGpu();
    const x = tensor([1, 2, 3], { device: 'auto' });
    expect(x.device).toBe('gpu');
    expect(x.to('gpu')).toBe(x);
    expect(() => x.to('cpu')).toThrow(/toAsync/);
    const y: Tensor = await x.toAsync('cpu');
    expect(y.toArray()).toEqual([1, 2, 3]);
    expect(() => lib.zeros([2], { device: 'tpu' as never })).toThrow(/^zeros: argument 'device' must be one of 'cpu', 'gpu', 'auto', got "tpu"$/);
    lib.setDefaultDevice('gpu');
    try {
      expect(lib.ones([2]).device).toBe('gpu');
      expect(lib.zerosLike(y).device).toBe('cpu');
    } finally {
      lib.setDefaultDevice('cpu');
    }
  });
});

describe('lazy layers on the GPU', () => {
  it('materialise on the device of their first input, with the same values as on the CPU', async () => {
    lib.manualSeed(7);
    const onCpu = new d2l.ResNet18();
    lib.noGrad(() => onCpu.forward(lib.randn([2, 1, 32, 32])));
    lib.manualSeed(7);
    const onGpu = new d2l.ResNet18();
    // no withDefaultDevice and no module.to(): only the input says 'gpu'
    const x = lib.randn([2, 1, 32, 32]).to('gpu');
    const y = lib.noGrad(() => onGpu.forward(x));
    expect(y.device).toBe('gpu');
    expect(y.shape).toEqual([2, 10]);
    for (const [name, p] of Object.entries(onGpu.stateDict())) {
      // batch norm's step counter stays a host-side integer
      expect(p.device, name).toBe(name.endsWith('num_batches_tracked') ? 'cpu' : 'gpu');
    }
    const wc = onCpu.stateDict()['net.0.0.weight']!.dataSync();
    const wg = await onGpu.stateDict()['net.0.0.weight']!.data();
    expect(Array.from(wg)).toEqual(Array.from(wc));
  });
});
