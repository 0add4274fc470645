/**
 * Node-side file access for datasets: finding files in a list of directories, reading them and
 * writing cache entries atomically. Builtins load lazily (see `runtime.ts`), so this module is
 * safe in a browser bundle; it is only called under Node, Deno or Bun.
 * @module
 */
import { env, nodeImport, type NodeFs, type NodeOs, type NodePath } from './runtime.js';

/** A file found on disk. */
export interface LocalFile {
  path: string;
  bytes: Uint8Array;
}

/**
 * The first of `names` (e.g. `x.gz` then `x`) that exists in the first directory holding one;
 * torchvision's `<dir>/FashionMNIST/raw` layout is looked at too, so a PyTorch data folder works.
 */
export async function findLocal(dirs: string[], names: string[], subdirs: string[] = []): Promise<LocalFile | undefined> {
  const fs = await nodeImport<NodeFs>('node:fs/promises');
  const path = await nodeImport<NodePath>('node:path');
  for (const dir of dirs) {
    for (const sub of ['', ...subdirs]) {
      for (const name of names) {
        const p = path.join(dir, sub, name);
        let bytes: Buffer;
        try {
          bytes = await fs.readFile(p);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') continue;
          throw new Error(`fashion_mnist: cannot read ${p}: ${(e as Error).message}`);
        }
        return { path: p, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
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
