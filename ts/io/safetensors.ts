/**
 * The safetensors format (Hugging Face's, which PyTorch's `save_file`/`load_file` read and write):
 * an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and byte
 * range, then the raw little-endian data. State dicts keep PyTorch's names (`net.0.weight`,
 * `net.1.running_mean`, `net.1.num_batches_tracked` as I64), so files move between ferrograd and
 * PyTorch in both directions. Decoding validates everything the Rust reference implementation
 * does and names the offending tensor and numbers.
 * @module
 */
import { fromArray } from '../creation.js';
import { readLocal } from '../data/local_files.js';
import { isNode, nodeImport, type NodeFs, type NodePath } from '../runtime.js';
import type { DType } from '../format.js';
import type { Tensor } from '../tensor.js';

export type SafetensorsDType = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';

/** One tensor of a file. F16 and BF16 data are the raw 16-bit patterns. */
export interface TensorRecord {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;
}

type ArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor | BigInt64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor | Uint16ArrayConstructor;

const DTYPES: Record<SafetensorsDType, { size: number; ctor: ArrayCtor }> = {
  F64: { size: 8, ctor: Float64Array },
  I64: { size: 8, ctor: BigInt64Array },
  F32: { size: 4, ctor: Float32Array },
  I32: { size: 4, ctor: Int32Array },
  F16: { size: 2, ctor: Uint16Array },
  BF16: { size: 2, ctor: Uint16Array },
  U8: { size: 1, ctor: Uint8Array },
  BOOL: { size: 1, ctor: Uint8Array },
};

/** The reference's `Dtype` enum order: its writer sorts by it (descending), then by name. */
const DTYPE_RANK: Record<SafetensorsDType, number> = { BOOL: 0, U8: 1, F16: 5, BF16: 6, I32: 7, F32: 9, F64: 10, I64: 11 };

/** The reference implementation refuses larger headers; so do we, before allocating. */
const MAX_HEADER = 100_000_000;
const METADATA_KEY = '__metadata__';

function fail(msg: string): never {
  throw new Error(`safetensors: ${msg}`);
}

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isDType = (d: unknown): d is SafetensorsDType => typeof d === 'string' && has(DTYPES, d);
/** An object keyed by names from a file or a caller: no prototype, so `__proto__` is a plain key. */
const dict = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
};

function checkLittleEndian(): void {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) fail('this platform is big-endian; the format stores little-endian data and ferrograd does not byte-swap');
}

/** Elements of a shape from a file, or undefined when it is not a list of safe non-negative integers with a safe product. */
function shapeNumel(shape: unknown): number | undefined {
  if (!Array.isArray(shape)) return undefined;
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) return undefined;
    n *= d as number;
  }
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The first key that appears twice in one object of a JSON text (already known to be valid
 * JSON): `JSON.parse` keeps the last silently, so a file could show one tensor to one reader and
 * another to the next. `where` is the key of the object holding it ('' for the top level).
 */
function duplicateKey(text: string): { key: string; where: string } | undefined {
  // per open container: its keys (null for arrays), its own key in its parent, the last key read
  const stack: { keys: Set<string> | null; name: string; last: string }[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j += 2;
        } else if (d === 0x22) break;
        else j++;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && expectKey) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) return { key, where: top.name };
        top.keys.add(key);
        top.last = key;
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      stack.push({ keys: c === 0x7b ? new Set() : null, name: parent ? (parent.keys ? parent.last : parent.name) : '', last: '' });
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1]?.keys != null;
    }
  }
  return undefined;
}

/**
 * Serializes tensors (and optional string metadata) byte for byte as the reference writer does:
 * data sorted by dtype (widest first) then name, header padded with spaces to 8 bytes so every
 * tensor's data is aligned when the file is mapped. Names must be non-empty strings, not
 * `__metadata__`, and unique (a Map's keys must be strings); metadata values must be strings.
 */
