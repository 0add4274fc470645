#!/usr/bin/env node
// `npm run test:webapp`: the web trainer (examples/web-trainer) as a user gets it. Copies the
// app into a temp dir, installs ferrograd from the packed tarball (plus the app's own vite and
// typescript, `--prefer-offline`), type-checks it, `vite build`s it, serves the build with and
// without COOP/COEP, with the real Fashion-MNIST files (Debian's dataset-fashion-mnist) under
// /data/, and runs test/webapp/flow.mjs in headless Chromium (Debian chromium, playwright-core).
// Screenshots: out/screenshots/web-trainer/ (git-ignored). Usage: node scripts/test-webapp.mjs [--keep]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_DIR } from './chromium.mjs';
import { launchChromium, pageLog } from './consumers/browser.mjs';
import { serveStatic } from './consumers/serve.mjs';
import { isolatedFlow, notIsolatedFlow, watchLongTasks } from '../test/webapp/flow.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);
const log = (/** @type {string} */ line) => console.log(`[${secs()} s] ${line}`);

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} cwd
 */
function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const dataFiles = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) => path.join(FASHION_MNIST_DIR, `${f}.gz`));
const missing = dataFiles.filter((f) => !existsSync(f));
if (missing.length) {
  console.error(`test:webapp needs the real Fashion-MNIST files (${missing.join(', ')} missing): install Debian's dataset-fashion-mnist (scripts/setup-toolchain.sh does)`);
  process.exit(1);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ferrograd-webapp-'));
const app = path.join(tmp, 'web-trainer');
const shots = path.join(root, 'out', 'screenshots', 'web-trainer');
const weightsFile = path.join(root, 'out', 'webapp', 'lenet-fashion-mnist.safetensors');
rmSync(shots, { recursive: true, force: true });
mkdirSync(path.dirname(weightsFile), { recursive: true });

const tarball = path.join(tmp, run('npm', ['pack', '--pack-destination', tmp, '--silent'], root).trim().split('\n').at(-1) ?? '');
cpSync(path.join(root, 'examples', 'web-trainer'), app, { recursive: true, filter: (src) => !/[/\\](node_modules|dist|package-lock\.json)$/.test(src) });
const pkg = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'));
pkg.dependencies.ferrograd = `file:${tarball}`;
writeFileSync(path.join(app, 'package.json'), JSON.stringify(pkg, null, 2));
run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
log(`installed the app with ${path.basename(tarball)} in ${app}`);
run(path.join(app, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', 'tsconfig.json'], app);
const build = run(path.join(app, 'node_modules', '.bin', 'vite'), ['build'], app);
log(`tsc --noEmit and vite build:\n${build.split('\n').filter((l) => /dist\//.test(l)).map((l) => `    ${l.trim()}`).join('\n')}`);

const dist = path.join(app, 'dist');
const isolated = await serveStatic({ root: dist, isolated: true, mounts: { '/data/': FASHION_MNIST_DIR } });
const plain = await serveStatic({ root: dist, isolated: false });
const browser = await launchChromium(root);
let failed = false;
/** @type {import('playwright-core').Page | undefined} */
let page;
/** @type {string[]} */
let pageLines = [];
try {
  log(`Chromium ${browser.version()}, app at ${isolated.url} (COOP/COEP) and ${plain.url} (none)`);
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  pageLines = pageLog(page);
  await watchLongTasks(page);
  await isolatedFlow(page, { url: isolated.url, shots, weightsFile, log });
  await page.close();

  page = await context.newPage();
  pageLines = pageLog(page);
  await notIsolatedFlow(page, { url: plain.url, shots, files: dataFiles, log });
  log(`PASS web app; screenshots in ${path.relative(root, shots)}/`);
} catch (e) {
  failed = true;
  console.error(`FAIL web app: ${e instanceof Error ? e.message : e}`);
  if (pageLines.length) console.error(`page log:\n  ${pageLines.join('\n  ')}`);
  console.error(`requests: ${[...isolated.requests, ...plain.requests].join(' ')}`);
  if (page && !page.isClosed()) await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
  console.error(`failure screenshot: ${path.relative(root, path.join(shots, 'failure.png'))}; app kept in ${app}`);
} finally {
  await browser.close();
  await isolated.close();
  await plain.close();
}
if (!failed && !keep) rmSync(tmp, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
