// A LeNet trained in PyTorch (scripts/reference/lenet_torch.py fixture) loads into ferrograd's
// d2l.LeNet under PyTorch's parameter names and reproduces PyTorch's logits.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { d2l, fromArray, noGrad, zeros } from 'ferrograd';
import { decodeStateDict, encodeStateDict } from '../ts/io/safetensors.js';
import { expectClose } from './helpers/assert.js';

const dir = new URL('./fixtures/lenet/', import.meta.url);
const ref = JSON.parse(readFileSync(new URL('lenet_logits.json', dir), 'utf8')) as { images: number[]; labels: number[]; logits: number[] };

describe('PyTorch LeNet weights', () => {
  it('load under net.N.weight names and reproduce the logits within 1e-4', () => {
    const { tensors } = decodeStateDict(new Uint8Array(readFileSync(new URL('lenet.safetensors', dir))));
    expect(Object.keys(tensors)).toEqual(['net.0.weight', 'net.0.bias', 'net.3.weight', 'net.3.bias', 'net.7.weight', 'net.7.bias', 'net.9.weight', 'net.9.bias', 'net.11.weight', 'net.11.bias'].map((k) => k.replace('net.', '')));
    const model = new d2l.LeNet();
    noGrad(() => model.forward(zeros([1, 1, 28, 28])));
    // the fixture holds PyTorch's nn.Sequential state dict; the d2l model nests it under `net.`
    const prefixed = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [`net.${k}`, v]));
    model.loadStateDict(prefixed);
    model.eval();
    const X = fromArray(ref.images, [10, 1, 28, 28]);
    const logits = noGrad(() => model.forward(X));
    expectClose(logits, ref.logits, 0, 1e-4);
    // and they classify as PyTorch does
    const torchPred = Array.from({ length: 10 }, (_, i) => ref.logits.slice(i * 10, i * 10 + 10)).map((r) => r.indexOf(Math.max(...r)));
    expect(Array.from(logits.argmax(1).dataSync())).toEqual(torchPred);
  });

  it('a state dict round-trips through safetensors bit-exactly', () => {
    const model = new d2l.LeNet();
    noGrad(() => model.forward(zeros([2, 1, 28, 28])));
    const bytes = encodeStateDict(model.stateDict());
    const other = new d2l.LeNet();
    noGrad(() => other.forward(zeros([2, 1, 28, 28])));
    other.loadStateDict(decodeStateDict(bytes).tensors);
    for (const [k, t] of Object.entries(model.stateDict())) {
      expect(Array.from(other.stateDict()[k]!.dataSync()), k).toEqual(Array.from(t.dataSync()));
    }
  });
});
