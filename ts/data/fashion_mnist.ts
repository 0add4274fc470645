/**
 * d2l's `FashionMNIST` data module (§4.2): the Zalando Fashion-MNIST IDX files, read from a
 * directory, the cache, Debian's `dataset-fashion-mnist` package, or downloaded from the official
 * mirrors with checksum verification; batched on the fly with an optional bilinear resize.
 * In browsers the same class loads from URLs (`urls` / `mirrors`), or from bytes with
 * {@link FashionMNIST.fromIdx} (file inputs) or {@link FashionMNIST.fromArrays} (worker transfers).
 * @module
 */
import { rand } from '../creation.js';
import { ProgressBar } from '../d2l/progress.js';
import { scope } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { DataModule, ImageLoader, type DataLoader } from './datamodule.js';
import { downloadBytes, type DownloadProgress } from './download.js';
import { isGzip, parseIdxImages, parseIdxLabels, readIdx, sha256Hex, type IdxSource } from './idx.js';
import { defaultCacheDir, findLocal, writeAtomic } from './local_files.js';
import { epochSeed, permutation } from './random.js';
import { isNode } from '../runtime.js';

/** The four files of the dataset. */
export type FashionMNISTFile = 'trainImages' | 'trainLabels' | 'valImages' | 'valLabels';

/** Identity of an official file. */
export interface FashionMNISTFileInfo {
  /** Name without `.gz`. */
  name: string;
  /** SHA-256 and MD5 of the uncompressed IDX bytes: what is verified, whatever the compression. */
  sha256: string;
  md5: string;
  bytes: number;
  /** The `.gz` as published on the official mirror (its README lists the MD5). */
  gz: { sha256: string; md5: string; bytes: number };
}

/**
 * Checksums of the official release. Content hashes were computed from Debian's package (its
 * `.gz` files are recompressed, so their bytes differ, but the IDX contents match the MD5s of the
 * uncompressed files that torchvision publishes); the `.gz` hashes are the official mirror's.
 */
