/**
 * Node-side file access for datasets: finding files in a list of directories, reading them and
 * writing cache entries atomically. Builtins load lazily (see `runtime.ts`), so this module is
 * safe in a browser bundle; it is only called under Node, Deno or Bun.
 * @module
 */
import { MAX_IDX_BYTES } from './idx.js';
import { env, nodeImport, type NodeFs, type NodeOs, type NodePath } from '../runtime.js';

/** A file found on disk. */
export interface LocalFile {
  path: string;
  bytes: Uint8Array;
}

/** How {@link readLocal} reads: who is asking (for messages) and the most bytes to accept. */
export interface ReadLimits {
  /** Prefix of error messages, e.g. `fashion_mnist`. */
  module: string;
  /** A larger file is refused before it is read. */
  maxBytes: number;
}

const kindOf = (st: import('node:fs').Stats): string =>
  st.isDirectory() ? 'a directory' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'not a regular file';

/**
 * Reads a regular file of at most `maxBytes`, never more than its size said when opened: a link
 * to /dev/zero, a FIFO or a device is refused before it is read (and opened without blocking), a
 * file past the limit is refused from its size, and a file that grows while read is an error.
 * Errors of the file system itself (ENOENT...) are passed through with their `code`.
 */
export async function readLocal(path: string, limits: ReadLimits): Promise<Uint8Array> {
  const fs = await nodeImport<NodeFs>('node:fs/promises');
  const fsc = (await nodeImport<typeof import('node:fs')>('node:fs')).constants;
  const check = (st: import('node:fs').Stats): number => {
    if (!st.isFile()) throw new Error(`${limits.module}: ${path} is ${kindOf(st)}, not a regular file (a link to /dev/zero or a pipe?); it was not read`);
    if (st.size > limits.maxBytes) throw new Error(`${limits.module}: ${path} is ${st.size} bytes, over the ${limits.maxBytes}-byte limit for this file; it was not read`);
    return st.size;
  };
  check(await fs.stat(path));
  // O_NONBLOCK: if the path was swapped for a FIFO since stat, open must not wait for a writer
  const fh = await fs.open(path, fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0));
  try {
    const size = check(await fh.stat());
    const out = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(out, at, size - at, at);
      if (bytesRead === 0) return out.subarray(0, at); // it shrank: the parser reports the truncation
      at += bytesRead;
    }
    const { bytesRead } = await fh.read(new Uint8Array(1), 0, 1, size);
    if (bytesRead !== 0) throw new Error(`${limits.module}: ${path} grew past its ${size} bytes while it was read (is something writing it?)`);
    return out;
  } finally {
    await fh.close();
  }
}

/**
 * The first of `names` (e.g. `x.gz` then `x`) that exists in the first directory holding one;
 * torchvision's `<dir>/FashionMNIST/raw` layout is looked at too, so a PyTorch data folder works.
 * Files are read with {@link readLocal}'s limits (by default `fashion_mnist`'s: {@link MAX_IDX_BYTES}).
 */
export async function findLocal(dirs: string[], names: string[], subdirs: string[] = [], limits: ReadLimits = { module: 'fashion_mnist', maxBytes: MAX_IDX_BYTES }): Promise<LocalFile | undefined> {
  const path = await nodeImport<NodePath>('node:path');
  for (const dir of dirs) {
    for (const sub of ['', ...subdirs]) {
      for (const name of names) {
        const p = path.join(dir, sub, name);
        let bytes: Uint8Array;
        try {
          bytes = await readLocal(p, limits);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') continue;
          if (code === undefined) throw e;
          throw new Error(`${limits.module}: cannot read ${p}: ${(e as Error).message}`);
        }
        return { path: p, bytes };
      }
    }
  }
  return undefined;
}

/**
 * Writes `bytes` to `dir/name` through a temporary file and a rename, so a crash or a concurrent
 * reader never sees a partial file under the final name.
 */
export async function writeAtomic(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const fs = await nodeImport<NodeFs>('node:fs/promises');
  const path = await nodeImport<NodePath>('node:path');
  await fs.mkdir(dir, { recursive: true });
  const dest = path.join(dir, name);
  const tmp = `${dest}.partial-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, dest);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  return dest;
}

/**
 * The per-user cache: `$FERROGRAD_DATA/<name>`, else `$XDG_CACHE_HOME/ferrograd/<name>`, else
 * `~/.cache/ferrograd/<name>`.
 */
export async function defaultCacheDir(name: string): Promise<string> {
  const path = await nodeImport<NodePath>('node:path');
  const explicit = env('FERROGRAD_DATA');
  if (explicit) return path.join(explicit, name);
  const xdg = env('XDG_CACHE_HOME');
  if (xdg) return path.join(xdg, 'ferrograd', name);
  const os = await nodeImport<NodeOs>('node:os');
  return path.join(os.homedir(), '.cache', 'ferrograd', name);
}
