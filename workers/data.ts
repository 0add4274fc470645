/**
 * The worker's data module. Unlike `FashionMNIST`, whose loaders count epochs themselves, each
 * epoch's order here is a function of (seed, the trainer's epoch) only, so a run restored at
 * epoch 3, batch 40 visits exactly the examples the uninterrupted run would have.
 * @module
 */
import { fromArray } from '../ts/creation.js';
import { DataModule, ImageLoader, type Batch, type DataLoader } from '../ts/data/datamodule.js';
import { FashionMNIST } from '../ts/data/fashion_mnist.js';
import { epochSeed, permutation } from '../ts/data/random.js';
import type { ByteImages, DataInfo, DataSpec, FloatExamples } from '../ts/workers/types.js';

type Split = { kind: 'bytes'; images: Uint8Array; labels: Uint8Array; count: number; rows: number; cols: number } | { kind: 'floats'; x: Float32Array; labels: Float32Array; count: number; dims: [number, number, number] };

function bad(msg: string): never {
  throw new Error(`loadData: ${msg}`);
}

function limitSplit(s: Split, n: number | undefined): Split {
  if (n === undefined || n >= s.count) return s;
  if (s.kind === 'bytes') return { ...s, images: s.images.subarray(0, n * s.rows * s.cols), labels: s.labels.subarray(0, n), count: n };
  const per = s.dims[0] * s.dims[1] * s.dims[2];
  return { ...s, x: s.x.subarray(0, n * per), labels: s.labels.subarray(0, n), count: n };
}

function checkLabels(labels: ArrayLike<number>, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0) bad(`${what} label ${v} at index ${i} is not a class index`);
  }
}

function byteSplit(b: ByteImages | undefined, rows: number, cols: number, what: string): Split {
  if (!b || !(b.images instanceof Uint8Array) || !(b.labels instanceof Uint8Array)) bad(`${what} needs images and labels as Uint8Arrays`);
  const count = b.labels.length;
  if (count === 0) bad(`${what} has no labels`);
  if (b.images.length !== count * rows * cols) bad(`${what} has ${count} labels, so its images need ${count * rows * cols} bytes (${rows}x${cols} each), got ${b.images.length}`);
  checkLabels(b.labels, what);
  return { kind: 'bytes', images: b.images, labels: b.labels, count, rows, cols };
}

function floatSplit(f: FloatExamples | undefined, what: string): Split {
  if (!f || !(f.x instanceof Float32Array) || !Array.isArray(f.shape) || f.shape.length !== 4) bad(`${what} needs x (Float32Array) with shape [N, C, H, W], got shape ${JSON.stringify(f?.shape)}`);
  const [n, c, h, w] = f.shape;
  if (![n, c, h, w].every((d) => Number.isInteger(d) && d > 0)) bad(`${what} shape [${f.shape.join(', ')}] must be positive integers`);
  if (f.x.length !== n * c * h * w) bad(`${what} shape [${f.shape.join(', ')}] needs ${n * c * h * w} values, got ${f.x.length}`);
  if (f.labels.length !== n) bad(`${what} has ${n} examples but ${f.labels.length} labels`);
  checkLabels(f.labels, what);
  return { kind: 'floats', x: f.x, labels: Float32Array.from(f.labels), count: n, dims: [c, h, w] };
}

/** Shuffled (or in-order) batches of float examples. */
class FloatLoader implements DataLoader {
  readonly length: number;
  constructor(
    private readonly s: Extract<Split, { kind: 'floats' }>,
    private readonly batchSize: number,
    private readonly seed: (() => number) | undefined,
  ) {
    this.length = Math.ceil(s.count / batchSize);
  }
  *[Symbol.iterator](): Iterator<Batch> {
    const { x, labels, count, dims } = this.s;
    const per = dims[0] * dims[1] * dims[2];
    const order = this.seed ? permutation(count, this.seed()) : undefined;
    for (let start = 0; start < count; start += this.batchSize) {
      const B = Math.min(this.batchSize, count - start);
      const xb = new Float32Array(B * per);
      const yb = new Float32Array(B);
      for (let b = 0; b < B; b++) {
        const i = order ? order[start + b]! : start + b;
        xb.set(x.subarray(i * per, (i + 1) * per), b * per);
        yb[b] = labels[i]!;
      }
      // batches are created inside the Trainer's step scope, which frees them
      yield [fromArray(xb, [B, ...dims]), fromArray(yb, [B], { dtype: 'int64' })];
    }
  }
}

export class WorkerData extends DataModule {
  /** The epoch whose order the next training iteration uses (the service points it at its Trainer). */
  epochOf: () => number = () => 0;

