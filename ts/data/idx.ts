/**
 * IDX files (the MNIST family's format: big-endian header, then unsigned bytes), gzip and
 * checksums, in Node and in browsers. Every check names the file and the numbers that disagree:
 * a corrupt or truncated file must fail loudly rather than turn into garbage batches, and no file
 * may make the reader allocate or inflate past what its header says (a gzip bomb, a link to
 * /dev/zero).
 * @module
 */
import { isNode, nodeImport, type NodeZlib } from '../runtime.js';

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

/** What an IDX header says: the kind, the dims, and the exact size of the file. */
export interface IdxLayout {
  kind: 'image' | 'label';
  count: number;
  /** 1 for labels. */
  rows: number;
  cols: number;
  headerBytes: number;
  bodyBytes: number;
  /** headerBytes + bodyBytes: the exact size the file must have. */
  totalBytes: number;
}

const IDX_UBYTE = 0x08;
/**
 * The most bytes an IDX file (compressed or not) may have, read or inflated: the largest real
 * file is 47 MB. Past it a header is refused before anything is allocated.
 */
export const MAX_IDX_BYTES = 256 * 1024 * 1024;

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const whereOf = (src: IdxSource): string => `${src.module}: ${src.file}`;

function readU32BE(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Checks the magic number of an IDX file of unsigned bytes with `ndim` dimensions. */
function checkMagic(src: IdxSource, bytes: Uint8Array, ndim: number, what: string): void {
  const where = whereOf(src);
  if (bytes.length < 4) throw new Error(`${where} is too short to be an IDX file (${bytes.length} bytes)`);
  const magic = readU32BE(bytes, 0);
  const want = (IDX_UBYTE << 8) | ndim;
  if (magic === want) return;
  let hint = '';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) hint = ' (it is still gzip-compressed)';
  else if (bytes[0] === 0x3c /* '<' */) hint = ' (it looks like an HTML or XML page, not an IDX file: was an error page saved?)';
  else if ((magic & 0xffff0000) === 0 && (magic & 0xff) !== ndim && magic >> 8 === IDX_UBYTE) hint = ` (an IDX file with ${magic & 0xff} dims: is it the wrong file of the pair?)`;
  else if ((magic & 0xffff0000) === 0 && magic >> 8 !== IDX_UBYTE) hint = ` (element type 0x${(magic >> 8).toString(16).padStart(2, '0')}, expected 0x08 unsigned bytes)`;
  throw new Error(`${where} is not an IDX ${what} file: magic number ${hex(magic)}, expected ${hex(want)}${hint}`);
}

/** The header size of an IDX file of this kind. */
export function idxHeaderBytes(kind: 'image' | 'label'): number {
  return kind === 'image' ? 16 : 8;
}

/**
 * Checks an IDX header (magic, element type, dims; `expect` fixes the image size) and says how
 * big the whole file must be. Needs the header's bytes only; refuses a size past
 * {@link MAX_IDX_BYTES}.
 */
export function idxLayout(src: IdxSource, bytes: Uint8Array, kind: 'image' | 'label', expect?: { rows: number; cols: number }): IdxLayout {
  const where = whereOf(src);
  checkMagic(src, bytes, kind === 'image' ? 3 : 1, kind);
  const headerBytes = idxHeaderBytes(kind);
  if (bytes.length < headerBytes) throw new Error(`${where} is truncated: an IDX ${kind} header is ${headerBytes} bytes but the file has ${bytes.length}`);
  const count = readU32BE(bytes, 4);
  const rows = kind === 'image' ? readU32BE(bytes, 8) : 1;
  const cols = kind === 'image' ? readU32BE(bytes, 12) : 1;
  if (kind === 'label') {
    if (count === 0) throw new Error(`${where} has 0 labels in its header`);
  } else {
    if (expect && (rows !== expect.rows || cols !== expect.cols)) {
      throw new Error(`${where} holds ${rows}x${cols} images, expected ${expect.rows}x${expect.cols}`);
    }
    if (count === 0 || rows === 0 || cols === 0) throw new Error(`${where} has an empty shape in its header: ${count} images of ${rows}x${cols}`);
  }
  const bodyBytes = count * rows * cols;
  if (!Number.isSafeInteger(bodyBytes) || headerBytes + bodyBytes > MAX_IDX_BYTES) {
    throw new Error(`${where} is corrupt: its header says ${describe(kind, count, rows, cols)} (${bodyBytes} bytes), over the ${MAX_IDX_BYTES}-byte limit for an IDX file`);
  }
  return { kind, count, rows, cols, headerBytes, bodyBytes, totalBytes: headerBytes + bodyBytes };
}

function describe(kind: 'image' | 'label', count: number, rows: number, cols: number): string {
  return kind === 'image' ? `${count} images of ${rows}x${cols}` : `${count} labels`;
}

/** Throws unless the file holds exactly what its header says: fewer is truncation, more a corrupt header. */
function checkLength(src: IdxSource, l: IdxLayout, length: number): void {
  const where = whereOf(src);
  const need = l.bodyBytes;
  const have = length - l.headerBytes;
  const says = `header says ${describe(l.kind, l.count, l.rows, l.cols)} (${need} bytes)`;
  if (have < need) throw new Error(`${where} is truncated: ${says} but ${have} bytes follow`);
  if (have > need) throw new Error(`${where} is corrupt: ${says} but ${have} bytes follow (${have - need} extra)`);
}