export function encodeSafetensors(tensors: Record<string, TensorRecord> | Map<string, TensorRecord>, metadata?: Record<string, string>): Uint8Array {
  const op = 'encodeSafetensors';
  checkLittleEndian();
  if (!(tensors instanceof Map) && !isPlainObject(tensors)) throw new TypeError(`${op}: argument 'tensors' must be an object (or Map) of records by name, got ${show(tensors)}`);
  const entries: [string, TensorRecord][] = tensors instanceof Map ? Array.from(tensors) : Object.entries(tensors);
  const seen = new Set<string>();
  for (const [name, r] of entries) {
    if (typeof name !== 'string' || name === '') throw new TypeError(`${op}: tensor names must be non-empty strings, got ${show(name)}`);
    if (seen.has(name)) throw new RangeError(`${op}: tensor name '${name}' appears twice`);
    seen.add(name);
    if (name === METADATA_KEY) throw new RangeError(`${op}: '${METADATA_KEY}' is reserved for metadata and cannot name a tensor`);
    if (!isPlainObject(r)) throw new TypeError(`${op}: tensor '${name}' must be a record { dtype, shape, data }, got ${show(r)}`);
    if (!isDType(r.dtype)) throw new RangeError(`${op}: tensor '${name}' has dtype ${show(r.dtype)}; supported: ${Object.keys(DTYPES).join(', ')}`);
    const spec = DTYPES[r.dtype];
    if (!(r.data instanceof spec.ctor)) throw new TypeError(`${op}: tensor '${name}' is ${r.dtype} but its data is a ${(r.data as object | null)?.constructor?.name ?? show(r.data)} (expected ${spec.ctor.name})`);
    const n = shapeNumel(r.shape);
    if (n === undefined) throw new RangeError(`${op}: tensor '${name}' has shape ${show(r.shape)}: dims must be non-negative integers`);
    if (r.data.length !== n) throw new RangeError(`${op}: tensor '${name}' has shape [${r.shape.join(', ')}] (${n} elements) but ${r.data.length} values`);
  }
  entries.sort(([an, a], [bn, b]) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || (an < bn ? -1 : an > bn ? 1 : 0));
  const header = dict<unknown>();
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) throw new TypeError(`${op}: argument 'metadata' must be an object of strings, got ${show(metadata)}`);
    const meta = dict<string>();
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`${op}: metadata '${k}' must be a string, got ${show(v)}`);
      meta[k] = v;
    }
    if (Object.keys(meta).length) header[METADATA_KEY] = meta;
  }
  let offset = 0;
  for (const [name, r] of entries) {
    const bytes = r.data.byteLength;
    header[name] = { dtype: r.dtype, shape: r.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const [, r] of entries) {
    out.set(new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength), at);
    at += r.data.byteLength;
  }
  return out;
}