export const FASHION_MNIST_FILES: Readonly<Record<FashionMNISTFile, FashionMNISTFileInfo>> = Object.freeze({
  trainImages: {
    name: 'train-images-idx3-ubyte',
    sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    md5: 'f4a8712d7a061bf5bd6d2ca38dc4d50a',
    bytes: 47_040_016,
    gz: { sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', bytes: 26_421_880 },
  },
  trainLabels: {
    name: 'train-labels-idx1-ubyte',
    sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    md5: '9018921c3c673c538a1fc5bad174d6f9',
    bytes: 60_008,
    gz: { sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845', md5: '25c81989df183df01b3e8a0aad5dffbe', bytes: 29_515 },
  },
  valImages: {
    name: 't10k-images-idx3-ubyte',
    sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    md5: '8181f5470baa50b63fa0f6fddb340f0a',
    bytes: 7_840_016,
    gz: { sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073', md5: 'bef4ecab320f06d8554ea6380940ec79', bytes: 4_422_102 },
  },
  valLabels: {
    name: 't10k-labels-idx1-ubyte',
    sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    md5: '15d484375f8d13e6eb1aabb0c3f46965',
    bytes: 10_008,
    gz: { sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5', md5: 'bb300cfdad3c16e7a12a480ee83cd310', bytes: 5_148 },
  },
});

const FILE_KEYS: readonly FashionMNISTFile[] = ['trainImages', 'trainLabels', 'valImages', 'valLabels'];

/** d2l's `text_labels`, in class order. */
export const FASHION_MNIST_LABELS = Object.freeze(['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'] as const);

/** One split, as uint8 pixels (count×28×28) and labels: cheap to keep, to transfer to a worker. */
export interface FashionMNISTSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface FashionMNISTOptions {
  /** Examples per batch (64). */
  batchSize?: number;
  /** Output size, e.g. 96 or 224 for AlexNet/VGG-style nets (28: no resize). */
  resize?: number | [number, number];
  /** A directory holding the IDX files (`.gz` or raw), also as `<root>/FashionMNIST/raw`. */
  root?: string;
  /** Where downloads are kept (default `$FERROGRAD_DATA`, `$XDG_CACHE_HOME/ferrograd` or `~/.cache/ferrograd`, + `/fashion-mnist`). */
  cacheDir?: string;
  /** Download when no local copy is found (true). */
  download?: boolean;
  /** Seeds the per-epoch shuffle; without it each epoch draws its seed from `manualSeed`'s generator, as PyTorch's sampler does. */
  seed?: number;
  /** Use only the first N training / validation examples. */
  trainLimit?: number;
  valLimit?: number;
  /** Exact URLs per file, tried before the mirrors. */
  urls?: Partial<Record<FashionMNISTFile, string>>;
  /** Called as download bytes arrive; without it Node prints a progress bar to stderr. */
  onProgress?: (p: DownloadProgress) => void;
  /** Base URLs tried in order (default {@link FashionMNIST.MIRRORS}). */
  mirrors?: string[];
  /** The system copy looked at after the cache (Debian's path); null skips it. */
  systemDir?: string | null;
  /**
   * Check the SHA-256 of the IDX contents against {@link FASHION_MNIST_FILES}. Default: on for
   * downloads, the cache and the system copy; off for `root`, `fromIdx` and `fromArrays` (your own
   * files may be subsets). Structure (magic, dims, sizes, label range) is always checked.
   */
  verify?: boolean;
  /** Keep each batch alive after its loader moves on (see `datamodule.ts`). */
  keepBatches?: boolean;
  /** No progress output (Node). */
  quiet?: boolean;
}

const SRC = (file: string): IdxSource => ({ module: 'fashion_mnist', file });

export class FashionMNIST extends DataModule {
  /** d2l's mirror, then the copy in the dataset's GitHub repository. */
  static readonly MIRRORS: readonly string[] = Object.freeze([
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
  ]);
  /** Debian's `dataset-fashion-mnist`. */
  static readonly SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';
  static readonly FILES = FASHION_MNIST_FILES;

  readonly batchSize: number;
  readonly resize: [number, number];
  train?: FashionMNISTSplit;
  val?: FashionMNISTSplit;
  /** Where each file was read from (a path or URL), once loaded. */
  readonly sources: Partial<Record<FashionMNISTFile, string>> = {};
  readonly #opts: FashionMNISTOptions;
  #loading: Promise<void> | undefined;
  #epoch = 0;

  constructor(opts: FashionMNISTOptions = {}) {
    super();
    const { batchSize = 64, resize = 28 } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`fashion_mnist: batchSize must be a positive integer, got ${batchSize}`);
    const size: [number, number] = typeof resize === 'number' ? [resize, resize] : [resize[0], resize[1]];
    if (!size.every((d) => Number.isInteger(d) && d > 0)) throw new RangeError(`fashion_mnist: resize must be a positive integer or [h, w], got ${JSON.stringify(resize)}`);
    for (const k of ['trainLimit', 'valLimit'] as const) {
      const v = opts[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`fashion_mnist: ${k} must be a positive integer, got ${v}`);
    }
    if (opts.seed !== undefined && (!Number.isInteger(opts.seed) || opts.seed < 0)) throw new RangeError(`fashion_mnist: seed must be a non-negative integer, got ${opts.seed}`);
    this.#opts = { ...opts };
    this.batchSize = batchSize;
    this.resize = size;
  }

  /** Loads all four files (see the options for the search order). Idempotent; retried after a failure. */
  load(): Promise<void> {
    if (this.train && this.val) return Promise.resolve();
    this.#loading ??= this.#load().catch((e: unknown) => {
      this.#loading = undefined;
      throw e;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    const raw = {} as Record<FashionMNISTFile, Uint8Array>;
    for (const key of FILE_KEYS) {
      const got = await this.#acquire(key);
      raw[key] = got.raw;
      this.sources[key] = got.where;
    }
    this.#setSplits(raw, this.sources as Record<FashionMNISTFile, string>);
  }

  #setSplits(raw: Record<FashionMNISTFile, Uint8Array>, where: Record<FashionMNISTFile, string>): void {
    this.train = limit(decodeSplit(raw.trainImages, raw.trainLabels, where.trainImages, where.trainLabels), this.#opts.trainLimit);
    this.val = limit(decodeSplit(raw.valImages, raw.valLabels, where.valImages, where.valLabels), this.#opts.valLimit);
  }

  /** The uncompressed, validated (and where required, verified) bytes of one file. */
  async #acquire(key: FashionMNISTFile): Promise<{ raw: Uint8Array; where: string }> {
    const info = FASHION_MNIST_FILES[key];
    const o = this.#opts;
    const looked: string[] = [];
    if (isNode()) {
      const names = [`${info.name}.gz`, info.name];
      const tiers: { dirs: string[]; verify: boolean; hint: string }[] = [];
      if (o.root) tiers.push({ dirs: [o.root], verify: o.verify === true, hint: 'replace it with the official file' });
      const cacheDir = o.cacheDir ?? (await defaultCacheDir('fashion-mnist'));
      tiers.push({ dirs: [cacheDir], verify: o.verify !== false, hint: 'delete it to download it again' });
      const systemDir = o.systemDir === undefined ? FashionMNIST.SYSTEM_DIR : o.systemDir;
      if (systemDir) tiers.push({ dirs: [systemDir], verify: o.verify !== false, hint: 'reinstall dataset-fashion-mnist' });
      for (const tier of tiers) {
        const found = await findLocal(tier.dirs, names, ['FashionMNIST/raw']);
        looked.push(...tier.dirs);
        if (!found) continue;
        const raw = await decodeChecked(key, found.bytes, found.path, tier.verify, tier.hint);
        return { raw, where: found.path };
      }
      if (o.download === false) {
        throw new Error(`fashion_mnist: ${info.name}(.gz) was not found in ${looked.join(', ')}, and download is off`);
      }
      return this.#download(key, cacheDir, looked);
    }
    return this.#download(key, undefined, looked);
  }

  async #download(key: FashionMNISTFile, cacheDir: string | undefined, looked: string[]): Promise<{ raw: Uint8Array; where: string }> {
    const info = FASHION_MNIST_FILES[key];
    const o = this.#opts;
    const urls = [...(o.urls?.[key] ? [o.urls[key]] : []), ...(o.mirrors ?? FashionMNIST.MIRRORS).map((m) => new URL(`${info.name}.gz`, m.endsWith('/') ? m : `${m}/`).href)];
    if (urls.length === 0) throw new Error(`fashion_mnist: ${info.name} was not found in ${looked.join(', ') || 'any local directory'} and there is no URL to download it from (urls and mirrors are empty)`);
    const failures: string[] = [];
    for (const url of urls) {
      const file = url.slice(url.lastIndexOf('/') + 1) || info.name;
      const bar = !o.onProgress && !o.quiet && isNode() ? new DownloadBar(file) : undefined;
      try {
        const bytes = await downloadBytes(url, file, o.onProgress ?? bar?.report);
        bar?.done();
        const raw = await decodeChecked(key, bytes, url, o.verify !== false, 'it was not cached');
        if (cacheDir) {
          try {
            await writeAtomic(cacheDir, isGzip(bytes) ? `${info.name}.gz` : info.name, bytes);
          } catch (e) {
            console.warn(`fashion_mnist: could not cache ${file} in ${cacheDir}: ${(e as Error).message}`);
          }
        }
        return { raw, where: url };
      } catch (e) {
        bar?.fail();
        failures.push(`  - ${(e as Error).message.replace(/^fashion_mnist: /, '')}`);
      }
    }
    const notFound = looked.length ? `was not found in ${looked.join(', ')} and ` : '';
    throw new Error(`fashion_mnist: ${info.name} ${notFound}could not be downloaded:\n${failures.join('\n')}`);
  }

  /** Shuffled training loader: each iteration uses the next epoch's permutation. */
  trainDataloader(): DataLoader & ImageLoader {
    const split = this.#need('train');
    const seed = this.#opts.seed;
    return this.#loader(split, seed === undefined ? globalSeed : () => epochSeed(seed, this.#epoch++));
  }

  /** Validation loader, in file order. */
  valDataloader(): DataLoader & ImageLoader {
    return this.#loader(this.#need('val'), undefined);
  }

  #loader(split: FashionMNISTSplit, shuffleSeed: (() => number) | undefined): ImageLoader {
    return new ImageLoader({
      images: split.images,
      labels: split.labels,
      count: split.count,
      rows: 28,
      cols: 28,
      batchSize: this.batchSize,
      resize: this.resize,
      permute: permutation,
      keepBatches: this.#opts.keepBatches ?? false,
      ...(shuffleSeed ? { shuffleSeed } : {}),
    });
  }

  #need(which: 'train' | 'val'): FashionMNISTSplit {
    const split = this[which];
    if (!split) throw new Error(`fashion_mnist: the data is not loaded yet; call \`await data.load()\` before ${which}Dataloader() (Trainer.fit does this)`);
    return split;
  }

  /** d2l's `text_labels`: class names for label indices. */
  textLabels(indices: ArrayLike<number> | Tensor): string[] {
    const values: ArrayLike<number> = isTensor(indices) ? indices.dataSync() : indices;
    return Array.from(values, (v, i) => {
      const name = FASHION_MNIST_LABELS[v];
      if (!Number.isInteger(v) || name === undefined) throw new Error(`fashion_mnist: textLabels: label ${v} at index ${i} is not a class index 0..9`);
      return name;
    });
  }

  /**
   * A loaded module from the four files' bytes (`.gz` or raw), e.g. from browser file inputs.
   * Checksums are verified only with `verify: true`.
   */
  static async fromIdx(files: Record<FashionMNISTFile, Uint8Array | ArrayBuffer>, opts: FashionMNISTOptions = {}): Promise<FashionMNIST> {
    const data = new FashionMNIST(opts);
    const raw = {} as Record<FashionMNISTFile, Uint8Array>;
    const where = {} as Record<FashionMNISTFile, string>;
    for (const key of FILE_KEYS) {
      const given = files[key];
      if (!given) throw new Error(`fashion_mnist: fromIdx needs ${FILE_KEYS.join(', ')}; ${key} is missing`);
      const bytes = given instanceof Uint8Array ? given : new Uint8Array(given);
      where[key] = `${FASHION_MNIST_FILES[key].name} (${key})`;
      raw[key] = await decodeChecked(key, bytes, where[key], opts.verify === true, 'pass the official file');
    }
    Object.assign(data.sources, where);
    data.#setSplits(raw, where);
    return data;
  }

  /** A loaded module from decoded splits (uint8 images count×28×28 and labels), e.g. sent to a worker. */
  static fromArrays(splits: { train: Pick<FashionMNISTSplit, 'images' | 'labels'>; val: Pick<FashionMNISTSplit, 'images' | 'labels'> }, opts: FashionMNISTOptions = {}): FashionMNIST {
    const data = new FashionMNIST(opts);
    const check = (name: string, s: Pick<FashionMNISTSplit, 'images' | 'labels'>): FashionMNISTSplit => {
      const count = s.labels.length;
      if (count === 0 || s.images.length !== count * 784) {
        throw new Error(`fashion_mnist: fromArrays: ${name} has ${count} labels, so its images need ${count * 784} bytes (28x28 each), got ${s.images.length}`);
      }
      s.labels.forEach((v, i) => {
        if (v > 9) throw new Error(`fashion_mnist: fromArrays: ${name} label ${v} at index ${i} is outside 0..9`);
      });
      return { images: s.images, labels: s.labels, count };
    };
    data.train = limit(check('train', splits.train), opts.trainLimit);
    data.val = limit(check('val', splits.val), opts.valLimit);
    return data;
  }
}

