// An IDX reader and writer for tests, independent of ts/data: node:zlib and plain offsets.
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
export const NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  valImages: 't10k-images-idx3-ubyte',
  valLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The uncompressed bytes of one of Debian's files. */
export function debianRaw(name: string): Buffer {
  return gunzipSync(readFileSync(`${DEBIAN_DIR}/${name}.gz`));
}

/** Pixels of image `i` of an uncompressed IDX3 buffer. */
export function image(raw: Buffer, i: number): Buffer {
  return raw.subarray(16 + i * 784, 16 + (i + 1) * 784);
}

export function label(raw: Buffer, i: number): number {
  return raw[8 + i]!;
}

/** An IDX3 file of `count` 28×28 images whose header claims `claim` images. */
export function idxImages(pixels: Uint8Array, claim = pixels.length / 784): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32BE(0x803, 0);
  h.writeUInt32BE(claim, 4);
  h.writeUInt32BE(28, 8);
  h.writeUInt32BE(28, 12);
  return Buffer.concat([h, pixels]);
}

export function idxLabels(labels: Uint8Array, claim = labels.length): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(0x801, 0);
  h.writeUInt32BE(claim, 4);
  return Buffer.concat([h, labels]);
}

export const gzip = (b: Uint8Array): Buffer => gzipSync(b);

export function sum(b: Uint8Array): number {
  let s = 0;
  for (const v of b) s += v;
  return s;
}
