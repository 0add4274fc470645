// A local HTTP server standing in for the dataset mirrors (the real ones are unreachable here).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a path answers: bytes (sent with their Content-Length), or a custom handler. */
export type Route = Uint8Array | ((req: IncomingMessage, res: ServerResponse) => void);

export interface TestServer {
  url: string;
  /** Paths requested so far. */
  requests: string[];
  close(): Promise<void>;
}

export async function serve(routes: Record<string, Route>): Promise<TestServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const route = routes[path];
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } else if (typeof route === 'function') {
      route(req, res);
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': route.length });
      // several writes, so clients see progress in chunks
      const step = 1 << 16;
      for (let at = 0; at < route.length; at += step) res.write(route.subarray(at, at + step));
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Announces `bytes.length` but sends only the first `sent` bytes, then drops the connection. */
export function cutOff(bytes: Uint8Array, sent: number): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    res.write(bytes.subarray(0, sent), () => res.destroy());
  };
}
