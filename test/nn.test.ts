import { describe, expect, it } from 'vitest';
import { manualSeed, memory, ones, randn, scope, tensor, zeros } from 'ferrograd';
import { AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Dropout, Flatten, LazyBatchNorm2d, LazyConv2d, LazyLinear, Linear, MaxPool2d, Module, Parameter, ReLU, Sequential, Sigmoid, init } from '../ts/nn/index.js';
import { Adam, SGD } from '../ts/optim.js';
import type { Tensor } from 'ferrograd';
import { expectClose } from './helpers/assert.js';

describe('Module registration and traversal', () => {
  class Net extends Module {
    conv = new Conv2d(1, 2, 3);
    head = new Sequential(new Flatten(), new Linear(8, 3));
    scale = new Parameter(ones([1]));
    forward(x: Tensor): Tensor {
      return this.head.forward(this.conv.forward(x)).mul(this.scale);
    }
  }

  it('finds parameters and children by field, with PyTorch names', () => {
    const net = new Net();
    expect([...net.namedParameters()].map(([n]) => n)).toEqual(['scale', 'conv.weight', 'conv.bias', 'head.1.weight', 'head.1.bias']);
    expect(net.parameters().map((p) => p.shape)).toEqual([[1], [2, 1, 3, 3], [2], [3, 8], [3]]);
    expect(net.children().map((m) => m.typeName)).toEqual(['Conv2d', 'Sequential']);
    expect(net.forward(randn([4, 1, 4, 4])).shape).toEqual([4, 3]);
  });

  it('prints like PyTorch', () => {
    const net = new Sequential(new Conv2d(1, 6, 5, { padding: 2 }), new Sigmoid(), new AvgPool2d(2, { stride: 2 }), new MaxPool2d(3, { stride: 2, padding: 1 }), new Flatten(), new Linear(400, 120), new Dropout(0.5), new BatchNorm2d(16));
    expect(net.toString()).toBe(
      [
        'Sequential(',
        '  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))',
        '  (1): Sigmoid()',
        '  (2): AvgPool2d(kernel_size=2, stride=2, padding=0)',
        '  (3): MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)',
        '  (4): Flatten(start_dim=1, end_dim=-1)',
        '  (5): Linear(in_features=400, out_features=120, bias=True)',
        '  (6): Dropout(p=0.5, inplace=False)',
        '  (7): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
        ')',
      ].join('\n'),
    );
  });

  it('train/eval, apply and zeroGrad reach every submodule', () => {
    const net = new Net();
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
    const names: string[] = [];
    net.apply((m) => names.push(m.typeName));
    expect(names).toEqual(['Conv2d', 'Flatten', 'Linear', 'Sequential', 'Net']);
    net.forward(randn([2, 1, 4, 4])).sum().backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('layers', () => {
  it('lazy layers infer their input size on the first call and become their eager class', () => {
    const conv = new LazyConv2d(6, 5, { padding: 2 });
    expect(conv.typeName).toBe('LazyConv2d');
    expect(conv.weight).toBeNull();
    expect(conv.forward(zeros([2, 3, 28, 28])).shape).toEqual([2, 6, 28, 28]);
    expect(conv.typeName).toBe('Conv2d');
    expect(conv.weight!.shape).toEqual([6, 3, 5, 5]);
    const lin = new LazyLinear(10);
    expect(lin.forward(zeros([4, 400])).shape).toEqual([4, 10]);
    expect(lin.weight!.shape).toEqual([10, 400]);
    expect(lin.typeName).toBe('Linear');
    const bn = new LazyBatchNorm2d();
    bn.forward(randn([4, 7, 3, 3]));
    expect(bn.typeName).toBe('BatchNorm2d');
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
  });

  it("PyTorch's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias", () => {
    manualSeed(0);
    const conv = new Conv2d(6, 16, 5);
    const bound = 1 / Math.sqrt(6 * 25);
    for (const p of [conv.weight!, conv.bias!]) {
      const v = p.dataSync();
      expect(Math.max(...v)).toBeLessThanOrEqual(bound);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-bound);
    }
    // spread: a uniform on ±bound has std bound/sqrt(3)
    const w = conv.weight!;
    expect(Math.abs(w.var().sqrt().item() - bound / Math.sqrt(3))).toBeLessThan(0.1 * bound);
  });

  it('init functions match their distributions', () => {
    manualSeed(3);
    const w = zeros([256, 128]);
    init.xavierUniform_(w);
    const a = Math.sqrt(6 / (256 + 128));
    expect(Math.max(...w.dataSync())).toBeLessThanOrEqual(a);
    expect(Math.abs(w.var().item() - (a * a) / 3)).toBeLessThan(0.05 * (a * a) / 3);
    init.normal_(w, 0, 0.01);
    expect(Math.abs(w.var().sqrt().item() - 0.01)).toBeLessThan(5e-4);
    init.zeros_(w);
    expect(w.abs().sum().item()).toBe(0);
    init.constant_(w, 2);
    expect(w.mean().item()).toBe(2);
  });

  it("calculate_gain and kaiming options: PyTorch's gains, options checked field by field", () => {
    // torch 1.13: calculate_gain('selu') = 0.75, ('conv_transpose2d') = 1, ('leaky_relu', 0.2) = 1.3868
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(init.calculateGain('conv_transpose2d')).toBe(1);
    expect(init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(1.3867504905630728, 12);
    expect(() => init.calculateGain('gelu' as never)).toThrow(/^calculate_gain: argument 'nonlinearity' must be one of 'linear', /);
    const w = zeros([8, 4]);
    expect(() => init.kaimingUniform_(w, { mode: 'fanin' as never })).toThrow(/^kaiming_uniform_: argument 'mode' must be one of 'fan_in', 'fan_out', got "fanin"$/);
    expect(() => init.kaimingNormal_(w, { gain: 2 } as never)).toThrow(/^kaiming_normal_: got an unexpected option 'gain'/);
    expect(() => init.kaimingNormal_(w, { a: '1' as never })).toThrow(TypeError);
    manualSeed(1);
    init.kaimingUniform_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    expect(Math.max(...w.dataSync().map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(3) * (Math.SQRT2 / Math.sqrt(8)));
  });

  it('pool, flatten, relu, dropout and adaptive pooling layers', () => {
    const x = tensor([[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]]);
    expect(new MaxPool2d(2).forward(x).toArray()).toEqual([[[[6, 8], [14, 16]]]]);
    expect(new AvgPool2d(2).forward(x).toArray()).toEqual([[[[3.5, 5.5], [11.5, 13.5]]]]);
    expect(new AdaptiveAvgPool2d([1, 1]).forward(x).toArray()).toEqual([[[[8.5]]]]);
    expect(new Flatten().forward(x).shape).toEqual([1, 16]);
    expect(new ReLU().forward(tensor([-1, 2])).toArray()).toEqual([0, 2]);
    const d = new Dropout(0.5);
    manualSeed(5);
    const y = d.forward(ones([10000]));
    const kept = y.gt(0).sum().item();
    expect(Math.abs(kept - 5000)).toBeLessThan(250);
    expect(y.max().item()).toBe(2);
    d.eval();
    expect(d.forward(ones([10])).sum().item()).toBe(10);
  });

  it('batch norm normalises with batch statistics and tracks running ones', () => {
    manualSeed(2);
    const bn = new BatchNorm2d(3);
    const x = randn([8, 3, 4, 4]).mul(3).add(5);
    const y = bn.forward(x);
    expectClose(y.mean([0, 2, 3]), [0, 0, 0], 0, 1e-5);
    expectClose(y.var([0, 2, 3], false, false), [1, 1, 1], 1e-3, 1e-3);
    const mean = x.mean([0, 2, 3]);
    const uvar = x.var([0, 2, 3], false, true);
    expectClose(bn.getBufferForTest('running_mean'), mean.mul(0.1), 1e-5, 1e-6);
    expectClose(bn.getBufferForTest('running_var'), uvar.mul(0.1).add(0.9), 1e-5, 1e-6);
    expect(bn.numBatchesTracked).toBe(1);
    bn.eval();
    const ye = bn.forward(x);
    const rm = bn.getBufferForTest('running_mean').reshape(1, 3, 1, 1);
    const rv = bn.getBufferForTest('running_var').reshape(1, 3, 1, 1);
    expectClose(ye, x.sub(rm).div(rv.add(1e-5).sqrt()), 1e-5, 1e-5);
  });
});

describe('state dicts', () => {
  it('round-trips into a fresh model and refuses mismatched shapes without modifying it', () => {
    manualSeed(1);
    const a = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new Flatten(), new Linear(8, 3));
    a.forward(randn([4, 1, 4, 4]));
    const b = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new Flatten(), new Linear(8, 3));
    expect(Object.keys(a.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '3.weight', '3.bias']);
    b.loadStateDict(a.stateDict());
    a.eval();
    b.eval();
    const x = randn([2, 1, 4, 4]);
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
    const bad = { ...a.stateDict(), '3.weight': zeros([3, 9]) };
    const before = b.stateDict()['0.weight']!.dataSync().slice();
    expect(() => b.loadStateDict(bad)).toThrow(/loadStateDict: size mismatch for '3.weight': copying a param with shape \[3, 9\], the shape in the current model is \[3, 8\]/);
    expect(Array.from(b.stateDict()['0.weight']!.dataSync())).toEqual(Array.from(before));
    expect(() => b.loadStateDict({ '0.weight': zeros([2, 1, 3, 3]) })).toThrow(/missing keys/);
  });
});

describe('optimizers follow PyTorch', () => {
  // Reference values: torch.optim with the same parameters and gradients (worked by hand:
  // quadratic loss sum(p^2) has gradient 2p).
  it('SGD with momentum and weight decay', () => {
    const p = new Parameter(tensor([1, -2]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const traj: number[][] = [];
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      p.pow(2).sum().backward();
      opt.step();
      traj.push(Array.from(p.dataSync()));
    }
    // by hand: d = 2p + 0.01p; buf = 0.9 buf + d; p -= 0.1 buf
    let q = [1, -2];
    let buf = [0, 0];
    for (let i = 0; i < 3; i++) {
      const d = q.map((v) => 2.01 * v);
      buf = i === 0 ? d : buf.map((b, j) => 0.9 * b + d[j]!);
      q = q.map((v, j) => v - 0.1 * buf[j]!);
      expectClose(traj[i]!, q, 1e-5, 1e-6);
    }
  });

  it('Adam', () => {
    const p = new Parameter(tensor([1, -2]));
    const opt = new Adam([p], { lr: 0.1 });
    let q = [1, -2];
    let m = [0, 0];
    let v = [0, 0];
    for (let t = 1; t <= 3; t++) {
      opt.zeroGrad();
      p.pow(2).sum().backward();
      opt.step();
      const g = q.map((x) => 2 * x);
      m = m.map((x, j) => 0.9 * x + 0.1 * g[j]!);
      v = v.map((x, j) => 0.999 * x + 0.001 * g[j]! * g[j]!);
      q = q.map((x, j) => x - (0.1 / (1 - 0.9 ** t)) * (m[j]! / (Math.sqrt(v[j]!) / Math.sqrt(1 - 0.999 ** t) + 1e-8)));
      expectClose(p, q, 1e-5, 1e-6);
    }
  });

  it('an optimizer step leaks no tensors', () => {
    const net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
    const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
    const step = () => scope(() => {
      opt.zeroGrad();
      net.forward(randn([16, 4])).pow(2).mean().backward();
      opt.step();
    });
    for (let i = 0; i < 5; i++) step();
    const before = memory().liveTensors;
    for (let i = 0; i < 200; i++) step();
    expect(memory().liveTensors).toBe(before);
  });
});