/**
 * Parses an IDX3 image file. `expect` fixes the image size (28×28 for Fashion-MNIST). The body
 * must hold exactly count×rows×cols bytes: fewer means truncation, more means a corrupt header.
 */
export function parseIdxImages(src: IdxSource, bytes: Uint8Array, expect?: { rows: number; cols: number }): IdxImages {
  const l = idxLayout(src, bytes, 'image', expect);
  checkLength(src, l, bytes.length);
  return { count: l.count, rows: l.rows, cols: l.cols, data: bytes.subarray(16) };
}

/** Parses an IDX1 label file; every label must be in `0..numClasses-1`. */
export function parseIdxLabels(src: IdxSource, bytes: Uint8Array, numClasses: number): IdxLabels {
  const where = whereOf(src);
  const l = idxLayout(src, bytes, 'label');
  checkLength(src, l, bytes.length);
  const data = bytes.subarray(8);
  for (let i = 0; i < data.length; i++) {
    if (data[i]! >= numClasses) throw new Error(`${where} is corrupt: label ${data[i]} at index ${i} is outside 0..${numClasses - 1}`);
  }
  return { count: l.count, data };
}

/** Whether `bytes` start with the gzip magic. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Given the first bytes inflated so far, the exact size the output must have, or undefined while
 * too few bytes have come to tell; it throws for a bad header.
 */
export type InflatedSize = (head: Uint8Array) => number | undefined;

/**
 * Inflates gzip data (zlib under Node, `DecompressionStream` elsewhere); other bytes pass
 * through, so raw and `.gz` files (and servers that already decoded `Content-Encoding: gzip`)
 * all work. The gzip trailer's CRC-32 and length are checked by both. Inflation stops with an
 * error past {@link MAX_IDX_BYTES}, or past what `sizeOf` says once the header is out.
 */
export async function gunzipIfNeeded(src: IdxSource, bytes: Uint8Array, sizeOf?: InflatedSize): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  return isNode() ? gunzipNode(src, bytes, sizeOf) : gunzipWeb(src, bytes, sizeOf);
}

/**
 * The bytes of an IDX file (`.gz` or raw), inflated at most to the size its header gives, with
 * the header checked (see {@link idxLayout}) and the size exact: a gzip bomb stops at the first
 * chunk past that size, and a stream that ends early is reported as truncated.
 */
export async function readIdx(src: IdxSource, bytes: Uint8Array, kind: 'image' | 'label', expect?: { rows: number; cols: number }): Promise<Uint8Array> {
  const head = idxHeaderBytes(kind);
  const raw = await gunzipIfNeeded(src, bytes, (h) => (h.length < head ? undefined : idxLayout(src, h, kind, expect).totalBytes));
  checkLength(src, idxLayout(src, raw, kind, expect), raw.length);
  return raw;
}

/** Collects inflated chunks, enforcing the cap; throws (a plain Error, not a gzip one) when over it. */
class Sink {
  readonly chunks: Uint8Array[] = [];
  total = 0;
  limit: number = MAX_IDX_BYTES;
  known = false;
  constructor(
    private readonly src: IdxSource,
    private readonly sizeOf: InflatedSize | undefined,
  ) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
    if (!this.known && this.sizeOf) {
      const want = this.sizeOf(this.bytes().subarray(0, Math.min(this.total, 64)));
      if (want !== undefined) {
        this.known = true;
        this.limit = Math.min(want, MAX_IDX_BYTES);
      }
    }
    if (this.total > this.limit) {
      const said = this.known ? `its header gives the file's size as ${this.limit} bytes` : `the limit is ${MAX_IDX_BYTES} bytes`;
      throw new Error(`${whereOf(this.src)} is corrupt: it inflates to more than ${this.limit} bytes (${said}; stopped after ${this.total}): a gzip bomb or a damaged header`);
    }
  }

  bytes(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.chunks.splice(0, this.chunks.length, out);
    return out;
  }
}

/** @internal zlib's streaming gunzip, stopped at the cap, with its errors turned into the module's messages. */
export async function gunzipNode(src: IdxSource, bytes: Uint8Array, sizeOf?: InflatedSize): Promise<Uint8Array> {
  const zlib = await nodeImport<NodeZlib>('node:zlib');
  const sink = new Sink(src, sizeOf);
  return new Promise<Uint8Array>((resolve, reject) => {
    const z = zlib.createGunzip();
    let settled = false;
    const stop = (e: unknown): void => {
      if (settled) return;
      settled = true;
      z.destroy();
      reject(e);
    };
    z.on('data', (c: Buffer) => {
      if (settled) return;
      try {
        sink.push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
      } catch (e) {
        stop(e);
      }
    });
    z.on('error', (e) => stop(gzipError(src, bytes, e)));
    z.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(sink.bytes());
    });
    z.end(bytes);
  });
}

/** @internal `DecompressionStream('gzip')`, for browsers and other hosts without zlib; stopped at the cap. */
export async function gunzipWeb(src: IdxSource, bytes: Uint8Array, sizeOf?: InflatedSize): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    throw new Error(`${src.module}: ${src.file} is gzip-compressed but this runtime has neither zlib nor DecompressionStream; pass the uncompressed IDX file`);
  }
  const sink = new Sink(src, sizeOf);
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (e) {
      throw gzipError(src, bytes, e);
    }
    if (step.done) return sink.bytes();
    try {
      sink.push(step.value);
    } catch (e) {
      await reader.cancel().catch(() => undefined);
      throw e;
    }
  }
}

function gzipError(src: IdxSource, bytes: Uint8Array, e: unknown): Error {
  const where = whereOf(src);
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
