// Dropout's mask is a function of the seed: manualSeed (or a saved rngState) reproduces it on
// every device, eval mode is the identity, kept values are scaled by 1/(1-p), and the gradient
// is the same mask. (PyTorch's own masks come from its Philox/MT generators, which no library
// reproduces; ferrograd's generator is counter-based, src/rng.rs, so CPU and GPU agree.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F, manualSeed, nn, ones, releaseGpu, rngState, setRngState } from 'ferrograd';
import { startNodeGpu } from './helpers/gpu.js';

beforeAll(async () => {
  await startNodeGpu();
});
afterAll(() => releaseGpu());

const N = 4096;

async function mask(seed: number, device: 'cpu' | 'gpu', p = 0.3): Promise<Float32Array> {
  manualSeed(seed);
  return F.dropout(ones([N], { device }), p, true).data();
}

describe('dropout', () => {
  it('the same seed gives the same mask on the CPU and the GPU; another seed another mask', async () => {
    const a = await mask(7, 'cpu');
    expect(await mask(7, 'cpu')).toEqual(a);
    expect(await mask(7, 'gpu')).toEqual(a);
    const b = await mask(8, 'cpu');
    expect(b).not.toEqual(a);
    // kept values are 1/(1-p), dropped ones 0, about p of them dropped
    const scale = Math.fround(1 / (1 - 0.3));
    expect(a.every((v) => v === 0 || v === scale)).toBe(true);
    const dropped = a.filter((v) => v === 0).length / N;
    expect(dropped).toBeGreaterThan(0.26);
    expect(dropped).toBeLessThan(0.34);
  });

  it('a saved rngState replays the mask, mid-stream', async () => {
    manualSeed(3);
    F.dropout(ones([100]), 0.5);
    const st = rngState();
    const first = await F.dropout(ones([N]), 0.5).data();
    setRngState(st);
    expect(await F.dropout(ones([N]), 0.5).data()).toEqual(first);
  });

  it('the gradient is the mask; eval mode and p = 0 are the identity; p = 1 zeroes', async () => {
    manualSeed(11);
    const x = ones([N], { requiresGrad: true });
    const y = F.dropout(x, 0.25);
    y.sum().backward();
    expect(await x.grad!.data()).toEqual(await y.data());
    const layer = new nn.Dropout(0.25);
    layer.eval();
    const z = ones([8]);
    expect(await layer.forward(z).data()).toEqual(await z.data());
    expect(await F.dropout(z, 0).data()).toEqual(await z.data());
    expect(Array.from(await F.dropout(z, 1).data())).toEqual(new Array(8).fill(0));
  });
});