  constructor(
    readonly train: Split,
    readonly val: Split | undefined,
    readonly batchSize: number,
    public seed: number,
    readonly resize: [number, number] | undefined,
    readonly sources: string[],
  ) {
    super();
  }

  load(): Promise<void> {
    return Promise.resolve();
  }

  trainDataloader(): DataLoader {
    return this.#loader(this.train, () => epochSeed(this.seed, this.epochOf()));
  }

  valDataloader(): DataLoader {
    if (!this.val) return { length: 0, [Symbol.iterator]: () => [][Symbol.iterator]() };
    return this.#loader(this.val, undefined);
  }

  #loader(s: Split, shuffleSeed: (() => number) | undefined): DataLoader {
    if (s.kind === 'floats') return new FloatLoader(s, this.batchSize, shuffleSeed);
    return new ImageLoader({
      images: s.images,
      labels: s.labels,
      count: s.count,
      rows: s.rows,
      cols: s.cols,
      batchSize: this.batchSize,
      resize: this.resize ?? [s.rows, s.cols],
      permute: permutation,
      ...(shuffleSeed ? { shuffleSeed } : {}),
    });
  }

  /** A split in file order (evaluation). */
  orderedDataloader(split: 'train' | 'val'): DataLoader {
    const s = split === 'train' ? this.train : this.val;
    if (!s) throw new Error('evaluate: no validation split was loaded');
    return this.#loader(s, undefined);
  }

  /** `[C, H, W]` of one training example as the model sees it. */
  get inputShape(): [number, number, number] {
    const s = this.train;
    if (s.kind === 'floats') return s.dims;
    return [1, ...(this.resize ?? [s.rows, s.cols])];
  }

  info(): DataInfo {
    return { train: this.train.count, val: this.val?.count ?? 0, batchSize: this.batchSize, batches: Math.ceil(this.train.count / this.batchSize), inputShape: this.inputShape, seed: this.seed, sources: this.sources };
  }
}

/** Builds the data module a spec describes; `defaultSeed` is used when the spec has none. */
export async function loadWorkerData(spec: DataSpec, defaultSeed: number): Promise<WorkerData> {
  if (typeof spec !== 'object' || spec === null) bad(`expected a data spec object, got ${JSON.stringify(spec)}`);
  const batchSize = spec.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) bad(`batchSize must be a positive integer, got ${spec.batchSize}`);
  const seed = spec.seed ?? defaultSeed;
  if (!Number.isInteger(seed) || seed < 0) bad(`seed must be a non-negative integer, got ${spec.seed}`);
  for (const k of ['trainLimit', 'valLimit'] as const) {
    const v = spec[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) bad(`${k} must be a positive integer, got ${v}`);
  }
  const r = spec.resize;
  const resize: [number, number] | undefined = r === undefined ? undefined : typeof r === 'number' ? [r, r] : [r[0], r[1]];
  if (resize && !resize.every((d) => Number.isInteger(d) && d > 0)) bad(`resize must be a positive integer or [h, w], got ${JSON.stringify(r)}`);
  let train: Split;
  let val: Split | undefined;
  let sources: string[];
  switch (spec.kind) {
    case 'fashion-mnist': {
      const { kind: _kind, batchSize: _b, resize: _r, seed: _s, ...files } = spec;
      const fm = new FashionMNIST({ ...files, quiet: true });
      await fm.load();
      const asSplit = (x: { images: Uint8Array; labels: Uint8Array; count: number }): Split => ({ kind: 'bytes', ...x, rows: 28, cols: 28 });
      train = asSplit(fm.train!);
      val = asSplit(fm.val!);
      sources = Object.values(fm.sources);
      break;
    }
    case 'bytes': {
      const rows = spec.rows ?? 28;
      const cols = spec.cols ?? 28;
      if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) bad(`rows and cols must be positive integers, got ${rows}x${cols}`);
      train = byteSplit(spec.train, rows, cols, 'train');
      val = spec.val ? byteSplit(spec.val, rows, cols, 'val') : undefined;
      sources = ['transferred bytes'];
      break;
    }
    case 'floats':
      if (resize) bad('resize applies to byte images only; resize float examples before sending them');
      train = floatSplit(spec.train, 'train');
      val = spec.val ? floatSplit(spec.val, 'val') : undefined;
      sources = ['transferred floats'];
      break;
    default:
      return bad(`unknown data kind ${JSON.stringify((spec as { kind?: unknown }).kind)} (expected fashion-mnist, bytes, floats)`);
  }
  return new WorkerData(limitSplit(train, spec.trainLimit), val && limitSplit(val, spec.valLimit), batchSize, seed, resize, sources);
}
