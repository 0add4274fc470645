/**
 * Fashion-MNIST for the page: the four IDX files picked from disk (a file input or a drop) or
 * fetched from a base URL. Both go through ferrograd's `FashionMNIST`, which inflates `.gz` with
 * `DecompressionStream` (off the main thread's JavaScript) and checks every header; downloads are
 * also checked against the official SHA-256s. The decoded bytes stay here, and each training run
 * gets its own copy, transferred to the worker.
 */
import { FASHION_MNIST_FILES, FashionMNIST, type FashionMNISTFile, type FashionMNISTSplit } from 'ferrograd';

export interface Dataset {
  train: FashionMNISTSplit;
  val: FashionMNISTSplit;
  /** Where the files came from, for the status line. */
  source: string;
}

const KEYS: readonly FashionMNISTFile[] = ['trainImages', 'trainLabels', 'valImages', 'valLabels'];

/** Which of the four files `name` is: the official name, with or without `.gz`. */
export function fileKey(name: string): FashionMNISTFile | undefined {
  // some mirrors write `train-images.idx3-ubyte`
  const base = name.replace(/\.gz$/i, '').replace(/\./g, '-');
  return KEYS.find((k) => FASHION_MNIST_FILES[k].name === base);
}

/** Decodes the four files picked by the user; says which are missing or not recognised. */
export async function fromFiles(files: Iterable<File>): Promise<Dataset> {
  const picked = new Map<FashionMNISTFile, File>();
  const unknown: string[] = [];
  for (const f of files) {
    const key = fileKey(f.name);
    if (key) picked.set(key, f);
    else unknown.push(f.name);
  }
  const missing = KEYS.filter((k) => !picked.has(k)).map((k) => `${FASHION_MNIST_FILES[k].name}.gz`);
  if (missing.length) {
    throw new Error(`missing ${missing.join(', ')}${unknown.length ? ` (not recognised: ${unknown.join(', ')})` : ''}`);
  }
  const bytes = {} as Record<FashionMNISTFile, Uint8Array>;
  for (const k of KEYS) bytes[k] = new Uint8Array(await picked.get(k)!.arrayBuffer());
  const fm = await FashionMNIST.fromIdx(bytes);
  return { train: fm.train!, val: fm.val!, source: `${[...picked.values()].map((f) => f.name).join(', ')} (from disk)` };
}

/** Downloads `<base>/<name>.gz` for the four files, reporting the bytes received. */
export async function fromUrl(base: string, onProgress: (fraction: number, file: string) => void): Promise<Dataset> {
  const totals = new Map<string, { loaded: number; total: number }>();
  const expected = KEYS.reduce((n, k) => n + FASHION_MNIST_FILES[k].gz.bytes, 0);
  const url = new URL(base, location.href).href;
  const fm = new FashionMNIST({
    mirrors: [url],
    onProgress: (p) => {
      totals.set(p.file, { loaded: p.loaded, total: p.total ?? 0 });
      const loaded = [...totals.values()].reduce((n, t) => n + t.loaded, 0);
      onProgress(Math.min(1, loaded / expected), p.file);
    },
  });
  await fm.load();
  return { train: fm.train!, val: fm.val!, source: url };
}

/** A copy of the first `n` images and labels of a split (the page keeps these for the grid). */
export function head(split: FashionMNISTSplit, n: number): FashionMNISTSplit {
  const count = Math.min(n, split.count);
  return { images: split.images.slice(0, count * 784), labels: split.labels.slice(0, count), count };
}

/**
 * Bilinear resize of 28×28 byte images to size×size floats in [0, 1], with PyTorch's
 * `align_corners=False` sampling, so inputs shown to a resized model match what it trained on.
 */
export function resizeImages(images: Uint8Array, count: number, size: number): Float32Array {
  const out = new Float32Array(count * size * size);
  const scale = 28 / size;
  for (let n = 0; n < count; n++) {
    const src = n * 784;
    const dst = n * size * size;
    for (let y = 0; y < size; y++) {
      const fy = Math.max(0, (y + 0.5) * scale - 0.5);
      const y0 = Math.min(27, Math.floor(fy));
      const y1 = Math.min(27, y0 + 1);
      const wy = fy - y0;
      for (let x = 0; x < size; x++) {
        const fx = Math.max(0, (x + 0.5) * scale - 0.5);
        const x0 = Math.min(27, Math.floor(fx));
        const x1 = Math.min(27, x0 + 1);
        const wx = fx - x0;
        const top = images[src + y0 * 28 + x0]! * (1 - wx) + images[src + y0 * 28 + x1]! * wx;
        const bottom = images[src + y1 * 28 + x0]! * (1 - wx) + images[src + y1 * 28 + x1]! * wx;
        out[dst + y * size + x] = (top * (1 - wy) + bottom * wy) / 255;
      }
    }
  }
  return out;
}