/** Inflates (capped by the header), checks the structure, and verifies the checksum when asked. */
async function decodeChecked(key: FashionMNISTFile, bytes: Uint8Array, where: string, verify: boolean, hint: string): Promise<Uint8Array> {
  const info = FASHION_MNIST_FILES[key];
  // inflated at most to the size the IDX header gives (a gzip bomb stops there), then parsed
  const images = key.endsWith('Images');
  const raw = await readIdx(SRC(where), bytes, images ? 'image' : 'label', images ? { rows: 28, cols: 28 } : undefined);
  if (images) parseIdxImages(SRC(where), raw, { rows: 28, cols: 28 });
  else parseIdxLabels(SRC(where), raw, 10);
  if (verify) {
    const got = await sha256Hex(raw);
    if (got !== info.sha256) {
      throw new Error(`fashion_mnist: checksum mismatch for ${where}: the SHA-256 of its IDX content is ${got}, expected ${info.sha256} (official ${info.name}); ${hint}`);
    }
  }
  return raw;
}

function decodeSplit(imagesRaw: Uint8Array, labelsRaw: Uint8Array, imagesWhere: string, labelsWhere: string): FashionMNISTSplit {
  const images = parseIdxImages(SRC(imagesWhere), imagesRaw, { rows: 28, cols: 28 });
  const labels = parseIdxLabels(SRC(labelsWhere), labelsRaw, 10);
  if (images.count !== labels.count) {
    throw new Error(`fashion_mnist: ${imagesWhere} has ${images.count} images but ${labelsWhere} has ${labels.count} labels`);
  }
  return { images: images.data, labels: labels.data, count: images.count };
}

