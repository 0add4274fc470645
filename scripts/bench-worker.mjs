#!/usr/bin/env node
// `node scripts/bench-worker.mjs [--browser] [--no-write] [--rounds N] [--train N] [--batch N]`
//
// Overhead of training in a worker: d2l's LeNet on real Fashion-MNIST (Debian's files), same
// batch and data, on the calling thread (d2l.Trainer) vs in a worker (spawnTrainer), in Node
// (worker_threads) and with --browser also in headless Chromium (module Web Worker). Runs the
// built dist/ (npm run build:ts). Writes its section of docs/benchmarks.md unless --no-write.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { measure } from './bench-worker-core.mjs';
import { chromiumArgs, chromiumPath, FASHION_MNIST_DIR, isolationHeaders } from './chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const num = (f, d) => {
  const i = args.indexOf(f);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const opts = { rounds: num('--rounds', 5), train: num('--train', 6400), batch: num('--batch', 128), epochs: num('--epochs', 3), val: 1000 };
if (!existsSync(path.join(root, 'dist/node.js'))) {
  console.error('bench-worker: dist/ is missing; run `npm run build:ts` first');
  process.exit(1);
}

const results = [];
const load = [os.loadavg()[0]];
const fg = await import(pathToFileURL(path.join(root, 'dist/node.js')).href);
console.log(`Node ${process.version}: LeNet, batch ${opts.batch}, ${opts.train} images x ${opts.epochs} epochs, ${opts.rounds} interleaved rounds`);
results.push({ host: `Node ${process.version} (worker_threads)`, ...(await measure(fg, { systemDir: FASHION_MNIST_DIR }, opts)) });

if (args.includes('--browser')) {
  const { createServer } = await import('vite');
  const { chromium } = await import('playwright-core');
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'error',
    server: { port: 0, headers: isolationHeaders, fs: { allow: [root, FASHION_MNIST_DIR] } },
    optimizeDeps: { include: ['comlink', 'comlink/dist/esm/node-adapter.mjs'] },
  });
  await server.listen();
  const browser = await chromium.launch({ ...(chromiumPath ? { executablePath: chromiumPath } : {}), args: chromiumArgs });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(new URL('/scripts/bench-worker.html', server.resolvedUrls.local[0]).href);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 120_000 });
    const version = browser.version();
    console.log(`Chromium ${version}: same measurement`);
    results.push({ host: `Chromium ${version} (module Worker)`, ...(await page.evaluate((o) => window.runBench(o), opts)) });
  } finally {
    await browser.close();
    await server.close();
  }
}

load.push(os.loadavg()[0]);
const f0 = (v) => v.toFixed(0);
const pct = (r) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`;
const cell = (v, [lo, hi]) => `${f0(v)} (${f0(lo)}–${f0(hi)})`;
const rows = results.map((r) => `| ${r.host} | ${cell(r.main.train, r.main.trainRange)} | ${cell(r.worker.train, r.worker.trainRange)} | ${pct(r.ratio.train)} | ${f0(r.main.wall)} | ${f0(r.worker.wall)} | ${pct(r.ratio.wall)} | ${f0(r.worker.events)} |`);
const table = [
  '| host | main thread, train img/s | worker, train img/s | worker / main | main thread, fit() img/s | worker, fit() img/s | worker / main | progress events per fit |',
  '|---|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(`\n${table}\n`);

const section = `<!-- bench-worker:start -->
## Training in a worker vs the main thread

\`node scripts/bench-worker.mjs --browser\` (${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'CPU'}):
d2l's LeNet (SGD, lr 0.1), batch ${opts.batch}, the first ${opts.train} Fashion-MNIST training images, ${opts.epochs} epochs, ${opts.rounds} rounds alternating
main thread / worker; medians (min–max over rounds), and the median of the per-round worker/main ratios.
1-minute load average ${load.map((l) => l.toFixed(1)).join(' → ')} on ${os.cpus().length} cores: other jobs share this machine, so
single rounds vary by tens of percent; compare the paired ratios. *train img/s* is the Trainer's training-phase rate (epochs after the first);
*fit() img/s* is images / wall time of the whole \`fit()\` as the calling thread sees it (validation on 1,000 images
included). The worker streams progress at 10 events/s and yields at every batch boundary.
Threads: in Node both sides run the threaded build on every core (Node's main thread may block);
in Chromium the page's main thread may not block, so it keeps the single-threaded build, while the
worker of this cross-origin-isolated page runs the threaded one: that, not the worker itself, is
the Chromium column's gain.

${table}
<!-- bench-worker:end -->`;

if (!args.includes('--no-write')) {
  const file = path.join(root, 'docs/benchmarks.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /<!-- bench-worker:start -->[\s\S]*<!-- bench-worker:end -->/;
  writeFileSync(file, re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}\n`);
  console.log(`bench-worker: wrote ${path.relative(root, file)}`);
}
