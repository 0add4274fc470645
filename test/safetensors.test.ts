import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromArray, manualSeed, memory, nn, randn, tensor } from 'ferrograd';
import {
  decodeSafetensors,
  decodeStateDict,
  encodeSafetensors,
  encodeStateDict,
  floatToHalf,
  halfToFloat,
  loadSafetensors,
  recordToFloat32,
  saveSafetensors,
  type TensorRecord,
} from '../ts/io/safetensors.js';

const FIXTURE = new URL('./fixtures/data/python_state_dict.safetensors', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'ferrograd-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The tensors scripts/fixtures/make_safetensors.py writes, built here independently. */
function fixtureRecords(): Record<string, TensorRecord> {
  return {
    'net.0.weight': { dtype: 'F32', shape: [2, 3, 2, 2], data: Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3) },
    'net.0.bias': { dtype: 'F32', shape: [2], data: Float32Array.of(0.25, -1.5) },
    'net.1.weight': { dtype: 'F32', shape: [2], data: Float32Array.of(1, 1) },
    'net.1.bias': { dtype: 'F32', shape: [2], data: Float32Array.of(0, 0) },
    'net.1.running_mean': { dtype: 'F32', shape: [2], data: Float32Array.of(0.1, 0.2) },
    'net.1.running_var': { dtype: 'F32', shape: [2], data: Float32Array.of(0.9, 1.1) },
    'net.1.num_batches_tracked': { dtype: 'I64', shape: [], data: BigInt64Array.of(7n) },
    // numpy float16 bit patterns of [1, -2.5, 65504, 6e-8, 0.1], printed by the script
    half: { dtype: 'F16', shape: [5], data: Uint16Array.of(15360, 49408, 31743, 1, 11878) },
    double: { dtype: 'F64', shape: [2], data: Float64Array.of(Math.PI, Math.E) },
    ints: { dtype: 'I32', shape: [2], data: Int32Array.of(-1, 2 ** 31 - 1) },
    bytes: { dtype: 'U8', shape: [3], data: Uint8Array.of(1, 2, 3) },
  };
}
const FIXTURE_META = { format: 'pt', producer: 'scripts/fixtures/make_safetensors.py' };

