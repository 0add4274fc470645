// A static file server for built apps (a `vite build` output), as a production host would serve
// them: real MIME types (`application/wasm`, so streaming compilation works), optional COOP/COEP
// (cross-origin isolation, which threaded wasm needs), and extra directories mounted at URL
// prefixes (the dataset files a page is pointed at). No directory listings, no path escapes.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  // the IDX files stay gzip bytes on the wire; the page inflates them (DecompressionStream)
  '.gz': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

/**
 * @param {{ root: string, isolated?: boolean, mounts?: Record<string, string> }} opts
 *   `mounts`: URL prefix (e.g. `/data/`) → directory.
 * @returns {Promise<{ url: string, requests: string[], close(): Promise<void> }>}
 */
export async function serveStatic({ root, isolated = false, mounts = {} }) {
  /** @type {string[]} */
  const requests = [];
  const server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(pathname);
    let base = root;
    let rel = pathname;
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (pathname.startsWith(prefix)) {
        base = dir;
        rel = pathname.slice(prefix.length - 1);
        break;
      }
    }
    const file = path.join(base, rel.endsWith('/') ? `${rel}index.html` : rel);
    const headers = {
      ...(isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
      'Cache-Control': 'no-store',
    };
    try {
      if (!file.startsWith(path.resolve(base) + path.sep)) throw new Error('outside the root');
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[/** @type {keyof TYPES} */ (path.extname(file))] ?? 'application/octet-stream', 'Content-Length': st.size });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}
