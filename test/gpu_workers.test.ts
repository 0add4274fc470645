// Training on the GPU inside a worker thread (Node: Dawn in the worker; SwiftShader stands in
// where there is no GPU). The same model and batches on a CPU worker give the same curve.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type * as Ferrograd from 'ferrograd';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasGpuNode = existsSync('/dev/nvidia0') || (existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD')));
// the worker threads inherit the environment; Dawn reads it when it loads in each of them
if (!process.env.VK_ICD_FILENAMES && !hasGpuNode && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

const dist = new URL('../dist/node.js', import.meta.url).href;
const lib = (await import(/* @vite-ignore */ dist)) as typeof Ferrograd;

/** Synthetic 1x28x28 images of 10 classes (a bright square whose position is the class). */
function synthetic(n: number): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    const r0 = 2 + 2 * c;
    for (let r = r0; r < r0 + 6; r++) for (let q = 4; q < 12 + c; q++) images[i * 784 + r * 28 + q] = 200 + ((i * 7 + r * 3 + q) % 55);
  }
  return { images, labels };
}

async function run(device: 'cpu' | 'gpu'): Promise<{ info: Ferrograd.ModelInfo; losses: number[]; evalAcc: number; classes: number[]; state: Uint8Array; ck: Uint8Array }> {
  const t = await lib.spawnTrainer();
  try {
    const info = await t.createModel({ kind: 'lenet', seed: 3, device, optimizer: { type: 'adam', lr: 0.01 } });
    await t.loadData({ kind: 'bytes', train: synthetic(128), val: synthetic(64), batchSize: 32, seed: 5 });
    // epoch events always arrive (batch events are rate-bounded and coalesced)
    const losses: number[] = [];
    await t.fit({ maxEpochs: 3 }, { onProgress: (e) => void (e.type === 'epoch' && losses.push(e.trainLoss)) });
    const ev = await t.evaluate();
    const p = await t.predict(synthetic(10).images, [10, 28, 28]);
    return { info, losses, evalAcc: ev.acc, classes: Array.from(p.classes), state: await t.getStateDict(), ck: await t.checkpoint() };
  } finally {
    await t.dispose();
    await t.terminate();
  }
}

describe('GPU training in a worker thread', () => {
  it('trains LeNet on the GPU in the worker and tracks the CPU worker epoch for epoch', async () => {
    const gpu = await run('gpu');
    const cpu = await run('cpu');
    expect(gpu.info.device).toBe('gpu');
    expect(gpu.info.adapter).toBeTruthy();
    // WebGPU lives in the single-threaded build: the worker switched to it
    expect(gpu.info.cpuThreads).toBe(1);
    expect(cpu.info.device).toBe('cpu');
    expect(gpu.losses).toHaveLength(3);
    // same init (seed), same batches: float summation order differs between devices only
    gpu.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]!) / cpu.losses[i]!, `epoch ${i}`).toBeLessThan(1e-3));
    expect(gpu.losses.at(-1)!).toBeLessThan(gpu.losses[0]!);
    // evaluate() and predict() run on the model's device and agree with the CPU worker
    expect(gpu.evalAcc).toBe(cpu.evalAcc);
    expect(gpu.classes).toEqual(cpu.classes);
    // weights and checkpoints come back from the GPU as ordinary safetensors
    const a = lib.decodeStateDict(gpu.state).tensors;
    const b = lib.decodeStateDict(cpu.state).tensors;
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const k of Object.keys(a)) {
      const x = a[k]!.dataSync();
      const y = b[k]!.dataSync();
      let worst = 0;
      x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]!))));
      expect(worst, k).toBeLessThan(1e-3);
    }
    expect(gpu.ck.length).toBeGreaterThan(gpu.state.length);
  });

  it("'auto' picks a device and an unknown device is a clear error", async () => {
    const t = await lib.spawnTrainer();
    try {
      const info = await t.createModel({ kind: 'lenet', seed: 0, device: 'auto' });
      expect(['cpu', 'gpu']).toContain(info.device);
      await expect(t.createModel({ kind: 'lenet', device: 'tpu' as never })).rejects.toThrow(/unknown device 'tpu'/);
    } finally {
      await t.terminate();
    }
  });
});
