/**
 * d2l's `DataModule` and the loaders it hands to the Trainer.
 *
 * Batch ownership: a batch's tensors are created when the loader's iterator produces it and
 * belong to the caller (to the step scope that is open at that moment, if any). Because the
 * usual loop — `for (const b of loader) scope(() => step(b))` — creates each batch outside the
 * step's scope, the image loaders free a batch when the iterator advances to the next one, so an
 * epoch never holds more than one batch of wasm memory however the consumer scopes its steps.
 * Breaking out of the loop leaves the last batch to the caller. Pass `keepBatches: true` to turn
 * the release off (e.g. to collect batches with `Array.from(loader)`).
 * @module
 */
import { fromArray } from '../creation.js';
import { interpolateBilinear } from '../functional.js';
import { scope } from '../memory.js';
import type { Tensor } from '../tensor.js';

/** `[X, y]`: X `[B, C, H, W]` float32 in [0, 1], y `[B]` class indices (dtype tag `int64`). */
export type Batch = [X: Tensor, y: Tensor];

/** What the Trainer iterates: one pass is one epoch. */
export interface DataLoader extends Iterable<Batch> {
  /** Batches per epoch (`len(dataloader)`), counting the last partial batch. */
  readonly length: number;
}

/** d2l's `DataModule`: owns a dataset and makes the training and validation loaders. */
export abstract class DataModule {
  /** Loads (or downloads) the data. Idempotent; `Trainer.fit` awaits it before the first epoch. */
  abstract load(): Promise<void>;
  /** Shuffled loader: every iteration (and every call) visits the examples in a new order. */
  abstract trainDataloader(): DataLoader;
  /** Loader over the validation set, in file order. */
  abstract valDataloader(): DataLoader;
  /** d2l's `get_dataloader(train)`. */
  getDataloader(train: boolean): DataLoader {
    return train ? this.trainDataloader() : this.valDataloader();
  }
}

/** Options of {@link ImageLoader}. */
export interface ImageLoaderOptions {
  /** `count` images of `rows`×`cols` unsigned bytes (one channel), row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  batchSize: number;
  /** Output `[H, W]`; a bilinear resize runs per batch when it differs from rows×cols. */
  resize: [number, number];
  /** Called once per iteration for the seed of that epoch's permutation; omit for file order. */
  shuffleSeed?: () => number;
  /** Keep every batch alive after the iterator moves on (see the module notes). */
  keepBatches?: boolean;
  /** Permutation from a seed: injected so this file stays free of the PRNG's details. */
  permute?: (n: number, seed: number) => Uint32Array;
}

/** 0..255 → float32 value/255, as `ToTensor` computes it. */
const SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * A loader over uint8 images: builds each `[B, 1, H, W]` batch on demand (pixels/255, optional
 * bilinear resize) so only one batch of floats exists at a time. Keeps the last partial batch,
 * like PyTorch's `DataLoader(drop_last=False)`.
 */
export class ImageLoader implements DataLoader {
  readonly length: number;
  readonly batchSize: number;
  readonly #o: ImageLoaderOptions;

  constructor(opts: ImageLoaderOptions) {
    const { count, rows, cols, batchSize, images, labels, resize } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (images.length !== count * rows * cols) throw new RangeError(`DataLoader: ${count} images of ${rows}x${cols} need ${count * rows * cols} bytes, got ${images.length}`);
    if (labels.length !== count) throw new RangeError(`DataLoader: ${count} images but ${labels.length} labels`);
    if (!resize.every((d) => Number.isInteger(d) && d > 0)) throw new RangeError(`DataLoader: resize must be positive integers, got [${resize.join(', ')}]`);
    this.#o = opts;
    this.batchSize = batchSize;
    this.length = Math.ceil(count / batchSize);
  }

  /** Number of examples per epoch. */
  get numExamples(): number {
    return this.#o.count;
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const o = this.#o;
    const order = o.shuffleSeed ? (o.permute ?? identityPermutation)(o.count, o.shuffleSeed()) : undefined;
    let prev: Batch | undefined;
    // one staging buffer per pass (the tensors copy it): no 400 KB typed array per batch for
    // the garbage collector
    const px = o.rows * o.cols;
    const xs = new Float32Array(Math.min(o.batchSize, o.count) * px);
    const ys = new Float32Array(Math.min(o.batchSize, o.count));
    for (let start = 0; start < o.count; start += o.batchSize) {
      if (prev && !o.keepBatches) releaseBatch(prev);
      prev = undefined;
      const end = Math.min(start + o.batchSize, o.count);
      const batch = this.#batch(order, start, end, xs, ys);
      prev = batch;
      yield batch;
    }
    // the loop ran to completion: the caller has moved past the last batch too
    if (prev && !o.keepBatches) releaseBatch(prev);
  }

  #batch(order: Uint32Array | undefined, start: number, end: number, xs: Float32Array, ys: Float32Array): Batch {
    const { images, labels, rows, cols, resize } = this.#o;
    const B = end - start;
    const px = rows * cols;
    const x = xs.subarray(0, B * px);
    const y = ys.subarray(0, B);
    for (let b = 0; b < B; b++) {
      const i = order ? order[start + b]! : start + b;
      const src = i * px;
      const dst = b * px;
      for (let k = 0; k < px; k++) x[dst + k] = SCALE[images[src + k]!]!;
      y[b] = labels[i]!;
    }
    const [H, W] = resize;
    const X = H === rows && W === cols ? fromArray(x, [B, 1, rows, cols]) : scope(() => interpolateBilinear(fromArray(x, [B, 1, rows, cols]), [H, W]));
    return [X, fromArray(y, [B], { dtype: 'int64' })];
  }
}

function identityPermutation(n: number): Uint32Array {
  return Uint32Array.from({ length: n }, (_, i) => i);
}

function releaseBatch(batch: Batch): void {
  for (const t of batch) t._free('the data loader moved on to the next batch (pass keepBatches: true to keep batches)');
}