/**
 * Parses and validates a safetensors file, all of it before any data is copied: header length
 * within the file, UTF-8 JSON object without repeated keys, `__metadata__` an object of strings,
 * known dtypes, shapes of non-negative integers, byte ranges that match dtype size × elements,
 * start at 0, neither overlap nor leave gaps, and end exactly at the end of the file. Data is
 * copied (aligned, not aliased). `tensors` and `metadata` have no prototype: any string the
 * Python writer accepts (`__proto__`, `constructor`) is an ordinary name.
 */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, TensorRecord>; metadata: Record<string, string> } {
  checkLittleEndian();
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`decodeSafetensors: argument 'bytes' must be a Uint8Array, got ${show(bytes)}`);
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) fail(`the header length is ${n} bytes, over the ${MAX_HEADER}-byte limit (is this a safetensors file?)`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) fail(`the header length is ${headerLen} bytes but only ${bytes.length - 8} bytes follow it (truncated file?)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`the header must be a JSON object, it starts with ${JSON.stringify(text.slice(0, 16))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(header)) fail('the header must be a JSON object');
  const dup = duplicateKey(text);
  if (dup) fail(dup.where === '' ? `the header names '${dup.key}' twice (JSON keeps only the last, so readers could disagree)` : `the header's '${dup.where}' has the key '${dup.key}' twice`);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata = dict<string>();
  const spans: { name: string; begin: number; end: number; dtype: SafetensorsDType; shape: number[] }[] = [];
  // JSON.parse makes own data properties, `__proto__` included: entries sees every name
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (entry === null) continue;
      if (!isPlainObject(entry)) fail(`'${METADATA_KEY}' must be an object of strings, got ${show(entry)}`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') fail(`metadata '${k}' must be a string, got ${show(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    if (!isPlainObject(entry)) fail(`tensor '${name}' must be an object with dtype, shape and data_offsets, got ${show(entry)}`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string') fail(`tensor '${name}' has no dtype (got ${show(dtype)})`);
    if (!isDType(dtype)) fail(`tensor '${name}' has dtype ${dtype}, which ferrograd does not read (supported: ${Object.keys(DTYPES).join(', ')})`);
    if (!Array.isArray(shape)) fail(`tensor '${name}' has no shape list (got ${show(shape)})`);
    const count = shapeNumel(shape);
    if (count === undefined) fail(`tensor '${name}' has an invalid shape ${show(shape).replace(/,/g, ', ')}: dims must be non-negative integers with a safe product`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      fail(`tensor '${name}' needs data_offsets [begin, end] of non-negative integers, got ${show(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`tensor '${name}' has data_offsets [${begin}, ${end}] that end before they begin`);
    if (end > dataLen) fail(`tensor '${name}' has data_offsets [${begin}, ${end}] past the end of the data (${dataLen} bytes; truncated file?)`);
    const size = DTYPES[dtype].size;
    if (end - begin !== count * size) {
      fail(`tensor '${name}' is ${dtype} [${(shape as number[]).join(', ')}]: ${count} elements × ${size} bytes = ${count * size} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    spans.push({ name, begin, end, dtype, shape: (shape as number[]).slice() });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const s of spans) {
    if (s.begin < cursor) fail(`tensor '${s.name}' (bytes ${s.begin}..${s.end}) overlaps the previous tensor, which ends at ${cursor}`);
    if (s.begin > cursor) fail(`bytes ${cursor}..${s.begin} of the data belong to no tensor (before '${s.name}')`);
    cursor = s.end;
  }
  if (cursor !== dataLen) fail(`the tensors cover ${cursor} bytes of data but the file has ${dataLen} after the header`);
  // every check passed: only now is any data copied
  const tensors = dict<TensorRecord>();
  for (const s of spans) {
    const { size, ctor } = DTYPES[s.dtype];
    // slice() copies into a fresh, aligned buffer: file offsets need not be aligned for the type
    const buf = bytes.slice(dataStart + s.begin, dataStart + s.end).buffer;
    tensors[s.name] = { dtype: s.dtype, shape: s.shape, data: new ctor(buf, 0, (s.end - s.begin) / size) as TensorRecord['data'] };
  }
  return { tensors, metadata };
}

// ---- tensors <-> records ----

/**
 * A record for a tensor: float32 tensors as F32, `int64`-tagged ones (batch norm's
 * `num_batches_tracked`, labels) as I64, `bool`-tagged ones as BOOL, as PyTorch stores them.
 */
export function tensorToRecord(t: Tensor, name = 'tensor'): TensorRecord {
  const values = t.dataSync();
  const shape = t.shape;
  if (t.dtype === 'int64') {
    const data = new BigInt64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) fail(`'${name}' is an int64 tensor holding ${v} at index ${i}`);
      data[i] = BigInt(Math.round(v));
    }
    return { dtype: 'I64', shape, data };
  }
  if (t.dtype === 'bool') return { dtype: 'BOOL', shape, data: Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)) };
  if (t.dtype === 'int32') return { dtype: 'I32', shape, data: Int32Array.from(values, (v) => v + 0) };
  return { dtype: 'F32', shape, data: values instanceof Float32Array ? values : Float32Array.from(values) };
}

/** A tensor for a record: floats become float32; integer types keep an `int64` tag; BOOL a `bool` tag. */
export function recordToTensor(r: TensorRecord, name = 'tensor'): Tensor {
  // cast rather than `{ dtype }`: a file's integers past 2^24 load rounded (float32 storage)
  // instead of failing, as before integer dtypes were checked
  return fromArray(recordToFloat32(r, name), r.shape).to(recordDType(r.dtype));
}

