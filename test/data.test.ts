// FashionMNIST and its loaders against the real dataset (Debian's dataset-fashion-mnist).
// Expected numbers come from NumPy, independently of ferrograd:
//   /usr/bin/python3 scripts/fixtures/fashion_mnist_reference.py
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arange, manualSeed, memory, scope, type Tensor } from 'ferrograd';
import { FASHION_MNIST_FILES, FashionMNIST, type DownloadProgress } from '../ts/data/index.js';
import { gunzipWeb } from '../ts/data/idx.js';
import { epochSeed, permutation } from '../ts/data/random.js';
import { DEBIAN_DIR, NAMES, debianRaw, gzip, idxImages, idxLabels, image, label, sum } from './helpers/data_idx.js';
import { cutOff, serve, type TestServer } from './helpers/data_server.js';

const tmp = mkdtempSync(join(tmpdir(), 'ferrograd-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
/** A fresh directory under the test's temp dir. */
function dir(name: string): string {
  const d = join(tmp, `${name}-${++dirs}`);
  mkdirSync(d, { recursive: true });
  return d;
}

const rawTrainImages = debianRaw(NAMES.trainImages);
const rawTrainLabels = debianRaw(NAMES.trainLabels);
const rawValImages = debianRaw(NAMES.valImages);
const rawValLabels = debianRaw(NAMES.valLabels);

describe('FashionMNIST from the system copy', () => {
  const data = new FashionMNIST({ batchSize: 256, cacheDir: join(tmp, 'empty-cache'), download: false, seed: 42 });
  beforeAll(() => data.load());

  it('reads and verifies the official files', () => {
    expect(data.sources.trainImages).toBe(`${DEBIAN_DIR}/${NAMES.trainImages}.gz`);
    expect(data.sources.valLabels).toBe(`${DEBIAN_DIR}/${NAMES.valLabels}.gz`);
    const train = data.train!;
    const val = data.val!;
    expect([train.count, val.count]).toEqual([60000, 10000]);
    expect(sum(train.images.subarray(0, 784))).toBe(76247);
    expect(Array.from(train.images.subarray(14 * 28, 15 * 28))).toEqual([0, 0, 1, 4, 6, 7, 2, 0, 0, 0, 0, 0, 237, 226, 217, 223, 222, 219, 222, 221, 216, 223, 229, 215, 218, 255, 77, 0]);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(sum(train.images.subarray(59999 * 784))).toBe(16684);
    expect(train.labels[59999]).toBe(5);
    expect(sum(val.images.subarray(0, 784))).toBe(33456);
    expect(Array.from(val.labels.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    expect(sum(train.images)).toBe(3431114169);
    expect(sum(val.images)).toBe(573469082);
    const counts = new Array<number>(10).fill(0);
    for (const l of train.labels) counts[l]!++;
    expect(counts).toEqual(new Array(10).fill(6000));
    // and the same bytes as an independent reader of the same files
    expect(Buffer.from(val.images).equals(rawValImages.subarray(16))).toBe(true);
    expect(Buffer.from(train.labels).equals(rawTrainLabels.subarray(8))).toBe(true);
  });

  it('validation batches: [B, 1, 28, 28] pixels/255 in file order, int64 labels, the last batch partial', () => {
    const loader = data.valDataloader();
    expect(loader.length).toBe(40);
    let n = 0;
    let seen = 0;
    for (const [X, y] of loader) {
      const B = X.shape[0]!;
      expect(X.shape).toEqual([B, 1, 28, 28]);
      expect(y.shape).toEqual([B]);
      expect(y.dtype).toBe('int64');
      if (n === 0) {
        expect(B).toBe(256);
        const x = X.dataSync();
        const want = image(rawValImages, 0);
        for (let k = 0; k < 784; k++) expect(x[k]).toBe(Math.fround(want[k]! / 255));
        let s = 0;
        for (let i = 0; i < 256; i++) s += sum(image(rawValImages, i));
        expect(X.sum().item()).toBeCloseTo(s / 255, 0);
        expect(X.min().item()).toBe(0);
        expect(X.max().item()).toBe(1);
        expect(Array.from(y.dataSync().subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
      }
      const labels = Array.from(y.dataSync());
      expect(labels).toEqual(Array.from({ length: B }, (_, i) => label(rawValLabels, seen + i)));
      seen += B;
      n++;
      if (n === 40) expect(B).toBe(10000 - 39 * 256);
    }
    expect([n, seen]).toEqual([40, 10000]);
  });

  it('resizes on the fly with bilinear interpolation (96 and 224)', () => {
    const firstTrain = { images: data.train!.images.subarray(0, 784 * 3), labels: data.train!.labels.subarray(0, 3) };
    const d96 = FashionMNIST.fromArrays({ train: firstTrain, val: firstTrain }, { resize: 96, batchSize: 2 });
    expect(d96.resize).toEqual([96, 96]);
    const [X] = d96.valDataloader()[Symbol.iterator]().next().value!;
    expect(X.shape).toEqual([2, 1, 96, 96]);
    const img = X.at(0).at(0);
    expect(img.sum().item()).toBeCloseTo(3513.26297998366, 2);
    expect(img.at(48).at(48).item()).toBeCloseTo(0.8782662717864923, 5);
    expect(img.at(50).at(10).item()).toBeCloseTo(0.008123978758169923, 6);

    const d224 = new FashionMNIST({ resize: 224, batchSize: 4 });
    d224.val = data.val;
    const loader = d224.valDataloader();
    const it = loader[Symbol.iterator]();
    const [X224, y224] = it.next().value!;
    expect(X224.shape).toEqual([4, 1, 224, 224]);
    expect(y224.shape).toEqual([4]);
    expect(X224.at(0).sum().item()).toBeCloseTo(8396.8, 1);
    expect(X224.at(0).at(0).at(100).at(100).item()).toBeCloseTo(0.0013633578431372548, 6);
    const [X2] = it.next().value!;
    expect(X2.shape).toEqual([4, 1, 224, 224]);
    it.return?.();
    // a training batch at 96 (d2l's AlexNet/ResNet setting)
    const train96 = new FashionMNIST({ resize: 96, batchSize: 128, seed: 1 });
    train96.train = data.train;
    const [Xt, yt] = train96.trainDataloader()[Symbol.iterator]().next().value!;
    expect(Xt.shape).toEqual([128, 1, 96, 96]);
    expect(yt.shape).toEqual([128]);
    expect(train96.trainDataloader().length).toBe(469);
  });

  it('shuffles with a new permutation every epoch, reproducibly for a seed', () => {
    // the permutation algorithm, reimplemented in Python by the reference script, gives the same
    expect(epochSeed(42, 0)).toBe(376285356);
    expect(Array.from(permutation(60000, epochSeed(42, 0)).subarray(0, 8))).toEqual([48471, 51596, 3258, 32452, 34925, 21736, 3530, 44806]);
    expect(Array.from(permutation(60000, epochSeed(42, 1)).subarray(0, 8))).toEqual([40083, 456, 30739, 20187, 25933, 37223, 2680, 36488]);
    expect(Array.from(permutation(10, 12345))).toEqual([5, 2, 3, 0, 7, 6, 9, 8, 1, 4]);

    const epochOrder = (d: FashionMNIST): number[] => {
      const [X, y] = d.trainDataloader()[Symbol.iterator]().next().value!;
      return scope(() => Array.from(X.sum([1, 2, 3]).dataSync(), (s: number, i: number) => Math.round(s * 255) * 10 + y.dataSync()[i]!));
    };
    const a = new FashionMNIST({ batchSize: 8, seed: 42 });
    a.train = data.train;
    const a1 = epochOrder(a);
    const a2 = epochOrder(a);
    // image 48471 comes first in epoch 0 for seed 42
    const first = data.train!.images.subarray(48471 * 784, 48472 * 784);
    expect(a1[0]).toBe(sum(first) * 10 + data.train!.labels[48471]!);
    expect(a2).not.toEqual(a1);
    const b = new FashionMNIST({ batchSize: 8, seed: 42 });
    b.train = data.train;
    expect(epochOrder(b)).toEqual(a1);
    expect(epochOrder(b)).toEqual(a2);
    const c = new FashionMNIST({ batchSize: 8, seed: 43 });
    c.train = data.train;
    expect(epochOrder(c)).not.toEqual(a1);
  });

  it('an epoch visits every example once', () => {
    const d = FashionMNIST.fromArrays({ train: { images: data.train!.images.subarray(0, 784 * 1000), labels: data.train!.labels.subarray(0, 1000) }, val: data.val! }, { batchSize: 300, seed: 5 });
    const sums: number[] = [];
    const sizes: number[] = [];
    for (const [X] of d.trainDataloader()) {
      sizes.push(X.shape[0]!);
      sums.push(...scope(() => Array.from(X.sum([1, 2, 3]).dataSync(), (s) => Math.round(s * 255))));
    }
    expect(sizes).toEqual([300, 300, 300, 100]);
    const want = Array.from({ length: 1000 }, (_, i) => sum(data.train!.images.subarray(i * 784, (i + 1) * 784)));
    expect(sums).not.toEqual(want);
    expect([...sums].sort((p, q) => p - q)).toEqual([...want].sort((p, q) => p - q));
  });

  it('without a seed, follows manualSeed like PyTorch', () => {
    const order = (): number[] => {
      const d = new FashionMNIST({ batchSize: 16 });
      d.train = data.train;
      const [, y] = d.trainDataloader()[Symbol.iterator]().next().value!;
      return Array.from(y.dataSync());
    };
    manualSeed(3);
    const a = order();
    manualSeed(3);
    expect(order()).toEqual(a);
    manualSeed(4);
    expect(order()).not.toEqual(a);
  });

  it('frees each batch when the loader advances, so an epoch does not grow memory', () => {
    const d = new FashionMNIST({ batchSize: 500, resize: 32 });
    d.val = data.val;
    const loader = d.valDataloader();
    const before = memory().liveTensors;
    let first: Tensor | undefined;
    let peak = 0;
    for (const [X, y] of loader) {
      first ??= X;
      scope(() => X.mean().add(y.sum()).item());
      peak = Math.max(peak, memory().liveTensors - before);
    }
    expect(peak).toBeLessThanOrEqual(2);
    expect(memory().liveTensors).toBe(before);
    expect(() => first!.sum()).toThrow(/the data loader moved on to the next batch/);
  });

  it('keepBatches leaves batches to the caller; breaking out keeps the last batch', () => {
    const d = new FashionMNIST({ batchSize: 5000, keepBatches: true });
    d.val = data.val;
    const all = Array.from(d.valDataloader());
    expect(all.map(([X]) => X.shape[0])).toEqual([5000, 5000]);
    expect(all[0]![1].dataSync()[0]).toBe(9);
    const e = new FashionMNIST({ batchSize: 100 });
    e.val = data.val;
    let kept: Tensor | undefined;
    for (const [, y] of e.valDataloader()) {
      kept = y;
      break;
    }
    expect(kept!.dataSync()[1]).toBe(2);
  });

  it('textLabels, limits, idempotent load and early use', async () => {
    expect(data.textLabels([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual(['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']);
    expect(data.textLabels(arange(3, 5))).toEqual(['dress', 'coat']);
    expect(() => data.textLabels([10])).toThrow('fashion_mnist: textLabels: label 10 at index 0 is not a class index 0..9');
    const images = data.train!.images;
    await data.load();
    expect(data.train!.images).toBe(images);
    const small = new FashionMNIST({ trainLimit: 1000, valLimit: 100, batchSize: 64, download: false, cacheDir: join(tmp, 'empty-cache') });
    expect(() => small.trainDataloader()).toThrow(/the data is not loaded yet; call `await data.load\(\)`/);
    await small.load();
    expect([small.train!.count, small.val!.count]).toEqual([1000, 100]);
    expect([small.trainDataloader().length, small.valDataloader().length]).toEqual([16, 2]);
    expect(() => new FashionMNIST({ batchSize: 0 })).toThrow('fashion_mnist: batchSize must be a positive integer, got 0');
    expect(() => new FashionMNIST({ resize: [96, 0] })).toThrow(/resize must be a positive integer/);
  });

  it('fromIdx takes the files’ bytes (browser file inputs) and can verify them', async () => {
    const files = Object.fromEntries(Object.entries(NAMES).map(([k, name]) => [k, new Uint8Array(readFileSync(`${DEBIAN_DIR}/${name}.gz`))])) as Record<keyof typeof NAMES, Uint8Array>;
    const d = await FashionMNIST.fromIdx(files, { verify: true });
    expect(d.val!.count).toBe(10000);
    expect(sum(d.val!.images.subarray(0, 784))).toBe(33456);
    // DecompressionStream (browsers) inflates to the same bytes
    const web = await gunzipWeb({ module: 'fashion_mnist', file: 'x.gz' }, files.valImages);
    expect(Buffer.from(web).equals(rawValImages)).toBe(true);
    await expect(gunzipWeb({ module: 'fashion_mnist', file: 'x.gz' }, files.valImages.subarray(0, 1000))).rejects.toThrow(/fashion_mnist: x.gz is truncated \(or corrupt\)/);
  });
});

describe('corrupt and truncated files give clear errors', () => {
  const load = (root: string, extra: Record<string, unknown> = {}): Promise<void> => new FashionMNIST({ root, cacheDir: dir('cache'), download: false, ...extra }).load();
  const put = (root: string, name: string, bytes: Uint8Array): string => {
    writeFileSync(join(root, name), bytes);
    return join(root, name);
  };

  it('a truncated image file names the file and the byte counts', async () => {
    const root = dir('root');
    const p = put(root, `${NAMES.valImages}.gz`, gzip(Buffer.concat([rawValImages.subarray(0, 16), rawValImages.subarray(16, 16 + 1234)])));
    await expect(load(root)).rejects.toThrow(`fashion_mnist: ${p} is truncated: header says 10000 images of 28x28 (7840000 bytes) but 1234 bytes follow`);
  });

  it('a truncated raw label file', async () => {
    const root = dir('root');
    const p = put(root, NAMES.trainLabels, rawTrainLabels.subarray(0, 8 + 59000));
    await expect(load(root)).rejects.toThrow(`fashion_mnist: ${p} is truncated: header says 60000 labels (60000 bytes) but 59000 bytes follow`);
  });

  it('a gzip stream cut short, or damaged', async () => {
    const gz = readFileSync(`${DEBIAN_DIR}/${NAMES.trainImages}.gz`);
    const root = dir('root');
    const p = put(root, `${NAMES.trainImages}.gz`, gz.subarray(0, 100_000));
    await expect(load(root)).rejects.toThrow(`fashion_mnist: ${p} is truncated (or corrupt): its gzip stream ends early after 100000 compressed bytes`);
    const bad = Buffer.from(readFileSync(`${DEBIAN_DIR}/${NAMES.trainLabels}.gz`));
    bad[bad.length - 6]! ^= 0xff; // inside the CRC-32 trailer
    const root2 = dir('root');
    const p2 = put(root2, `${NAMES.trainLabels}.gz`, bad);
    await expect(load(root2)).rejects.toThrow(`fashion_mnist: ${p2} is corrupt: it could not be decompressed as gzip (incorrect data check)`);
  });

  it('wrong magic numbers, label ranges, mismatched counts, extra bytes and HTML pages', async () => {
    let root = dir('root');
    let p = put(root, NAMES.trainImages, rawTrainLabels);
    await expect(load(root)).rejects.toThrow(`fashion_mnist: ${p} is not an IDX image file: magic number 0x00000801, expected 0x00000803 (an IDX file with 1 dims: is it the wrong file of the pair?)`);
    root = dir('root');
    const labels = Buffer.from(rawTrainLabels);
    labels[8 + 5] = 12;
    p = put(root, NAMES.trainLabels, labels);
    await expect(load(root)).rejects.toThrow(`fashion_mnist: ${p} is corrupt: label 12 at index 5 is outside 0..9`);
    root = dir('root');
    const pi = put(root, NAMES.valImages, idxImages(rawValImages.subarray(16, 16 + 784 * 50)));
    const pl = put(root, NAMES.valLabels, idxLabels(rawValLabels.subarray(8, 8 + 49)));
    await expect(load(root)).rejects.toThrow(`fashion_mnist: ${pi} has 50 images but ${pl} has 49 labels`);
    root = dir('root');
    p = put(root, NAMES.trainLabels, Buffer.concat([rawTrainLabels, Buffer.from([1, 2])]));
    await expect(load(root)).rejects.toThrow(`fashion_mnist: ${p} is corrupt: header says 60000 labels (60000 bytes) but 60002 bytes follow (2 extra)`);
    root = dir('root');
    p = put(root, NAMES.trainImages, Buffer.from('<html><body>404 Not Found</body></html>'));
    await expect(load(root)).rejects.toThrow(/is not an IDX image file: magic number 0x3c68746d, expected 0x00000803 \(it looks like an HTML or XML page/);
  });

  it('a gzip bomb stops at the size its header gives, and a link to /dev/zero is never read', async () => {
    // a label header for 1000 labels, then 64 MiB of zeros: 64 KiB compressed
    const bomb = gzip(Buffer.concat([rawValLabels.subarray(0, 4), Buffer.from([0, 0, 0x03, 0xe8]), Buffer.alloc(64 << 20)]));
    expect(bomb.length).toBeLessThan(1 << 20);
    let root = dir('root');
    let p = put(root, `${NAMES.valLabels}.gz`, bomb);
    const t0 = Date.now();
    await expect(load(root)).rejects.toThrow(new RegExp(`^fashion_mnist: ${p.replace(/[.]/g, '\\.')} is corrupt: it inflates to more than 1008 bytes \\(its header gives the file's size as 1008 bytes; stopped after \\d+\\): a gzip bomb or a damaged header$`));
    // a header claiming more than any real file: refused from the header alone
    root = dir('root');
    p = put(root, `${NAMES.trainImages}.gz`, gzip(Buffer.concat([rawTrainImages.subarray(0, 4), Buffer.from([0x7f, 0xff, 0xff, 0xff]), rawTrainImages.subarray(8, 16), Buffer.alloc(1 << 16)])));
    await expect(load(root)).rejects.toThrow(`fashion_mnist: ${p} is corrupt: its header says 2147483647 images of 28x28 (1683627179248 bytes), over the 268435456-byte limit for an IDX file`);
    root = dir('root');
    p = join(root, NAMES.trainLabels);
    symlinkSync('/dev/zero', p);
    await expect(load(root)).rejects.toThrow(`fashion_mnist: ${p} is a character device, not a regular file (a link to /dev/zero or a pipe?); it was not read`);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('verify: true catches changed pixels that keep the structure', async () => {
    const root = dir('root');
    const changed = Buffer.from(rawValImages);
    changed[16 + 400] = (changed[16 + 400]! + 1) & 0xff;
    const p = put(root, NAMES.valImages, changed);
    await expect(load(root, { verify: true })).rejects.toThrow(
      `fashion_mnist: checksum mismatch for ${p}: the SHA-256 of its IDX content is`,
    );
    await expect(load(root, { verify: true })).rejects.toThrow(`expected ${FASHION_MNIST_FILES.valImages.sha256} (official t10k-images-idx3-ubyte)`);
    // own files (subsets) load without verification
    const sub = dir('root');
    put(sub, NAMES.valImages, idxImages(rawValImages.subarray(16, 16 + 784 * 50)));
    put(sub, NAMES.valLabels, idxLabels(rawValLabels.subarray(8, 8 + 50)));
    const d = new FashionMNIST({ root: sub, cacheDir: dir('cache'), download: false });
    await d.load();
    expect(d.val!.count).toBe(50);
    expect(d.sources.valImages).toBe(join(sub, NAMES.valImages));
  });

  it('nothing found and download off', async () => {
    const root = dir('root');
    const cache = dir('cache');
    await expect(new FashionMNIST({ root, cacheDir: cache, systemDir: null, download: false }).load()).rejects.toThrow(
      `fashion_mnist: train-images-idx3-ubyte(.gz) was not found in ${root}, ${cache}, and download is off`,
    );
  });
});

describe('downloads from the mirrors (a local server)', () => {
  let server: TestServer;
  const gz = Object.fromEntries(Object.values(NAMES).map((n) => [n, new Uint8Array(readFileSync(`${DEBIAN_DIR}/${n}.gz`))])) as Record<string, Uint8Array>;
  const changed = Buffer.from(rawValImages);
  changed[16 + 1000]! ^= 0x01;
  beforeAll(async () => {
    const routes: Record<string, Parameters<typeof serve>[0][string]> = {};
    for (const [name, bytes] of Object.entries(gz)) routes[`/ok/${name}.gz`] = bytes;
    const t10k = gz[NAMES.valImages]!;
    routes[`/corrupt/${NAMES.valImages}.gz`] = gzip(changed);
    routes[`/truncated/${NAMES.valImages}.gz`] = t10k.subarray(0, 2_000_000);
    routes[`/cut/${NAMES.valImages}.gz`] = cutOff(t10k, 1_000_000);
    server = await serve(routes);
  });
  afterAll(() => server.close());

  /** A root holding the training files, so a test downloads only the t10k ones. */
  function trainRoot(): string {
    const root = dir('root');
    for (const n of [NAMES.trainImages, NAMES.trainLabels]) symlinkSync(`${DEBIAN_DIR}/${n}.gz`, join(root, `${n}.gz`));
    return root;
  }

  it('downloads all four files with progress, verifies and caches them; the cache is used next time', async () => {
    const cacheDir = dir('cache');
    const events: DownloadProgress[] = [];
    const d = new FashionMNIST({ cacheDir, systemDir: null, mirrors: [`${server.url}/missing/`, `${server.url}/ok`], onProgress: (p) => events.push({ ...p }) });
    await d.load();
    expect(d.sources.valImages).toBe(`${server.url}/ok/${NAMES.valImages}.gz`);
    expect(sum(d.val!.images.subarray(0, 784))).toBe(33456);
    expect(d.train!.count).toBe(60000);
    for (const [name, bytes] of Object.entries(gz)) {
      const mine = events.filter((e) => e.file === `${name}.gz`);
      expect(mine.length, name).toBeGreaterThan(1);
      expect(mine.every((e) => e.total === bytes.length)).toBe(true);
      expect(mine.map((e) => e.loaded)).toEqual([...mine.map((e) => e.loaded)].sort((a, b) => a - b));
      expect(mine.at(-1)!.loaded).toBe(bytes.length);
      expect(Buffer.from(readFileSync(join(cacheDir, `${name}.gz`))).equals(Buffer.from(bytes))).toBe(true);
    }
    expect(server.requests).toContain(`/missing/${NAMES.trainImages}.gz`);
    expect(readdirSync(cacheDir).sort()).toEqual(Object.keys(gz).map((n) => `${n}.gz`).sort());

    const requests = server.requests.length;
    const again = new FashionMNIST({ cacheDir, systemDir: null, mirrors: [`${server.url}/ok/`] });
    await again.load();
    expect(server.requests.length).toBe(requests);
    expect(again.sources.trainImages).toBe(join(cacheDir, `${NAMES.trainImages}.gz`));
    expect(Buffer.from(again.val!.images).equals(Buffer.from(d.val!.images))).toBe(true);
  });

  it('a checksum mismatch is an error and nothing is cached', async () => {
    const cacheDir = dir('cache');
    const d = new FashionMNIST({ root: trainRoot(), cacheDir, systemDir: null, mirrors: [`${server.url}/corrupt/`], quiet: true });
    await expect(d.load()).rejects.toThrow(`checksum mismatch for ${server.url}/corrupt/${NAMES.valImages}.gz: the SHA-256 of its IDX content is`);
    await expect(d.load()).rejects.toThrow(/it was not cached/);
    expect(readdirSync(cacheDir)).toEqual([]);
    expect(d.val).toBeUndefined();
  });

  it('a truncated file or a dropped connection is an error and nothing is cached', async () => {
    const cacheDir = dir('cache');
    const root = trainRoot();
    const t = new FashionMNIST({ root, cacheDir, systemDir: null, mirrors: [`${server.url}/truncated/`], quiet: true });
    await expect(t.load()).rejects.toThrow(`${server.url}/truncated/${NAMES.valImages}.gz is truncated (or corrupt): its gzip stream ends early after 2000000 compressed bytes`);
    const c = new FashionMNIST({ root, cacheDir, systemDir: null, mirrors: [`${server.url}/cut/`], quiet: true });
    await expect(c.load()).rejects.toThrow(new RegExp(`download of ${server.url}/cut/${NAMES.valImages}.gz (broke off after|is truncated: received) \\d+`));
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('in a browser (no node:fs): downloads from URLs, inflates with DecompressionStream, caches nothing', async () => {
    const versions = Object.getOwnPropertyDescriptor(process, 'versions')!;
    Object.defineProperty(process, 'versions', { ...versions, value: { ...process.versions, node: undefined } });
    let d: FashionMNIST;
    const before = server.requests.length;
    try {
      d = new FashionMNIST({ mirrors: [`${server.url}/ok/`], batchSize: 100 });
      await d.load();
    } finally {
      Object.defineProperty(process, 'versions', versions);
    }
    // under Node it would have found the system copy; here all four came over HTTP
    expect(server.requests.slice(before)).toEqual(Object.values(NAMES).map((n) => `/ok/${n}.gz`));
    expect(d.sources.trainImages).toBe(`${server.url}/ok/${NAMES.trainImages}.gz`);
    expect(sum(d.val!.images.subarray(0, 784))).toBe(33456);
    expect(d.trainDataloader().length).toBe(600);
  });

  it('explicit urls come first; every failure is listed', async () => {
    const cacheDir = dir('cache');
    const urls = { valImages: `${server.url}/ok/${NAMES.valImages}.gz`, valLabels: `${server.url}/ok/${NAMES.valLabels}.gz` };
    const d = new FashionMNIST({ root: trainRoot(), cacheDir, systemDir: null, urls, mirrors: [], quiet: true });
    await d.load();
    expect(d.sources.valLabels).toBe(urls.valLabels);
    const e = new FashionMNIST({ root: trainRoot(), cacheDir: dir('cache'), systemDir: null, mirrors: [`${server.url}/nope/`, `${server.url}/corrupt/`], quiet: true });
    const err = await e.load().catch((x: Error) => x);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`fashion_mnist: ${NAMES.valImages} was not found in`);
    expect((err as Error).message).toContain(`could not be downloaded:\n  - ${server.url}/nope/${NAMES.valImages}.gz answered HTTP 404 Not Found\n  - checksum mismatch for ${server.url}/corrupt/`);
  });
});
