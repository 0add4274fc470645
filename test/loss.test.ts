// F.crossEntropy's options: values and gradients are golden cases (cross_entropy_options, on
// every device); here the argument checks, each a TypeError/RangeError naming the op, the
// argument and the value, and the fast path against the composed one.
import { describe, expect, it } from 'vitest';
import { F, tensor } from 'ferrograd';

const x = () => tensor([[1, 2, 0.5], [0.1, -1, 3]], { requiresGrad: true });
const y = () => tensor([2, 0]);

describe('F.crossEntropy options', () => {
  it('bad options are clear errors', () => {
    expect(() => F.crossEntropy(x(), y(), { reduce: 'mean' } as never)).toThrow(new TypeError("cross_entropy: got an unexpected option 'reduce' (expected 'weight', 'ignoreIndex', 'reduction', 'labelSmoothing')"));
    expect(() => F.crossEntropy(x(), y(), { reduction: 'avg' as never })).toThrow(RangeError);
    expect(() => F.crossEntropy(x(), y(), { reduction: 'avg' as never })).toThrow(/^cross_entropy: argument 'reduction' must be one of 'mean', 'sum', 'none', got "avg"$/);
    expect(() => F.crossEntropy(x(), y(), { labelSmoothing: 1.5 })).toThrow(/^cross_entropy: argument 'labelSmoothing'.*1\.5/);
    expect(() => F.crossEntropy(x(), y(), { ignoreIndex: 1.5 })).toThrow(/^cross_entropy: argument 'ignoreIndex'.*1\.5/);
    expect(() => F.crossEntropy(x(), y(), { weight: tensor([1, 2]) })).toThrow(/^cross_entropy: weight must have shape \[3\] \(one per class\), got \[2\]$/);
    expect(() => F.crossEntropy(x(), y(), { weight: [1, 2, 3] as never })).toThrow(TypeError);
    expect(() => F.crossEntropy(x(), tensor([0, 3]), { reduction: 'sum' })).toThrow(/^cross_entropy: target 3 at index 1 is out of bounds for 3 classes/);
    expect(() => F.crossEntropy(x(), tensor([0.5, 1]), { reduction: 'sum' })).toThrow(/target 0\.5 at index 0 is out of bounds/);
    expect(() => F.crossEntropy(x(), tensor([0, 1, 2]), { reduction: 'sum' })).toThrow(/^cross_entropy: target of shape \[3\] does not fit input \[2, 3\]/);
    // the library still works
    expect(F.crossEntropy(x(), y(), { reduction: 'none' }).shape).toEqual([2]);
  });

  it('explicit defaults give the fused path\'s value and gradient', () => {
    const a = x();
    const b = x();
    const fast = F.crossEntropy(a, y());
    const composed = F.crossEntropy(b, y(), { reduction: 'mean', ignoreIndex: -100, labelSmoothing: 0 });
    expect(composed.item()).toBeCloseTo(fast.item(), 6);
    fast.backward();
    composed.backward();
    const ga = a.grad!.dataSync();
    const gb = b.grad!.dataSync();
    ga.forEach((v, i) => expect(gb[i]!).toBeCloseTo(v, 6));
  });

  it('probabilities take no ignore index >= 0 (as PyTorch); a negative one changes nothing', () => {
    // torch 1.13: F.cross_entropy(x, p, ignore_index=0) raises "ignore_index is not supported
    // for floating point target"; ignore_index=-1 gives the plain value, 2.1925716400146484
    const p = () => tensor([[0.2, 0.3, 0.5], [1, 0, 0]]);
    expect(() => F.crossEntropy(x(), p(), { ignoreIndex: 0 })).toThrow(RangeError);
    expect(() => F.crossEntropy(x(), p(), { ignoreIndex: 2 })).toThrow(/^cross_entropy: ignore_index is not supported for floating point target .*got ignoreIndex 2$/);
    expect(F.crossEntropy(x(), p(), { ignoreIndex: -1 }).item()).toBeCloseTo(2.1925716400146484, 6);
    expect(F.crossEntropy(x(), p()).item()).toBeCloseTo(2.1925716400146484, 6);
  });

  it('every target ignored: the mean is NaN, the sum 0 (as PyTorch)', () => {
    expect(F.crossEntropy(x(), tensor([-100, -100])).item()).toBeNaN();
    expect(F.crossEntropy(x(), tensor([-100, -100]), { reduction: 'sum' }).item()).toBe(0);
  });
});

describe('F.mseLoss reduction', () => {
  it("'mean', 'sum' and 'none' give PyTorch's values; bad options are errors", async () => {
    // torch 1.13: F.mse_loss([1, 2, 3], [0, 2, 5]) = 1.6667; 'sum' 5; 'none' [1, 0, 4]
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([0, 2, 5]);
    expect(F.mseLoss(a, b).item()).toBeCloseTo(5 / 3, 6);
    expect(F.mseLoss(a, b, { reduction: 'sum' }).item()).toBe(5);
    expect(Array.from(await F.mseLoss(a, b, { reduction: 'none' }).data())).toEqual([1, 0, 4]);
    F.mseLoss(a, b, { reduction: 'sum' }).backward();
    expect(Array.from(await a.grad!.data())).toEqual([2, 0, -4]);
    expect(() => F.mseLoss(a, b, { reduction: 'avg' as never })).toThrow(/^mse_loss: argument 'reduction' must be one of 'mean', 'sum', 'none', got "avg"$/);
    expect(() => F.mseLoss(a, b, { reduce: true } as never)).toThrow(TypeError);
    expect(() => F.mseLoss(a, tensor([1, 2]), { reduction: 'none' })).toThrow(/mse_loss/);
  });
});