/** The values of a record as float32 (what ferrograd computes in). */
export function recordToFloat32(r: TensorRecord, name = 'tensor'): Float32Array {
  const d = r.data;
  switch (r.dtype) {
    case 'F32':
      return d as Float32Array;
    case 'F16':
      return Float32Array.from(d as Uint16Array, halfToFloat);
    case 'BF16': {
      const bits = new Uint32Array(d.length);
      (d as Uint16Array).forEach((h, i) => (bits[i] = h << 16));
      return new Float32Array(bits.buffer);
    }
    case 'I64': {
      const out = new Float32Array(d.length);
      (d as BigInt64Array).forEach((v, i) => (out[i] = Number(v)));
      return out;
    }
    case 'F64':
    case 'I32':
    case 'U8':
    case 'BOOL':
      return Float32Array.from(d as ArrayLike<number>);
    default:
      return fail(`'${name}' has dtype ${String(r.dtype)}, which has no float32 conversion`);
  }
}

function recordDType(d: SafetensorsDType): DType {
  if (d === 'BOOL') return 'bool';
  if (d === 'I32') return 'int32';
  if (d === 'I64' || d === 'U8') return 'int64';
  return 'float32';
}

/** IEEE half (bit pattern) → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number → IEEE half bit pattern, rounding to nearest even (overflow → ±Infinity). */
export function floatToHalf(v: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = v;
  const x = u[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let r = mant >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  const rest = mant & 0x1fff;
  mant >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && mant & 1)) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
}

// ---- state dicts ----

/** A state dict (PyTorch names → tensors) as safetensors bytes. */
export function encodeStateDict(stateDict: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const op = 'encodeStateDict';
  if (!isPlainObject(stateDict)) throw new TypeError(`${op}: argument 'stateDict' must be an object of tensors by name, got ${show(stateDict)}`);
  if (metadata !== undefined && !isPlainObject(metadata)) throw new TypeError(`${op}: argument 'metadata' must be an object of strings, got ${show(metadata)}`);
  const records = dict<TensorRecord>();
  for (const [name, t] of Object.entries(stateDict)) records[name] = tensorToRecord(t, name);
  // assigned into a prototype-less object, so a `__proto__` key stays a key
  return encodeSafetensors(records, Object.assign(dict<string>(), { format: 'pt' }, metadata));
}

/**
 * Safetensors bytes as a state dict of tensors (and the file's metadata); both objects have no
 * prototype. All or nothing: if any tensor cannot be made, those already made are freed.
 */
export function decodeStateDict(bytes: Uint8Array): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const { tensors: records, metadata } = decodeSafetensors(bytes);
  const tensors = dict<Tensor>();
  try {
    for (const [name, r] of Object.entries(records)) tensors[name] = recordToTensor(r, name);
  } catch (e) {
    for (const t of Object.values(tensors)) t._free('decodeStateDict failed on another tensor of the file');
    throw e;
  }
  return { tensors, metadata };
}

/** Node: writes a state dict to a `.safetensors` file (atomically). */
export async function saveSafetensors(path: string, stateDict: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  if (!isNode()) fail('saveSafetensors writes files and needs Node, Deno or Bun; use encodeStateDict in browsers');
  if (typeof path !== 'string' || path === '') throw new TypeError(`saveSafetensors: argument 'path' must be a non-empty string, got ${show(path)}`);
  const fs = await nodeImport<NodeFs>('node:fs/promises');
  const nodePath = await nodeImport<NodePath>('node:path');
  const bytes = encodeStateDict(stateDict, metadata);
  await fs.mkdir(nodePath.dirname(path), { recursive: true });
  const tmp = `${path}.partial-${Math.random().toString(36).slice(2, 8)}`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, path);
}

/** The largest file loadSafetensors reads: wasm32 memory holds at most 4 GiB. */
const MAX_FILE = 4 * 1024 ** 3 - 1;

/**
 * Node: reads a `.safetensors` file as a state dict. Only regular files are read (a link to
 * /dev/zero or a FIFO is refused before reading), and never past the size they had when opened.
 */
export async function loadSafetensors(path: string): Promise<{ tensors: Record<string, Tensor>; metadata: Record<string, string> }> {
  if (!isNode()) fail('loadSafetensors reads files and needs Node, Deno or Bun; use decodeStateDict in browsers');
  if (typeof path !== 'string' || path === '') throw new TypeError(`loadSafetensors: argument 'path' must be a non-empty string, got ${show(path)}`);
  const bytes = await readLocal(path, { module: 'safetensors', maxBytes: MAX_FILE });
  try {
    return decodeStateDict(bytes);
  } catch (e) {
    throw new Error(`${(e as Error).message} (in ${path})`);
  }
}
