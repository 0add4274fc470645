import { describe, expect, it } from 'vitest';
import { arange, F, fromArray, memory, noGrad, ones, rand, randn, scope, tensor, zeros, manualSeed, cat, stack, type Tensor } from 'ferrograd';
import { expectClose, numericGrad } from './helpers/assert.js';

describe('creation and printing', () => {
  it('builds tensors from nested and typed arrays', () => {
    const x = tensor([[0, 1, 2], [3, 4, 5]]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(tensor(new Float32Array([1, 2, 3])).shape).toEqual([3]);
    expect(tensor(3.5).shape).toEqual([]);
    expect(tensor(3.5).item()).toBe(3.5);
    expect(fromArray([1, 2, 3, 4, 5, 6], [3, 2]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
  });

  it('prints like PyTorch', () => {
    expect(tensor([[19, 25], [37, 43]]).toString()).toBe('tensor([[19., 25.],\n        [37., 43.]])');
    expect(tensor([1.0153, -0.9675]).toString()).toBe('tensor([ 1.0153, -0.9675])');
    expect(tensor([1e-5, 1]).toString()).toBe('tensor([1.0000e-05, 1.0000e+00])');
    expect(tensor(2).toString()).toBe('tensor(2.)');
    expect(arange(4).toString()).toBe('tensor([0, 1, 2, 3])');
    expect(zeros([2, 2, 2]).toString()).toBe('tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]])');
    const w = tensor([1, 2], { requiresGrad: true });
    expect(w.toString()).toBe('tensor([1., 2.], requires_grad=True)');
    expect(w.mul(2).sum().toString()).toBe('tensor(6., grad_fn=<SumBackward0>)');
    expect(arange(2000).toString()).toBe('tensor([   0,    1,    2,  ..., 1997, 1998, 1999])');
  });

  it('zeros, ones, rand, randn, arange', () => {
    expect(zeros([2, 3]).sum().item()).toBe(0);
    expect(ones([2, 3]).sum().item()).toBe(6);
    manualSeed(1);
    const a = rand([1000]).dataSync();
    manualSeed(1);
    const b = rand([1000]).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    const n = randn([20000]);
    expect(Math.abs(n.mean().item())).toBeLessThan(0.05);
    expect(Math.abs(n.var().sqrt().item() - 1)).toBeLessThan(0.05);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
  });
});

describe('elementwise ops broadcast like NumPy', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  const b = tensor([10, 20, 30]);
  it('add, sub, mul, div, pow, neg, exp, log', () => {
    expect(a.add(b).toArray()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(a.sub(b).toArray()).toEqual([[-9, -18, -27], [-6, -15, -24]]);
    expect(a.mul(tensor([[2], [3]])).toArray()).toEqual([[2, 4, 6], [12, 15, 18]]);
    expectClose(a.div(b), [0.1, 0.1, 0.1, 0.4, 0.25, 0.2]);
    expect(a.pow(2).toArray()).toEqual([[1, 4, 9], [16, 25, 36]]);
    expect(a.pow(tensor([1, 2, 0])).toArray()).toEqual([[1, 4, 1], [4, 25, 1]]);
    expect(a.neg().toArray()).toEqual([[-1, -2, -3], [-4, -5, -6]]);
    expectClose(a.exp(), [1, 2, 3, 4, 5, 6].map(Math.exp), 1e-6);
    expectClose(a.log(), [1, 2, 3, 4, 5, 6].map(Math.log), 1e-6, 1e-7);
    expect(a.add(1).mul(2).sub(3).div(2).toArray()).toEqual([[0.5, 1.5, 2.5], [3.5, 4.5, 5.5]]);
  });
});

describe('reductions, matmul and movement', () => {
  const x = arange(24).reshape(2, 3, 4);
  it('sum and mean over all and given axes', () => {
    expect(x.sum().item()).toBe(276);
    expect(x.sum(0).toArray()).toEqual([[12, 14, 16, 18], [20, 22, 24, 26], [28, 30, 32, 34]]);
    expect(x.sum([0, 2], true).shape).toEqual([1, 3, 1]);
    expect(x.sum([0, 2], true).toArray()).toEqual([[[60], [92], [124]]]);
    // x is int64 (arange of integers): its mean is an error, as in PyTorch
    expect(() => x.mean(-1)).toThrow(/could not infer output dtype/);
    expect(x.float().mean(-1).toArray()).toEqual([[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]);
  });
  it('matmul and transpose', () => {
    const a = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(a.t().matmul(a).toArray()).toEqual([[35, 44], [44, 56]]);
    expect(a.matmul(tensor([1, 1])).toArray()).toEqual([3, 7, 11]);
    const bm = arange(12).reshape(2, 2, 3).matmul(arange(6).reshape(3, 2));
    expect(bm.toArray()).toEqual([[[10, 13], [28, 40]], [[46, 67], [64, 94]]]);
  });
  it('reshape, transpose and slicing views', () => {
    expect(x.reshape(4, -1).shape).toEqual([4, 6]);
    expect(x.transpose(0, 2).shape).toEqual([4, 3, 2]);
    expect((x.transpose(0, 2).contiguous().reshape(-1).toArray() as number[]).slice(0, 4)).toEqual([0, 12, 4, 16]);
    expect(x.slice(1, 1, 3).slice(2, 0, 4, 2).toArray()).toEqual([[[4, 6], [8, 10]], [[16, 18], [20, 22]]]);
    expect(x.slice(2, -1).toArray()).toEqual([[[3], [7], [11]], [[15], [19], [23]]]);
    expect(x.select(0, 1).select(0, 2).toArray()).toEqual([20, 21, 22, 23]);
    expect(cat([ones([1, 2]), zeros([2, 2])]).toArray()).toEqual([[1, 1], [0, 0], [0, 0]]);
    expect(stack([ones([2]), zeros([2])], 1).toArray()).toEqual([[1, 0], [1, 0]]);
  });
});

describe('autograd', () => {
  it('matches hand-derived gradients', () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward();
    expect(x.grad!.toArray()).toEqual([[2, 4], [6, 8]]);
    // grads accumulate until zeroed, as in PyTorch
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([[5, 7], [9, 11]]);
    x.grad = null;
    expect(x.grad).toBeNull();
  });

  it('no-grad scope records nothing', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(() => y.sum().backward()).toThrow(/does not require grad/);
  });

  // Finite differences through every primitive of the slice, with broadcasting on both sides.
  const cases: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', (a, b) => a.add(b)],
    ['sub', (a, b) => a.sub(b)],
    ['mul', (a, b) => a.mul(b)],
    ['div', (a, b) => a.div(b.abs().add(1))],
    ['pow', (a, b) => a.abs().add(0.5).pow(b)],
    ['neg/exp', (a) => a.neg().exp()],
    ['log', (a) => a.abs().add(0.5).log()],
    ['sum axis', (a) => a.sum(1, true).mul(a)],
    ['mean', (a, b) => a.mean(0).mul(b.sum(0))],
    ['matmul', (a, b) => a.matmul(b.reshape(3, 1).expand(3, 2))],
    ['reshape/transpose', (a) => a.reshape(3, 2).t().mul(a)],
    ['slice', (a, b) => a.slice(1, 0, 3, 2).mul(b.slice(1, 1))],
    ['cat', (a, b) => cat([a, b.expand(2, 3)], 1).pow(2)],
    ['relu/sigmoid/tanh', (a) => a.relu().add(a.sigmoid()).add(a.tanh())],
    ['softmax', (a) => a.softmax(1).mul(arange(3))],
  ];
  for (const [name, f] of cases) {
    it(`finite differences: ${name}`, () => {
      manualSeed(11);
      const a = randn([2, 3]).requiresGrad_();
      const b = randn([1, 3]).requiresGrad_();
      const w = randn([...f(a, b).shape]);
      const loss = () => f(a, b).mul(w).sum();
      loss().backward();
      for (const t of [a, b]) {
        const num = numericGrad(() => noGrad(() => loss().item()), t);
        const g = t.grad;
        if (g === null) {
          expectClose(num, new Float32Array(num.length), 0, 2e-3);
        } else {
          expectClose(g, num, 2e-2, 2e-3);
        }
      }
    });
  }
});

describe('bad input gives clear errors and the instance keeps working', () => {
  const checks: [string, () => unknown, RegExp][] = [
    ['shape mismatch', () => tensor([[1, 2, 3]]).add(tensor([1, 2])), /add: shapes \[1, 3\] and \[2\] cannot be broadcast/],
    ['matmul mismatch', () => ones([2, 3]).matmul(ones([2, 3])), /matmul: shapes \[2, 3\] and \[2, 3\] cannot be multiplied/],
    ['slice step', () => ones([2, 3]).slice(1, 0, 5, 0), /slice: step must be greater than zero/],
    ['ragged nested array', () => tensor([[1, 2], [3]]), /tensor: ragged nested array: expected length 2 at \[1\]/],
    ['unknown axis', () => ones([2, 3]).sum(2), /sum: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)/],
    ['bad reshape', () => ones([2, 3]).reshape(4, 2), /reshape: shape \[4, 2\] is invalid for input of shape \[2, 3\]/],
    ['huge shape', () => zeros([1 << 20, 1 << 20]), /zeros: size \[1048576, 1048576\] has 1099511627776 elements, more than the 4294967295 a tensor can hold/],
    ['conv channels', () => F.conv2d(ones([1, 2, 5, 5]), ones([1, 3, 3, 3])), /conv2d: expected input \[1, 2, 5, 5\] to have 3 channels/],
    ['cross-entropy label', () => F.crossEntropy(ones([2, 3]), tensor([0, 3])), /cross_entropy: label index 3 is out of range for 3 classes/],
  ];
  for (const [name, f, msg] of checks) {
    it(name, () => {
      expect(f).toThrow(msg);
      // the same wasm instance still computes correctly
      expect(tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])).toArray()).toEqual([[3], [7]]);
    });
  }
});

