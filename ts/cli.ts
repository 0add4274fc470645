#!/usr/bin/env node
/**
 * `ferrograd train [MODEL] [options]`: trains a d2l model on Fashion-MNIST with a
 * progress bar, then writes the loss/accuracy plot (SVG), the weights (safetensors, PyTorch
 * names) and the per-epoch metrics (JSON).
 * @module
 */
// first: sets V8's wasm flags before ./node.js compiles the core
import { relaxedSimdByFlag } from './cli-engine.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Adam, d2l, manualSeed, releaseGpu, selectDevice, SGD, threadsInfo, type Optimizer } from './node.js';
import { loadSafetensors, saveSafetensors } from './io/safetensors.js';

const USAGE = `usage: ferrograd train [MODEL] [options]   (or --model NAME)

Trains a d2l.ai model on Fashion-MNIST and writes <out>/<model>.svg (plot), <out>/<model>.safetensors
(weights) and <out>/<model>.json (metrics).

options:
  --model NAME        lenet (the default), vgg, resnet18, alexnet, nin, googlenet,
                      bnlenet-scratch, bnlenet, densenet or regnetx32 (d2l.ai chapters 7-8)
  --epochs N          epochs (10)
  --batch-size N      batch size (128)
  --lr X              learning rate (the book's values: lenet 0.1, vgg 0.01, resnet18 0.01,
                      alexnet 0.01, nin 0.05, googlenet 0.01, bnlenet(-scratch) 0.1,
                      densenet 0.01, regnetx32 0.05)
  --optimizer NAME    sgd (the book's) or adam
  --data DIR          directory with the Fashion-MNIST IDX files (.gz or raw); default: cache, then
                      /usr/share/datasets/fashion-mnist, then download
  --out DIR           output directory (out)
  --train-limit N     use the first N training images
  --val-limit N       use the first N validation images
  --resize N          image size (the book's: lenet and bnlenet(-scratch) 28, vgg, alexnet and
                      nin 224, resnet18, googlenet, densenet and regnetx32 96)
  --seed N            seed for init, dropout and shuffling (0)
  --device D          cpu, gpu (WebGPU: any adapter, an error if there is none) or auto (the
                      default, d2l's num_gpus=1: a hardware GPU if there is one, else the CPU)
  --init-from FILE    start from these weights (safetensors with d2l names, e.g. written by
                      scripts/reference/lenet_torch.py same) instead of the seeded Xavier init
  --quiet             no progress bar
`;

const MODELS = ['lenet', 'vgg', 'resnet18', 'alexnet', 'nin', 'googlenet', 'bnlenet-scratch', 'bnlenet', 'densenet', 'regnetx32'] as const;
type ModelName = (typeof MODELS)[number];

interface Args {
  model: ModelName;
  epochs: number;
  batchSize: number;
  lr?: number;
  optimizer: 'sgd' | 'adam';
  data?: string;
  out: string;
  trainLimit?: number;
  valLimit?: number;
  resize?: number;
  seed: number;
  initFrom?: string;
  device: 'cpu' | 'gpu' | 'auto';
  quiet: boolean;
}

