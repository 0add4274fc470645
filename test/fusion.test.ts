// nn.Sequential runs a conv or a batch norm and the ReLU/sigmoid/tanh after it as one op (the
// activation is the conv's epilogue; backward keeps one map instead of two). It must not change a single bit:
// values and gradients equal the layer-by-layer run on every device, and a layer whose
// forward is overridden is never fused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromArray, manualSeed, memory, nn, releaseGpu, type Tensor } from 'ferrograd';
import { startNodeGpu } from './helpers/gpu.js';

beforeAll(async () => {
  await startNodeGpu();
});
afterAll(() => releaseGpu());

const input = (shape: number[], device: 'cpu' | 'gpu') =>
  fromArray(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (((i * 7919) % 1013) / 1013) * 2 - 1), shape, { device });

/** Layer by layer, as `for m in net: x = m(x)`: no fusion. */
function stepwise(net: nn.Sequential, x: Tensor): Tensor {
  let h = x;
  for (const m of net) h = m.forward(h);
  return h;
}

function build(device: 'cpu' | 'gpu'): nn.Sequential {
  manualSeed(5);
  const net = new nn.Sequential(
    new nn.LazyConv2d(6, 5, { padding: 2 }),
    new nn.Sigmoid(),
    new nn.MaxPool2d(2),
    new nn.LazyConv2d(8, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.LazyConv2d(8, 3, { padding: 1 }),
    new nn.LazyBatchNorm2d(),
    new nn.ReLU(),
    new nn.Conv2d(8, 4, 3, { stride: 2 }),
    new nn.Tanh(),
    new nn.Flatten(),
  );
  net.forward(input([1, 2, 12, 12], 'cpu'));
  return device === 'cpu' ? net : net.to(device);
}

async function run(device: 'cpu' | 'gpu', fused: boolean): Promise<Float32Array[]> {
  const net = build(device);
  const x = input([3, 2, 12, 12], device);
  const y = fused ? net.forward(x) : stepwise(net, x);
  y.mul(input(y.shape, device)).sum().backward();
  const grads = await Promise.all(net.parameters().map((p) => p.grad!.data()));
  const stats = await Promise.all(net.buffers().map((b) => b.data()));
  return [await y.data(), ...grads, ...stats];
}

describe.each(['cpu', 'gpu'] as const)('conv + activation fusion on %s', (device) => {
  it('gives the layer-by-layer values and gradients bit for bit', async () => {
    const want = await run(device, false);
    const got = await run(device, true);
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expect(Array.from(g), `tensor ${i}`).toEqual(Array.from(want[i]!)));
  });
});

describe('conv + activation fusion', () => {
  it('is the output PyTorch names ReluBackward0, and holds one map instead of two', () => {
    const x = input([4, 2, 12, 12], 'cpu');
    const c = new nn.Conv2d(2, 3, 3);
    expect(new nn.Sequential(c, new nn.Tanh()).forward(x).gradFn).toBe('TanhBackward0');
    expect(new nn.Sequential(c, new nn.ReLU()).forward(x).gradFn).toBe('ReluBackward0');
    expect(new nn.Sequential(c, new nn.BatchNorm2d(3), new nn.ReLU()).forward(x).gradFn).toBe('ReluBackward0');
    const fusedBytes = (f: () => Tensor) => {
      const before = memory().bytes;
      const y = f();
      const held = memory().bytes - before;
      y.sum().backward();
      return held;
    };
    const conv = new nn.Conv2d(2, 16, 3, { padding: 1 });
    const pair = new nn.Sequential(conv, new nn.ReLU(), new nn.Conv2d(16, 1, 1));
    const twoMaps = fusedBytes(() => stepwise(pair, x));
    const oneMap = fusedBytes(() => pair.forward(x));
    expect(twoMaps - oneMap).toBe(4 * 16 * 12 * 12 * 4);
  });

  it('leaves alone a conv or an activation whose forward is overridden', async () => {
    class Doubled extends nn.ReLU {
      override forward(x: Tensor): Tensor {
        return super.forward(x).mul(2);
      }
    }
    const conv = new nn.Conv2d(2, 3, 3);
    expect(conv.fuseWith(new Doubled())).toBeNull();
    expect(conv.fuseWith(new nn.LeakyReLU())).toBeNull();
    expect(conv.fuseWith(new nn.ReLU())).not.toBeNull();
    const x = input([1, 2, 5, 5], 'cpu');
    const net = new nn.Sequential(conv, new Doubled());
    expect(Array.from(await net.forward(x).data())).toEqual(Array.from(await conv.forward(x).relu().mul(2).data()));
  });
});
