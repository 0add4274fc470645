// One training step (forward, cross-entropy, backward, SGD) of d2l's small VGG (batch 32 and
// the book's 128, 224×224) and ResNet-18 (batch 32, 96×96) through the public API, on random images: the same
// work scripts/bench/torch_ref.py times in PyTorch.
import { timeMs } from './timing.mjs';

/** Training FLOP per image (forward + both backward passes), as the issue counts them. */
export const FLOP_PER_IMAGE = { lenet: 2.5e6, vgg: 3.07e9, vgg128: 3.07e9, resnet18: 1.91e9 };

export const MODELS = {
  vgg: { label: 'small VGG 224² (batch 32)', batch: 32, size: 224 },
  // the book's batch size (d2l §8.2): per image as fast as batch 32 is the aim
  vgg128: { label: 'small VGG 224² (batch 128)', batch: 128, size: 224 },
  resnet18: { label: 'ResNet-18 96² (batch 32)', batch: 32, size: 96 },
};

export function makeModel(fg, which) {
  const { d2l, randn, fromArray, manualSeed, SGD, scope } = fg;
  const { batch, size } = MODELS[which];
  manualSeed(0);
  const model = which.startsWith('vgg') ? new d2l.VGG([[1, 16], [1, 32], [2, 64], [2, 128], [2, 128]]) : new d2l.ResNet18();
  const X = randn([batch, 1, size, size]).keep();
  const y = fromArray(Array.from({ length: batch }, (_, i) => i % 10), [batch], { dtype: 'int64' }).keep();
  model.applyInit([X], d2l.initCnn);
  const opt = new SGD(model.parameters(), 0.01);
  const step = () =>
    scope(() => {
      const loss = model.loss(model.forward(X), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  return { step, batch };
}

/** Milliseconds per step: one warm-up step, then `samples` single steps (median and best). */
export function benchModel(fg, which, { samples = 3 } = {}) {
  const { step, batch } = makeModel(fg, which);
  const t = timeMs(step, { warmup: 1, warmupMs: 0, samples, sampleMs: 0 });
  return { name: MODELS[which].label, ms: t.ms, best: t.best, imgs: (batch * 1000) / t.ms, flopPerImage: FLOP_PER_IMAGE[which] };
}
