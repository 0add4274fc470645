// Memory that fails soft: an allocation wasm32 cannot serve is a RangeError naming the op, the
// bytes and the live total, and the instance keeps working; the Trainer falls back to
// micro-batches with gradient accumulation (same update); a synchronous loop stays flat with a
// scope per iteration, and the library warns once when tensors pile up without one.
// Own file: it grows the wasm memory of its worker to the 4 GiB ceiling.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { d2l, DataModule, full, manualSeed, memory, nn, ones, randn, scope, tensor, zeros, type Batch, type DataLoader, type Tensor } from 'ferrograd';

const sane = (): void => {
  const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const l = a.matmul(a).sum();
  l.backward();
  expect([l.item(), a.grad!.toArray()]).toEqual([54, [[7, 11], [9, 13]]]);
};

describe('out of memory', () => {
  it('a tensor larger than wasm32 memory is a RangeError naming the op, the bytes and the live total', () => {
    expect(() => zeros([2 ** 30])).toThrow(RangeError);
    expect(() => zeros([2 ** 30])).toThrow(/^zeros: out of memory: it needs 4\.00 GiB more \(4294967296 bytes\) while tensors hold [\d.]+ (MiB|GiB) \(\d+ bytes\) and one tensor holds at most 2 GiB \(536870912 elements; shape \[1073741824\]\)/);
    // under the per-tensor limit but over what the memory can still give
    expect(() => scope(() => zeros([2 ** 29 - 1]).add(1).mul(2))).toThrow(/^(add|mul): out of memory: it needs 2\.00 GiB more/);
    expect(() => ones([2 ** 15, 2 ** 15]).sum()).toThrow(/^ones: out of memory/);
    sane();
  });

  it('filling memory step by step ends in a RangeError, and freeing gives it back', () => {
    const held: Tensor[] = [];
    let err: unknown;
    // 256 MiB at a time until the ceiling: the failing op is named, nothing traps
    for (let i = 0; i < 20 && err === undefined; i++) {
      try {
        held.push(scope(() => full([2 ** 26], 1.5).keep()));
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/^full: out of memory: it needs 256\.0 MiB more \(268435456 bytes\) while tensors hold (3\.\d\d) GiB/);
    expect(held.length).toBeGreaterThanOrEqual(4);
    // the instance works, and an op on a held tensor that needs more memory is refused too
    sane();
    expect(() => held[0]!.mul(held[1]!).add(held[2]!).mul(held[3]!)).toThrow(/^(mul|add): out of memory/);
    for (const t of held) t._free('test');
    const again = full([2 ** 26], 0.5);
    expect(again.shape).toEqual([2 ** 26]);
    expect(again.sum().item()).toBe(2 ** 25);
    sane();
  });
});

/** One fixed batch per epoch, no validation. */
class OneBatch extends DataModule {
  constructor(readonly batch: () => Batch) {
    super();
  }
  async load(): Promise<void> {}
  trainDataloader(): DataLoader {
    const b = this.batch;
    return { length: 1, *[Symbol.iterator]() { yield b(); } };
  }
  valDataloader(): DataLoader {
    return { length: 0, *[Symbol.iterator]() {} };
  }
}

class Wide extends d2l.Classifier {
  constructor() {
    super();
    this.lr = 0.05;
    // 64 channels at 256×256: a batch of 96 needs ~1.5 GiB per activation, over the 4 GiB
    // ceiling with its gradients; 24 images fit
    this.net = new nn.Sequential(new nn.Conv2d(1, 64, 3, { padding: 1 }), new nn.ReLU(), new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(64, 10));
  }
}

describe('micro-batches when a batch does not fit', () => {
  it('the Trainer splits the batch, says so, and makes the update the whole batch would', async () => {
    const n = 96;
    manualSeed(3);
    const X = scope(() => randn([n, 1, 256, 256]).keep());
    const y = scope(() => tensor(Array.from({ length: n }, (_, i) => (i * 7) % 10)).keep());
    manualSeed(11);
    const model = new Wide();
    manualSeed(11);
    const reference = new Wide();
    const lines: string[] = [];
    const trainer = new d2l.Trainer({ maxEpochs: 1, log: (l) => lines.push(l) });
    await trainer.fit(model, new OneBatch(() => [X, y]));
    const m = trainer.microBatchSize!;
    expect(m).toBeLessThan(n);
    expect(lines[0]).toMatch(/^Trainer: a batch of 96 does not fit in memory \([a-z_0-9]+: out of memory: it needs [\d.]+ (GiB|MiB) more .*\); training in micro-batches of 48 with gradient accumulation from now on: the same update/);
    // one line per halving, the last naming the size it settled on
    const said = lines.filter((l) => l.startsWith('Trainer: a batch'));
    expect(said.length).toBeGreaterThanOrEqual(1);
    expect(said.at(-1)).toContain(`training in micro-batches of ${m} with gradient accumulation`);
    expect(m).toBeGreaterThanOrEqual(12);
    // the same update by hand: SGD on the mean loss, accumulated over 12 chunks of 8
    const params = reference.parameters();
    for (let i = 0; i < n; i += 8) {
      scope(() => reference.loss(reference.forward(X.narrow(0, i, 8)), y.narrow(0, i, 8)).mul(8 / n).backward());
    }
    scope(() => {
      for (const p of params) p.sub_(p.grad!.mul(0.05));
    });
    const got = model.parameters().map((p) => Array.from(p.dataSync()));
    const want = params.map((p) => Array.from(p.dataSync()));
    for (let k = 0; k < want.length; k++) {
      const scale = Math.max(...want[k]!.map(Math.abs));
      want[k]!.forEach((v, i) => expect(Math.abs(got[k]![i]! - v)).toBeLessThan(1e-5 * scale + 1e-7));
    }
    // the weights moved: the test compares an update, not two untouched models
    manualSeed(11);
    const fresh = new Wide();
    expect(Math.max(...fresh.parameters()[0]!.dataSync().map((v, i) => Math.abs(v - got[0]![i]!)))).toBeGreaterThan(2e-5);
  });
});

describe('loops without a scope', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  afterEach(() => warn.mockClear());
  const w = randn([16, 16]).requiresGrad_();
  const x = randn([4, 16]);
  // 7 tensors per step: matmul, relu, sum, backward's gradients
  const step = (): number => {
    const l = x.matmul(w).relu().sum();
    l.backward();
    return l.item();
  };

  it('a scope per iteration keeps 20,000 synchronous steps flat, with no warning', () => {
    const before = memory();
    let peak = 0;
    for (let i = 0; i < 20_000; i++) {
      scope(step);
      if (i % 1000 === 0) peak = Math.max(peak, memory().liveTensors);
    }
    expect(peak - before.liveTensors).toBeLessThan(16);
    expect(memory().liveTensors - before.liveTensors).toBeLessThan(16);
    expect(warn).not.toHaveBeenCalled();
  });

  it('without one, tensors pile up until the loop yields, and the library warns once', async () => {
    for (let i = 0; i < 12_000; i++) step();
    expect(memory().handles).toBeGreaterThan(32_768);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/^ferrograd: \d+ tensors \(\d+ MiB\) are alive outside any scope\. .*run each iteration in scope\(\(\) => \.\.\.\)/);
    for (let i = 0; i < 12_000; i++) step();
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