function parse(argv: string[]): Args {
  const args: Args = { model: 'lenet', epochs: 10, batchSize: 128, optimizer: 'sgd', out: 'out', seed: 0, device: 'auto', quiet: false };
  const rest = [...argv];
  if (rest[0] === 'train') rest.shift();
  const model = (m: string | undefined): ModelName => {
    if (!(MODELS as readonly (string | undefined)[]).includes(m)) throw new Error(`unknown model '${m ?? ''}' (expected lenet, vgg, resnet18, alexnet, nin, googlenet, bnlenet-scratch, bnlenet, densenet or regnetx32)`);
    return m as ModelName;
  };
  if (rest[0] && !rest[0].startsWith('--')) args.model = model(rest.shift());
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n)) throw new Error(`${flag} needs a number, got ${v ?? 'nothing'}`);
    return n;
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = num(flag, v);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}, got ${v}`);
    return n;
  };
  while (rest.length) {
    const raw = rest.shift()!;
    const [flag, inline] = raw.includes('=') ? (raw.split(/=(.*)/s) as [string, string]) : [raw, undefined];
    const value = () => inline ?? rest.shift();
    switch (flag) {
      case '--epochs': args.epochs = int(flag, value(), 0); break;
      case '--batch-size': args.batchSize = int(flag, value(), 1); break;
      case '--lr': args.lr = num(flag, value()); break;
      case '--optimizer': {
        const o = value();
        if (o !== 'sgd' && o !== 'adam') throw new Error(`--optimizer must be sgd or adam, got ${o}`);
        args.optimizer = o;
        break;
      }
      case '--model': args.model = model(value()); break;
      case '--device': {
        const d = value();
        if (d !== 'cpu' && d !== 'gpu' && d !== 'auto') throw new Error(`--device must be cpu, gpu or auto, got ${d ?? 'nothing'}`);
        args.device = d;
        break;
      }
      case '--data': args.data = value(); break;
      case '--out': args.out = value() ?? 'out'; break;
      case '--train-limit': args.trainLimit = int(flag, value(), 1); break;
      case '--val-limit': args.valLimit = int(flag, value(), 1); break;
      case '--resize': args.resize = int(flag, value(), 1); break;
      case '--seed': args.seed = int(flag, value(), 0); break;
      case '--init-from': args.initFrom = value(); break;
      case '--quiet': args.quiet = true; break;
      case '--help': case '-h': process.stdout.write(USAGE); process.exit(0); break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return args;
}

const DEFAULTS: Record<ModelName, { lr: number; resize: number }> = {
  lenet: { lr: 0.1, resize: 28 },
  // d2l §8.2 trains VGG with lr 0.01 and §8.6 ResNet-18 with 0.01 on a GPU for 10 epochs
  vgg: { lr: 0.01, resize: 224 },
  resnet18: { lr: 0.01, resize: 96 },
  // chapter 8's other sections, each as the book trains it (10 epochs, batch 128)
  alexnet: { lr: 0.01, resize: 224 }, // §8.1
  nin: { lr: 0.05, resize: 224 }, // §8.3
  googlenet: { lr: 0.01, resize: 96 }, // §8.4
  'bnlenet-scratch': { lr: 0.1, resize: 28 }, // §8.5, BNLeNetScratch
  bnlenet: { lr: 0.1, resize: 28 }, // §8.5, BNLeNet
  densenet: { lr: 0.01, resize: 96 }, // §8.7
  regnetx32: { lr: 0.05, resize: 96 }, // §8.8
};

/** Whether the user turned relaxed SIMD off. */
function relaxedOff(): boolean {
  const v = process.env.FERROGRAD_RELAXED_SIMD;
  return v === '0' || v === 'false';
}

function makeModel(name: ModelName, lr: number, optimizer: 'sgd' | 'adam'): d2l.Classifier {
  const make: Record<ModelName, () => d2l.Classifier> = {
    lenet: () => new d2l.LeNet({ lr }),
    vgg: () => new d2l.VGG([[1, 16], [1, 32], [2, 64], [2, 128], [2, 128]], { lr }),
    resnet18: () => new d2l.ResNet18({ lr }),
    alexnet: () => new d2l.AlexNet({ lr }),
    nin: () => new d2l.NiN({ lr }),
    googlenet: () => new d2l.GoogleNet({ lr }),
    'bnlenet-scratch': () => new d2l.BNLeNetScratch({ lr }),
    bnlenet: () => new d2l.BNLeNet({ lr }),
    densenet: () => new d2l.DenseNet({ lr }),
    regnetx32: () => new d2l.RegNetX32({ lr }),
  };
  const model = make[name]();
  if (optimizer === 'adam') {
    model.configureOptimizers = (): Optimizer => new Adam(model.parameters(), { lr });
  } else {
    model.configureOptimizers = (): Optimizer => new SGD(model.parameters(), lr);
  }
  return model;
}

export async function train(argv: string[], log: (s: string) => void = console.log): Promise<d2l.EpochMetrics[]> {
  const a = parse(argv);
  const lr = a.lr ?? DEFAULTS[a.model].lr;
  const resize = a.resize ?? DEFAULTS[a.model].resize;
  manualSeed(a.seed);
  // before any tensor exists: WebGPU needs the single-threaded build, which initGpu loads then
  let why = '';
  const { device, adapter } = await selectDevice(a.device, (line) => (why = line.replace(/^ferrograd: /, '').replace(/; using the CPU$/, '')));
  const data = new d2l.FashionMNIST({ batchSize: a.batchSize, resize, root: a.data, trainLimit: a.trainLimit, valLimit: a.valLimit, seed: a.seed, quiet: a.quiet });
  await data.load();
  const t = threadsInfo();
  const cpu = `${t.variant === 'threads' ? `threaded wasm, ${t.threads} thread(s)` : `single-threaded wasm${t.reason ? ` (${t.reason})` : ''}`}, ${t.relaxedSimd ? `relaxed SIMD (FMA${relaxedSimdByFlag ? ", V8's --experimental-wasm-relaxed-simd" : ''})` : `SIMD128 (${relaxedOff() ? 'FERROGRAD_RELAXED_SIMD=0' : 'no relaxed SIMD on this host'})`}`;
  const where = device === 'gpu' ? `GPU (WebGPU: ${adapter}, --device ${a.device})` : `CPU (${a.device === 'cpu' ? '--device cpu' : `--device auto: ${why || 'no GPU'}`}): ${cpu}`;
  log(`ferrograd: ${a.model}, ${a.epochs} epochs, batch ${a.batchSize}, lr ${lr} (${a.optimizer}), ${data.train!.count} train / ${data.val!.count} val images at ${resize}x${resize}, data from ${path.dirname(data.sources.trainImages ?? '?')}; ${where}`);
  const model = makeModel(a.model, lr, a.optimizer);
  const svg = path.join(a.out, `${a.model}.svg`);
  model.board.svgPath = svg;
  model.applyInit([d2l.first(data.getDataloader(true))[0]], d2l.initCnn);
  if (a.initFrom) {
    model.loadStateDict((await loadSafetensors(a.initFrom)).tensors);
    log(`initial weights from ${a.initFrom}`);
  }
  let bar: d2l.ProgressBar | null = null;
  const trainer = new d2l.Trainer({
    maxEpochs: a.epochs,
    device,
    log,
    onBatch: (p) => {
      if (a.quiet) return;
      bar ??= new d2l.ProgressBar({ total: p.batches, label: `epoch ${p.epoch + 1}/${a.epochs}` });
      bar.update(p.batch, { loss: p.loss, 'img/s': p.imagesPerSecond });
    },
    onEpoch: (m) => {
      bar?.finish({ loss: m.trainLoss, 'img/s': m.imagesPerSecond });
      bar = null;
    },
  });
  const started = performance.now();
  let history: d2l.EpochMetrics[];
  try {
    history = await trainer.fit(model, data);
    if (device === 'gpu') await model.toAsync('cpu');
  } finally {
    // Node does not exit while a GPU device is referenced
    if (device === 'gpu') await releaseGpu();
  }
  const seconds = (performance.now() - started) / 1000;
  await mkdir(a.out, { recursive: true });
  await model.board.save(svg);
  const weights = path.join(a.out, `${a.model}.safetensors`);
  await saveSafetensors(weights, model.stateDict(), { model: a.model, epochs: String(a.epochs) });
  const metrics = path.join(a.out, `${a.model}.json`);
  await writeFile(metrics, JSON.stringify({ model: a.model, lr, batchSize: a.batchSize, optimizer: a.optimizer, resize, wallSeconds: seconds, history }, null, 2) + '\n');
  log(`done in ${seconds.toFixed(1)} s: plot ${svg}, weights ${weights}, metrics ${metrics}`);
  return history;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] !== 'train' && argv[0] !== undefined && !argv[0].startsWith('--') && !(MODELS as readonly string[]).includes(argv[0])) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  try {
    await train(argv);
  } catch (e) {
    process.stderr.write(`ferrograd: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

const invoked = process.argv[1] ?? '';
if (/cli\.(ts|js|mjs)$/.test(invoked) || /[\\/]ferrograd$/.test(invoked)) await main();