function limit(split: FashionMNISTSplit, n: number | undefined): FashionMNISTSplit {
  if (n === undefined || n >= split.count) return split;
  return { images: split.images.subarray(0, n * 784), labels: split.labels.subarray(0, n), count: n };
}

/** A 32-bit seed from the global generator (`manualSeed`), like PyTorch's RandomSampler. */
function globalSeed(): number {
  const [a = 0, b = 0] = scope(() => Array.from(rand([2]).dataSync()));
  return (Math.floor(a * 0x1000000) * 256 + Math.floor(b * 256)) >>> 0;
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'dataSync' in x && typeof (x as Tensor).dataSync === 'function';
}

/** The default download display under Node: one progress bar per file on stderr. */
class DownloadBar {
  #bar: ProgressBar | undefined;
  #total = 0;
  constructor(private readonly file: string) {}
  readonly report = (p: DownloadProgress): void => {
    if (!this.#bar && p.total) {
      this.#total = p.total;
      this.#bar = new ProgressBar({ total: p.total, label: `downloading ${this.file}`, unit: 'bytes' });
    }
    this.#bar?.update(Math.min(p.loaded, this.#total));
  };
  done(): void {
    this.#bar?.finish();
    this.#bar = undefined;
  }
  fail(): void {
    this.#bar?.close();
    this.#bar = undefined;
  }
}
