/**
 * IDX files (the MNIST family's format: big-endian header, then unsigned bytes), gzip and
 * checksums, in Node and in browsers. Every check names the file and the numbers that disagree:
 * a corrupt or truncated file must fail loudly rather than turn into garbage batches.
 * @module
 */
import { isNode, nodeImport, type NodeZlib } from './runtime.js';

/** Images of an IDX3 file: `count` images of `rows`×`cols` bytes, row-major. */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  data: Uint8Array;
}

/** Labels of an IDX1 file. */
export interface IdxLabels {
  count: number;
  data: Uint8Array;
}

/** Where an error comes from: the module (`fashion_mnist`) and the file as the user knows it. */
export interface IdxSource {
  module: string;
  file: string;
}

const IDX_UBYTE = 0x08;
/** Decompressed size we refuse past: the largest real file is 47 MB; this stops a gzip bomb. */
const MAX_INFLATED = 1 << 30;

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function readU32BE(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Checks the magic number of an IDX file of unsigned bytes with `ndim` dimensions. */
function checkMagic(src: IdxSource, bytes: Uint8Array, ndim: number, what: string): void {
  const where = `${src.module}: ${src.file}`;
  if (bytes.length < 4) throw new Error(`${where} is too short to be an IDX file (${bytes.length} bytes)`);
  const magic = readU32BE(bytes, 0);
  const want = (IDX_UBYTE << 8) | ndim;
  if (magic === want) return;
  let hint = '';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) hint = ' (it is still gzip-compressed)';
  else if (bytes[0] === 0x3c /* '<' */) hint = ' (it looks like an HTML or XML page, not an IDX file: was an error page saved?)';
  else if ((magic & 0xffff0000) === 0 && (magic & 0xff) !== ndim && (magic >> 8) === IDX_UBYTE) hint = ` (an IDX file with ${magic & 0xff} dims: is it the wrong file of the pair?)`;
  throw new Error(`${where} is not an IDX ${what} file: magic number ${hex(magic)}, expected ${hex(want)}${hint}`);
}

/**
 * Parses an IDX3 image file. `expect` fixes the image size (28×28 for Fashion-MNIST). The body
 * must hold exactly count×rows×cols bytes: fewer means truncation, more means a corrupt header.
 */
export function parseIdxImages(src: IdxSource, bytes: Uint8Array, expect?: { rows: number; cols: number }): IdxImages {
  const where = `${src.module}: ${src.file}`;
  checkMagic(src, bytes, 3, 'image');
  if (bytes.length < 16) throw new Error(`${where} is truncated: an IDX image header is 16 bytes but the file has ${bytes.length}`);
  const count = readU32BE(bytes, 4);
  const rows = readU32BE(bytes, 8);
  const cols = readU32BE(bytes, 12);
  if (expect && (rows !== expect.rows || cols !== expect.cols)) {
    throw new Error(`${where} holds ${rows}x${cols} images, expected ${expect.rows}x${expect.cols}`);
  }
  if (count === 0 || rows === 0 || cols === 0) throw new Error(`${where} has an empty shape in its header: ${count} images of ${rows}x${cols}`);
  const need = count * rows * cols;
  const have = bytes.length - 16;
  if (have < need) {
    throw new Error(`${where} is truncated: header says ${count} images of ${rows}x${cols} (${need} bytes) but ${have} bytes follow`);
  }
  if (have > need) {
    throw new Error(`${where} is corrupt: header says ${count} images of ${rows}x${cols} (${need} bytes) but ${have} bytes follow (${have - need} extra)`);
  }
  return { count, rows, cols, data: bytes.subarray(16) };
}

/** Parses an IDX1 label file; every label must be in `0..numClasses-1`. */
export function parseIdxLabels(src: IdxSource, bytes: Uint8Array, numClasses: number): IdxLabels {
  const where = `${src.module}: ${src.file}`;
  checkMagic(src, bytes, 1, 'label');
  if (bytes.length < 8) throw new Error(`${where} is truncated: an IDX label header is 8 bytes but the file has ${bytes.length}`);
  const count = readU32BE(bytes, 4);
  const have = bytes.length - 8;
  if (count === 0) throw new Error(`${where} has 0 labels in its header`);
  if (have < count) throw new Error(`${where} is truncated: header says ${count} labels (${count} bytes) but ${have} bytes follow`);
  if (have > count) throw new Error(`${where} is corrupt: header says ${count} labels (${count} bytes) but ${have} bytes follow (${have - count} extra)`);
  const data = bytes.subarray(8);
  for (let i = 0; i < data.length; i++) {
    if (data[i]! >= numClasses) throw new Error(`${where} is corrupt: label ${data[i]} at index ${i} is outside 0..${numClasses - 1}`);
  }
  return { count, data };
}

/** Whether `bytes` start with the gzip magic. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data (zlib under Node, `DecompressionStream` elsewhere); other bytes pass
 * through, so raw and `.gz` files (and servers that already decoded `Content-Encoding: gzip`)
 * all work. The gzip trailer's CRC-32 and length are checked by both.
 */
export async function gunzipIfNeeded(src: IdxSource, bytes: Uint8Array): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  return isNode() ? gunzipNode(src, bytes) : gunzipWeb(src, bytes);
}

/** @internal zlib's gunzip, with its errors turned into the module's messages. */
export async function gunzipNode(src: IdxSource, bytes: Uint8Array): Promise<Uint8Array> {
  const zlib = await nodeImport<NodeZlib>('node:zlib');
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      zlib.gunzip(bytes, { maxOutputLength: MAX_INFLATED }, (err, res) => (err ? reject(err) : resolve(new Uint8Array(res.buffer, res.byteOffset, res.byteLength))));
    });
  } catch (e) {
    throw gzipError(src, bytes, e);
  }
}

/** @internal `DecompressionStream('gzip')`, for browsers and other hosts without zlib. */
export async function gunzipWeb(src: IdxSource, bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    throw new Error(`${src.module}: ${src.file} is gzip-compressed but this runtime has neither zlib nor DecompressionStream; pass the uncompressed IDX file`);
  }
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    const buf = await new Response(stream).arrayBuffer();
    if (buf.byteLength > MAX_INFLATED) throw new Error(`it inflates past ${MAX_INFLATED} bytes`);
    return new Uint8Array(buf);
  } catch (e) {
    throw gzipError(src, bytes, e);
  }
}

function gzipError(src: IdxSource, bytes: Uint8Array, e: unknown): Error {
  const where = `${src.module}: ${src.file}`;
  const err = e as { message?: string; code?: string; cause?: { message?: string; code?: string } };
  const msg = [err.message, err.cause?.message].filter(Boolean).join(': ') || String(e);
  const code = err.code ?? err.cause?.code;
  if (/unexpected end|premature|truncat/i.test(msg) || code === 'Z_BUF_ERROR') {
    return new Error(`${where} is truncated (or corrupt): its gzip stream ends early after ${bytes.length} compressed bytes (${msg})`);
  }
  return new Error(`${where} is corrupt: it could not be decompressed as gzip (${msg})`);
}

/** Lower-case hex SHA-256 via Web Crypto (global in browsers, Deno, Bun and Node ≥ 19). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('checksum: Web Crypto (crypto.subtle) is not available; it needs a secure context in browsers (https or localhost)');
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
