// The main job's CLI (`npm run train`): options, the first line (model, data, device and why),
// and the three files it writes; bad options are errors naming the option and the value.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../ts/cli.js';

const run = async (args: string[]): Promise<{ lines: string[]; out: string }> => {
  const out = mkdtempSync(path.join(tmpdir(), 'ferrograd-cli-'));
  const lines: string[] = [];
  await train(['lenet', '--epochs', '1', '--train-limit', '256', '--val-limit', '128', '--quiet', '--out', out, ...args], (l) => lines.push(l));
  return { lines, out };
};

describe('ferrograd train', () => {
  it('--device cpu: trains, says where, writes plot, weights and metrics', async () => {
    const { lines, out } = await run(['--device', 'cpu', '--seed', '3']);
    expect(lines[0]).toMatch(/^ferrograd: lenet, 1 epochs, batch 128, lr 0\.1 \(sgd\), 256 train \/ 128 val images at 28x28, data from .+; CPU \(--device cpu\): (threaded wasm, \d+ thread\(s\)|single-threaded wasm.*), (relaxed SIMD \(FMA(, V8's --experimental-wasm-relaxed-simd)?\)|SIMD128 \(no relaxed SIMD on this host\))$/);
    expect(lines[1]).toMatch(/^epoch 1\/1: train_loss \d\.\d{4}, val_loss \d\.\d{4}, val_acc 0\.\d{4} \(\d+ img\/s\)$/);
    for (const f of ['lenet.svg', 'lenet.safetensors', 'lenet.json']) expect(existsSync(path.join(out, f)), f).toBe(true);
    const m = JSON.parse(readFileSync(path.join(out, 'lenet.json'), 'utf8')) as { history: { trainLoss: number }[]; lr: number };
    expect(m.lr).toBe(0.1);
    expect(m.history).toHaveLength(1);
    expect(m.history[0]!.trainLoss).toBeGreaterThan(1);
    expect(m.history[0]!.trainLoss).toBeLessThan(4);
  });

  it('the same seed gives the same run, bit for bit', async () => {
    const a = await run(['--device', 'cpu', '--seed', '5']);
    const b = await run(['--device', 'cpu', '--seed', '5']);
    const hist = (o: string) => (JSON.parse(readFileSync(path.join(o, 'lenet.json'), 'utf8')) as { history: { trainLoss: number; valLoss: number }[] }).history.map((h) => [h.trainLoss, h.valLoss]);
    expect(hist(a.out)).toEqual(hist(b.out));
  });

  it('bad options are errors naming the option and the value', async () => {
    await expect(run(['--device', 'tpu'])).rejects.toThrow(/^--device must be cpu, gpu or auto, got tpu$/);
    await expect(run(['--optimizer', 'rmsprop'])).rejects.toThrow(/^--optimizer must be sgd or adam, got rmsprop$/);
    await expect(run(['--epochs', 'x'])).rejects.toThrow(/^--epochs needs a number, got x$/);
    await expect(run(['--bogus'])).rejects.toThrow(/^unknown option --bogus$/);
    await expect(run(['--model', 'mobilenet'])).rejects.toThrow(/^unknown model 'mobilenet' \(expected lenet, vgg, resnet18, alexnet, nin, googlenet, bnlenet-scratch, bnlenet, densenet or regnetx32\)$/);
    await expect(run(['--batch-size', '1.5'])).rejects.toThrow(/^--batch-size needs an integer >= 1, got 1\.5$/);
    await expect(run(['--train-limit', '0'])).rejects.toThrow(/^--train-limit needs an integer >= 1, got 0$/);
    await expect(run(['--seed', '1e300'])).rejects.toThrow(/^--seed needs an integer >= 0, got 1e300$/);
  });
});
