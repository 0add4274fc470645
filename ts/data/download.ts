/**
 * Downloads with progress through `fetch` (browsers, Deno, Bun, Node ≥ 18), reporting every chunk
 * and refusing a body shorter than its `Content-Length`.
 * @module
 */

/** Progress of one file: bytes received so far and the total when the server sent it. */
export interface DownloadProgress {
  file: string;
  loaded: number;
  total?: number;
}

/** Fetches `url` into memory. `file` names it in progress reports and errors. */
export async function downloadBytes(url: string, file: string, onProgress?: (p: DownloadProgress) => void, signal?: AbortSignal): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, signal ? { signal } : {});
  } catch (e) {
    throw new Error(`cannot reach ${url}: ${describe(e)}`);
  }
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  // with Content-Encoding the header counts compressed bytes while the body arrives decoded
  const lengthHeader = res.headers.get('content-length');
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const total = lengthHeader !== null && !encoded && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const report = (loaded: number): void => onProgress?.(total === undefined ? { file, loaded } : { file, loaded, total });
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    report(bytes.length);
    return bytes;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  report(0);
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (e) {
      throw new Error(`download of ${url} broke off after ${loaded}${total === undefined ? '' : ` of ${total}`} bytes: ${describe(e)}`);
    }
    if (step.done) break;
    chunks.push(step.value);
    loaded += step.value.length;
    report(loaded);
  }
  if (total !== undefined && loaded !== total) {
    throw new Error(`download of ${url} is truncated: received ${loaded} of the ${total} bytes the server announced`);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function describe(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string; code?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return `${err.message ?? String(e)}${cause ? ` (${cause})` : ''}`;
}
