// Every example runs and prints what d2l prints (training sections in a short mode).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as symmetry } from '../examples/ch07_1_conv_symmetry.js';
import { main as paddingStrides } from '../examples/ch07_3_padding_strides.js';
import { main as channels } from '../examples/ch07_4_channels.js';
import { main as pooling } from '../examples/ch07_5_pooling.js';
import { main as lenet } from '../examples/ch07_6_lenet.js';
import { main as vgg } from '../examples/ch08_2_vgg.js';
import { main as resnet } from '../examples/ch08_6_resnet.js';

const quiet = () => {};

describe('d2l examples', () => {
  it('§7.1 convolution is symmetric and translation-equivariant; the plot is written', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fg-')), 'sym.svg');
    const logs: string[] = [];
    const r = symmetry({ out, log: (s) => logs.push(s) });
    expect(r.symmetryError).toBeLessThan(1e-6);
    expect(r.shiftError).toBeLessThan(1e-6);
    // f * g of a unit box with a unit-mass bump (dx = 0.1): close to 1 in the middle, 0 far out
    const fg = r.fg.dataSync();
    expect(fg[50]!).toBeGreaterThan(0.8);
    expect(fg[0]!).toBeLessThan(1e-6);
    await r.board.save(out);
    const svg = readFileSync(out, 'utf8');
    for (const label of ['f (box)', 'f * g', 'g * f']) expect(svg).toContain(label);
  });

  it('§7.3 output shapes 8x8, 8x8, 4x4, 2x2', () => {
    expect(paddingStrides(quiet)).toEqual(['torch.Size([8, 8])', 'torch.Size([8, 8])', 'torch.Size([4, 4])', 'torch.Size([2, 2])']);
  });

  it('§7.4 multi-input and multi-output channels', () => {
    const logs: string[] = [];
    const r = channels((s) => logs.push(s));
    expect(logs[0]).toBe('tensor([[ 56.,  72.],\n        [104., 120.]])');
    expect(logs[1]).toBe('torch.Size([3, 2, 2, 2])');
    expect(logs[2]).toBe('tensor([[[ 56.,  72.],\n         [104., 120.]],\n\n        [[ 76., 100.],\n         [148., 172.]],\n\n        [[ 96., 128.],\n         [192., 224.]]])');
    expect(r.diff1x1).toBeLessThan(1e-6);
  });

  it('§7.5 pooling', () => {
    const out = pooling(quiet).map((t) => t.toArray());
    expect(out[0]).toEqual([[4, 5], [7, 8]]);
    expect(out[1]).toEqual([[2, 3], [5, 6]]);
    expect(out[3]).toEqual([[[[10]]]]);
    expect(out[4]).toEqual([[[[5, 7], [13, 15]]]]);
    expect(out[5]).toEqual([[[[5, 7], [13, 15]]]]);
    expect(out[7]).toEqual([[[[5, 7], [13, 15]], [[6, 8], [14, 16]]]]);
  });

  it('§7.6 LeNet: summary and a short training run', async () => {
    const r = await lenet({ epochs: 1, trainLimit: 512, valLimit: 256, log: quiet });
    expect(r.summary[0]).toBe('Conv2d output shape:\t torch.Size([1, 6, 28, 28])');
    expect(r.summary).toHaveLength(12);
    expect(r.history).toHaveLength(1);
    expect(Number.isFinite(r.history[0]!.valLoss!)).toBe(true);
  });

  it('§8.2 VGG: VGG-11 summary and a short training run of the small VGG at 224x224', async () => {
    const r = await vgg({ epochs: 1, batchSize: 4, trainLimit: 8, valLimit: 4, log: quiet });
    expect(r.summary[5]).toBe('Flatten output shape:\t torch.Size([1, 25088])');
    expect(r.history).toHaveLength(1);
    expect(Number.isFinite(r.history[0]!.trainLoss)).toBe(true);
  });

  it('§8.6 ResNet: Residual shapes, ResNet-18 summary and a short training run at 96x96', async () => {
    const r = await resnet({ epochs: 1, batchSize: 8, trainLimit: 16, valLimit: 8, log: quiet });
    expect(r.shapes).toEqual(['torch.Size([4, 3, 6, 6])', 'torch.Size([4, 6, 3, 3])']);
    expect(r.summary.at(-1)).toBe('Sequential output shape:\t torch.Size([1, 10])');
    expect(Number.isFinite(r.history[0]!.trainLoss)).toBe(true);
  });
});