describe('memory', () => {
  it('a 10,000-iteration loop without dispose keeps live tensors bounded and wasm memory flat', async () => {
    const w = randn([64, 64]).requiresGrad_();
    const x = randn([8, 64]);
    const step = () => {
      const loss = x.matmul(w).relu().sum();
      loss.backward();
      w.grad = null;
      return loss.item();
    };
    const run = async (n: number) => {
      let peak = 0;
      for (let i = 0; i < n; i++) {
        step();
        // a training loop yields now and then (reading metrics, awaiting data)
        if (i % 500 === 499) await new Promise((r) => setImmediate(r));
        if (i % 100 === 0) peak = Math.max(peak, memory().liveTensors);
      }
      return peak;
    };
    const start = memory();
    await run(5_000); // warm-up: the pool and the allocator reach their working set
    const warm = memory();
    const peak = await run(10_000);
    const end = memory();
    // ~40,000 tensors (~80 MB of buffers) were created in the loop; the GC hint and the
    // finalizers keep only a bounded window of them alive
    expect(peak).toBeLessThan(start.liveTensors + 8_000);
    expect(end.liveTensors).toBeLessThan(start.liveTensors + 8_000);
    // and the linear memory stays flat: freed buffers are reused from the pool
    expect(end.wasmBytes - warm.wasmBytes).toBeLessThanOrEqual(1 << 20);
  });

  it('a step scope frees what the step created, deterministically', () => {
    const w = randn([16, 16]).requiresGrad_();
    const before = memory().liveTensors;
    for (let i = 0; i < 1000; i++) {
      const l = scope(() => {
        const loss = w.matmul(w).sigmoid().mean();
        loss.backward();
        return loss;
      });
      expect(l.shape).toEqual([]);
    }
    // only the returned losses (1000) and w's grad remain until the GC collects them
    const held = memory().liveTensors - before;
    expect(held).toBeLessThanOrEqual(1001);
    const freed = scope(() => w.mul(2));
    expect(freed.sum().item()).toBeCloseTo(w.sum().item() * 2, 3);
    const inner = { t: undefined as Tensor | undefined };
    scope(() => {
      inner.t = w.mul(3);
    });
    expect(() => inner.t!.sum()).toThrow(/freed because it was created inside a step scope that has ended/);
  });
});