/** A file from a header object and a data section, for the validation cases. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors files written by Python', () => {
  const bytes = new Uint8Array(readFileSync(FIXTURE));

  it('decodes every dtype, shape, value and the metadata', () => {
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual(FIXTURE_META);
    const want = fixtureRecords();
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(want).sort());
    for (const [name, r] of Object.entries(want)) {
      expect(tensors[name]!.dtype, name).toBe(r.dtype);
      expect(tensors[name]!.shape, name).toEqual(r.shape);
      expect(Array.from(tensors[name]!.data as ArrayLike<number | bigint>), name).toEqual(Array.from(r.data as ArrayLike<number | bigint>));
    }
    // numpy's float16 → float32 of the same values
    expect(Array.from(recordToFloat32(tensors.half!))).toEqual([1, -2.5, 65504, 5.960464477539063e-8, 0.0999755859375]);
  });

  it('encodes the same tensors byte for byte as the reference writer', () => {
    // the fixture script checks its output against safetensors.numpy.save_file when installed
    expect(Buffer.from(encodeSafetensors(fixtureRecords(), FIXTURE_META)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('loads as a state dict with PyTorch names and an int64 num_batches_tracked', async () => {
    const { tensors } = await loadSafetensors(FIXTURE.pathname);
    expect(tensors['net.0.weight']!.shape).toEqual([2, 3, 2, 2]);
    expect(tensors['net.0.weight']!.sum().item()).toBe(-(3 * 24) + 0.5 * 276);
    expect(tensors['net.1.num_batches_tracked']!.dtype).toBe('int64');
    expect(tensors['net.1.num_batches_tracked']!.shape).toEqual([]);
    expect(tensors['net.1.num_batches_tracked']!.item()).toBe(7);
    expect(tensors['net.1.running_var']!.toArray()).toEqual([Math.fround(0.9), Math.fround(1.1)]);
    expect(Array.from(tensors.double!.dataSync())).toEqual([Math.fround(Math.PI), Math.fround(Math.E)]);
  });
});

describe('safetensors round trips', () => {
  it('records of every dtype, including a scalar I64 and an empty tensor', () => {
    const records: Record<string, TensorRecord> = {
      ...fixtureRecords(),
      bf16: { dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0xc040) },
      mask: { dtype: 'BOOL', shape: [2, 2], data: Uint8Array.of(1, 0, 0, 1) },
      empty: { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
    };
    const bytes = encodeSafetensors(records, { note: 'round trip' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ note: 'round trip' });
    for (const [name, r] of Object.entries(records)) {
      expect(back.tensors[name]!.dtype).toBe(r.dtype);
      expect(back.tensors[name]!.shape).toEqual(r.shape);
      expect(back.tensors[name]!.data.constructor).toBe(r.data.constructor);
      expect(Array.from(back.tensors[name]!.data as ArrayLike<number | bigint>)).toEqual(Array.from(r.data as ArrayLike<number | bigint>));
    }
    expect(Array.from(recordToFloat32(back.tensors.bf16!))).toEqual([1, -3]);
  });

  it('a batch-norm state dict of tensors, through a file', async () => {
    manualSeed(0);
    const sd = {
      'net.0.weight': randn([6, 1, 5, 5]),
      'net.0.bias': randn([6]),
      'net.1.weight': randn([6]),
      'net.1.bias': randn([6]),
      'net.1.running_mean': randn([6]),
      'net.1.running_var': randn([6]).abs(),
      'net.1.num_batches_tracked': tensor(938, { dtype: 'int64' }),
    };
    const path = join(tmp, 'sub', 'lenet.safetensors');
    await saveSafetensors(path, sd, { epochs: '10' });
    const raw = decodeSafetensors(new Uint8Array(readFileSync(path)));
    expect(raw.metadata).toEqual({ format: 'pt', epochs: '10' });
    expect(raw.tensors['net.1.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], data: BigInt64Array.of(938n) });
    expect(raw.tensors['net.0.weight']!.dtype).toBe('F32');
    const { tensors } = await loadSafetensors(path);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(sd).sort());
    for (const [name, t] of Object.entries(sd)) {
      expect(tensors[name]!.shape, name).toEqual(t.shape);
      expect(tensors[name]!.dtype, name).toBe(t.dtype);
      expect(Array.from(tensors[name]!.dataSync()), name).toEqual(Array.from(t.dataSync()));
    }
  });

  it('state dicts in memory (the browser path)', () => {
    const sd = { w: fromArray([1, 2, 3, 4], [2, 2]), m: tensor([1, 0], { dtype: 'bool' }) };
    const { tensors, metadata } = decodeStateDict(encodeStateDict(sd));
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.w!.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensors.m!.dtype).toBe('bool');
    expect(tensors.m!.toArray()).toEqual([true, false]);
  });
});

describe('half precision conversion', () => {
  it('matches IEEE binary16, rounding to nearest even', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2.5)).toBe(49408);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // rounds up to infinity
    expect(floatToHalf(6e-8)).toBe(1); // smallest subnormal
    expect(floatToHalf(0.1)).toBe(11878);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(floatToHalf(NaN) & 0x7c00).toBe(0x7c00);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(1)).toBe(2 ** -24);
    for (let h = 0; h < 0x7c00; h += 37) expect(floatToHalf(halfToFloat(h))).toBe(h);
  });
});

describe('safetensors validation', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).buffer);

  it('rejects files shorter than the length prefix or a header past the end', () => {
    expect(() => decodeSafetensors(new Uint8Array(5))).toThrow('safetensors: the file is 5 bytes, too short for the 8-byte header length');
    const bytes = craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1));
    expect(() => decodeSafetensors(bytes.subarray(0, 20))).toThrow(/safetensors: the header length is \d+ bytes but only 12 bytes follow it/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(() => decodeSafetensors(huge)).toThrow(/over the 100000000-byte limit/);
  });

  it('rejects a header that is not a JSON object', () => {
    expect(() => decodeSafetensors(craft(null, undefined, '{"a": '))).toThrow(/safetensors: the header is not valid JSON/);
    expect(() => decodeSafetensors(craft(null, undefined, '[1, 2]'))).toThrow(/the header must be a JSON object/);
    expect(() => decodeSafetensors(craft({ __metadata__: { n: 1 } }))).toThrow("safetensors: metadata 'n' must be a string, got 1");
  });

  it('checks dtypes, shapes and data_offsets', () => {
    expect(() => decodeSafetensors(craft({ a: { dtype: 'I16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)))).toThrow(/tensor 'a' has dtype I16, which ferrograd does not read/);
    expect(() => decodeSafetensors(craft({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)))).toThrow(/tensor 'a' has an invalid shape \[-1\]/);
    expect(() => decodeSafetensors(craft({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, f32(5)))).toThrow(
      "safetensors: tensor 'a' is F32 [2, 3]: 6 elements × 4 bytes = 24 bytes, but its data_offsets [0, 20] span 20",
    );
    expect(() => decodeSafetensors(craft({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)))).toThrow(/past the end of the data \(4 bytes; truncated file\?\)/);
    expect(() => decodeSafetensors(craft({ a: { dtype: 'F32', shape: [1], data_offsets: [4] } }, f32(1)))).toThrow(/needs data_offsets \[begin, end\]/);
  });

  it('rejects overlapping, gapped and uncovered data', () => {
    const two = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    expect(() => decodeSafetensors(craft({ a: two, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)))).toThrow("safetensors: tensor 'b' (bytes 4..12) overlaps the previous tensor, which ends at 8");
    expect(() => decodeSafetensors(craft({ a: two, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, f32(4)))).toThrow("safetensors: bytes 8..12 of the data belong to no tensor (before 'b')");
    expect(() => decodeSafetensors(craft({ a: two }, f32(3)))).toThrow('safetensors: the tensors cover 8 bytes of data but the file has 12 after the header');
  });

  it('refuses to encode inconsistent records', () => {
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(new RangeError("encodeSafetensors: tensor 'a' has shape [3] (3 elements) but 2 values"));
    expect(() => encodeSafetensors({ a: { dtype: 'I64', shape: [1], data: new Float32Array(1) } })).toThrow(new TypeError("encodeSafetensors: tensor 'a' is I64 but its data is a Float32Array (expected BigInt64Array)"));
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } })).toThrow(/reserved for metadata/);
  });
});

describe('headers from untrusted files', () => {
  const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);
  const entry = (begin: number, n = 1): string => `{"dtype":"F32","shape":[${n}],"data_offsets":[${begin},${begin + 4 * n}]}`;
  /** Live tensors and handles: what a failed decode must leave as it found. */
  const live = (): number[] => [memory().liveTensors, memory().handles];

  it('a tensor named __proto__ is an ordinary key of a prototype-less record', () => {
    // JSON.stringify({ __proto__: ... }) would not write the key: the header is written by hand
    const bytes = craft(null, f32(1.5, -2, 3), `{"__proto__":${entry(0)},"constructor":${entry(4)},"a":${entry(8)},"__metadata__":{"__proto__":"m"}}`);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.getPrototypeOf(tensors)).toBeNull();
    expect(Object.keys(tensors).sort()).toEqual(['__proto__', 'a', 'constructor']);
    expect(tensors['__proto__']).toEqual({ dtype: 'F32', shape: [1], data: Float32Array.of(1.5) });
    expect(Array.from(tensors['constructor']!.data as Float32Array)).toEqual([-2]);
    expect('toString' in tensors).toBe(false);
    expect(Object.getPrototypeOf(metadata)).toBeNull();
    expect(Object.entries(metadata)).toEqual([['__proto__', 'm']]);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined(); // nothing leaked onto Object.prototype
    // as a state dict: Module.loadStateDict sees '__proto__' as an unexpected key, loads the rest
    const sd = decodeStateDict(bytes).tensors;
    expect(Object.getPrototypeOf(sd)).toBeNull();
    expect(sd['__proto__']!.toArray()).toEqual([1.5]);
    expect('__proto__' in sd && !('hasOwnProperty' in sd)).toBe(true);
    const lin = new nn.Linear(1, 1);
    const state = encodeStateDict(Object.assign(Object.create(null) as Record<string, never>, { weight: fromArray([0.5], [1, 1]), bias: fromArray([-4], [1]), ['__proto__']: fromArray([9], [1]) }));
    const loaded = decodeStateDict(state).tensors;
    expect(Object.keys(loaded).sort()).toEqual(['__proto__', 'bias', 'weight']);
    expect(lin.loadStateDict(loaded, false)).toEqual({ missingKeys: [], unexpectedKeys: ['__proto__'] });
    expect(lin.weight!.toArray()).toEqual([[0.5]]);
    expect(lin.bias!.toArray()).toEqual([-4]);
    expect(() => lin.loadStateDict(loaded)).toThrow('loadStateDict: missing keys [], unexpected keys [__proto__]');
  });

  it('rejects names that appear twice, at any level, even spelled with escapes', () => {
    expect(() => decodeSafetensors(craft(null, f32(1, 2), `{"a":${entry(0)},"b":${entry(4)},"a":${entry(0)}}`))).toThrow(
      "safetensors: the header names 'a' twice (JSON keeps only the last, so readers could disagree)",
    );
    expect(() => decodeSafetensors(craft(null, f32(1), `{"w":${entry(0)},"\u0077":${entry(0)}}`))).toThrow("safetensors: the header names 'w' twice");
    expect(() => decodeSafetensors(craft(null, f32(1), `{"__metadata__":{"k":"1","k":"2"},"a":${entry(0)}}`))).toThrow("safetensors: the header's '__metadata__' has the key 'k' twice");
    expect(() => decodeSafetensors(craft(null, f32(1), '{"a":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}'))).toThrow("safetensors: the header's 'a' has the key 'dtype' twice");
    // a string value equal to a key, or the same key in two objects, is no duplicate
    const ok = decodeSafetensors(craft(null, f32(1, 2), `{"__metadata__":{"a":"a","dtype":"x"},"a":${entry(0)},"b":${entry(4)}}`));
    expect(Object.keys(ok.tensors)).toEqual(['a', 'b']);
    expect(ok.metadata).toEqual({ a: 'a', dtype: 'x' });
  });

  it('each malformed field is named, and a file with a bad tensor makes no tensor at all', () => {
    const ok = `"ok":${entry(0)}`; // a valid tensor first: all or nothing
    const cases: [string, string, RegExp][] = [
      ['dtype missing', '{"shape":[1],"data_offsets":[4,8]}', /tensor 'bad' has no dtype \(got undefined\)/],
      ['dtype a number', '{"dtype":7,"shape":[1],"data_offsets":[4,8]}', /tensor 'bad' has no dtype \(got 7\)/],
      ['dtype unknown', '{"dtype":"F8_E4M3","shape":[1],"data_offsets":[4,5]}', /tensor 'bad' has dtype F8_E4M3, which ferrograd does not read/],
      ['dtype from Object.prototype', '{"dtype":"toString","shape":[1],"data_offsets":[4,8]}', /tensor 'bad' has dtype toString, which ferrograd does not read/],
      ['dtype __proto__', '{"dtype":"__proto__","shape":[1],"data_offsets":[4,8]}', /tensor 'bad' has dtype __proto__, which/],
      ['shape missing', '{"dtype":"F32","data_offsets":[4,8]}', /tensor 'bad' has no shape list \(got undefined\)/],
      ['shape a string', '{"dtype":"F32","shape":"1","data_offsets":[4,8]}', /tensor 'bad' has no shape list \(got "1"\)/],
      ['shape negative', '{"dtype":"F32","shape":[-1],"data_offsets":[4,8]}', /tensor 'bad' has an invalid shape \[-1\]: dims must be non-negative integers/],
      ['shape fractional', '{"dtype":"F32","shape":[0.5,2],"data_offsets":[4,8]}', /tensor 'bad' has an invalid shape \[0.5, 2\]/],
      ['shape of strings', '{"dtype":"F32","shape":["1"],"data_offsets":[4,8]}', /tensor 'bad' has an invalid shape \["1"\]/],
      ['shape overflowing', '{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[4,8]}', /tensor 'bad' has an invalid shape \[4294967296, 4294967296\]: .*safe product/],
      ['offsets missing', '{"dtype":"F32","shape":[1]}', /tensor 'bad' needs data_offsets \[begin, end\] of non-negative integers, got undefined/],
      ['offsets of one', '{"dtype":"F32","shape":[1],"data_offsets":[4]}', /needs data_offsets .* got \[4\]/],
      ['offsets negative', '{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}', /needs data_offsets .* got \[-4,0\]/],
      ['offsets strings', '{"dtype":"F32","shape":[1],"data_offsets":["4","8"]}', /needs data_offsets .* got \["4","8"\]/],
      ['offsets unsafe', '{"dtype":"F32","shape":[1],"data_offsets":[9007199254740993,9007199254740997]}', /needs data_offsets .* got \[9007199254740992,9007199254740996\]/],
      ['offsets reversed', '{"dtype":"F32","shape":[0],"data_offsets":[8,4]}', /tensor 'bad' has data_offsets \[8, 4\] that end before they begin/],
      ['offsets past the end', '{"dtype":"F32","shape":[2],"data_offsets":[4,12]}', /tensor 'bad' has data_offsets \[4, 12\] past the end of the data \(8 bytes/],
      ['size not numel × 4', '{"dtype":"F32","shape":[2],"data_offsets":[4,8]}', /tensor 'bad' is F32 \[2\]: 2 elements × 4 bytes = 8 bytes, but its data_offsets \[4, 8\] span 4/],
      ['overlap', '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}', /tensor '(bad|ok)' \(bytes 0..4\) overlaps the previous tensor, which ends at 4/],
      ['entry not an object', '[1,2]', /tensor 'bad' must be an object with dtype, shape and data_offsets, got \[1,2\]/],
    ];
    const before = live();
    for (const [what, bad, message] of cases) {
      const bytes = craft(null, f32(1, 2), `{${ok},"bad":${bad}}`);
      expect(() => decodeStateDict(bytes), what).toThrow(message);
      expect(live(), what).toEqual(before);
    }
    const meta: [string, RegExp][] = [
      ['[]', /'__metadata__' must be an object of strings, got \[\]/],
      ['"pt"', /'__metadata__' must be an object of strings, got "pt"/],
      ['{"epochs":10}', /metadata 'epochs' must be a string, got 10/],
      ['{"nested":{"a":"b"}}', /metadata 'nested' must be a string, got \{"a":"b"\}/],
    ];
    for (const [m, message] of meta) {
      expect(() => decodeStateDict(craft(null, f32(1), `{${ok},"__metadata__":${m}}`)), m).toThrow(message);
      expect(live(), m).toEqual(before);
    }
    // the header length itself: past the file, over the limit, or 2^64 - 1
    const len = (n: bigint): Uint8Array => {
      const b = new Uint8Array(24);
      new DataView(b.buffer).setBigUint64(0, n, true);
      return b;
    };
    expect(() => decodeStateDict(len(17n))).toThrow('safetensors: the header length is 17 bytes but only 16 bytes follow it (truncated file?)');
    expect(() => decodeStateDict(len(2n ** 64n - 1n))).toThrow('safetensors: the header length is 18446744073709551615 bytes, over the 100000000-byte limit');
    expect(live()).toEqual(before);
    // and a sound file of the same shape still decodes
    expect(decodeStateDict(craft(null, f32(1, 2), `{${ok},"bad":${entry(4)}}`)).tensors.bad!.toArray()).toEqual([2]);
  });

  it('round trips stay bitwise exact: NaN payloads, -0, subnormals, int extremes, odd names', () => {
    const nan = new Float32Array(new Uint32Array([0x7fc00001, 0xffa00000]).buffer);
    const records: Record<string, TensorRecord> = Object.assign(Object.create(null) as Record<string, TensorRecord>, {
      ['__proto__']: { dtype: 'F32', shape: [2, 3], data: Float32Array.of(nan[0]!, nan[1]!, -0, 1e-45, Infinity, -3.4028234663852886e38) },
      constructor: { dtype: 'F64', shape: [3], data: Float64Array.of(-0, 5e-324, NaN) },
      'ünï.cödé': { dtype: 'I64', shape: [2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n) },
      ' ': { dtype: 'BF16', shape: [1, 1], data: Uint16Array.of(0xffff) },
    });
    const bytes = encodeSafetensors(records, { ['__proto__']: 'meta' } as Record<string, string>);
    const back = decodeSafetensors(bytes);
    expect(Object.keys(back.tensors).sort()).toEqual([' ', '__proto__', 'constructor', 'ünï.cödé']);
    expect(back.metadata['__proto__']).toBe('meta');
    const raw = (d: TensorRecord['data']): number[] => Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    for (const name of Object.keys(records)) {
      expect(back.tensors[name]!.shape, name).toEqual(records[name]!.shape);
      expect(raw(back.tensors[name]!.data), name).toEqual(raw(records[name]!.data));
    }
    expect(new Uint32Array(back.tensors['__proto__']!.data.buffer)[0]).toBe(0x7fc00001);
    expect(Buffer.from(encodeSafetensors(back.tensors, back.metadata)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('saving checks names, records and metadata', () => {
    const one: TensorRecord = { dtype: 'U8', shape: [1], data: Uint8Array.of(1) };
    expect(() => encodeSafetensors({ '': one })).toThrow(new TypeError('encodeSafetensors: tensor names must be non-empty strings, got ""'));
    expect(() => encodeSafetensors(new Map([[3 as unknown as string, one]]))).toThrow(new TypeError('encodeSafetensors: tensor names must be non-empty strings, got 3'));
    expect(Buffer.from(encodeSafetensors(new Map([['a', one]]))).equals(Buffer.from(encodeSafetensors({ a: one })))).toBe(true);
    expect(() => encodeSafetensors({ a: { ...one, shape: [1.5] } })).toThrow(new RangeError('encodeSafetensors: tensor \'a\' has shape [1.5]: dims must be non-negative integers'));
    expect(() => encodeSafetensors({ a: { ...one, dtype: 'toString' as 'U8' } })).toThrow(/encodeSafetensors: tensor 'a' has dtype "toString"; supported: F64/);
    expect(() => encodeSafetensors({ a: null as unknown as TensorRecord })).toThrow(new TypeError("encodeSafetensors: tensor 'a' must be a record { dtype, shape, data }, got null"));
    expect(() => encodeSafetensors({ a: one }, { epochs: 10 as unknown as string })).toThrow(new TypeError("encodeSafetensors: metadata 'epochs' must be a string, got 10"));
    expect(() => encodeStateDict({ w: tensor([1]) }, 'pt' as unknown as Record<string, string>)).toThrow(new TypeError('encodeStateDict: argument \'metadata\' must be an object of strings, got "pt"'));
    expect(() => encodeSafetensors([] as unknown as Record<string, TensorRecord>)).toThrow(/argument 'tensors' must be an object \(or Map\) of records by name, got \[\]/);
  });

  it('loadSafetensors refuses devices, pipes and truncated files without hanging', async () => {
    const zero = join(tmp, 'zero.safetensors');
    symlinkSync('/dev/zero', zero);
    const t0 = Date.now();
    await expect(loadSafetensors(zero)).rejects.toThrow(`safetensors: ${zero} is a character device, not a regular file (a link to /dev/zero or a pipe?); it was not read`);
    const fifo = join(tmp, 'fifo.safetensors');
    execFileSync('mkfifo', [fifo]);
    await expect(loadSafetensors(fifo)).rejects.toThrow(`safetensors: ${fifo} is a FIFO, not a regular file`);
    expect(Date.now() - t0).toBeLessThan(2000);
    const full = encodeStateDict({ w: fromArray([1, 2, 3], [3]) });
    const cut = join(tmp, 'cut.safetensors');
    writeFileSync(cut, full.subarray(0, full.length - 4));
    await expect(loadSafetensors(cut)).rejects.toThrow(`safetensors: tensor 'w' has data_offsets [0, 12] past the end of the data (8 bytes; truncated file?) (in ${cut})`);
    await expect(loadSafetensors(join(tmp, 'missing.safetensors'))).rejects.toThrow(/ENOENT/);
  });
});
