#!/usr/bin/env node
// `npm run test:consumers`: the package as users meet it. Packs it (`npm pack`, with the
// hygiene checks of scripts/consumers/pack.mjs), then installs the tarball into fresh projects
// under a temp dir (never this repo's node_modules), each with its own dependencies from the
// registry (`--prefer-offline`, so a warm npm cache makes this fast):
//   node  a Node ESM script: corr2d, LeNet steps, a training worker; the GPU error without
//         `webgpu`; then `npm i webgpu` and the same on WebGPU (Dawn; SwiftShader without a GPU)
//   ts    tsc --noEmit, strict, against the shipped index.d.ts (NodeNext and Bundler projects)
//   vite  `vite build` of a config-less app, served with COOP/COEP, run in headless Chromium
//         (playwright-core + Debian chromium): CPU, worker, WebGPU
//   deno  `npm:ferrograd` from the installed node_modules
//   bun   the "bun" export condition
// Templates live in test/consumers/<name>/, the shared checks in test/consumers/shared/.
// Usage: node scripts/test-consumers.mjs [--only node,ts,...] [--keep]
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, pageLog } from './consumers/browser.mjs';
import { kB, packAndInspect } from './consumers/pack.mjs';
import { serveStatic } from './consumers/serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined;
const keep = args.includes('--keep');
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const started = Date.now();
const secs = (t0) => ((Date.now() - t0) / 1000).toFixed(1);

/**
 * Runs a command; resolves with its output, rejects with the output when it fails.
 * @param {string} cmd
 * @param {string[]} argv
 * @param {{ cwd: string, env?: Record<string, string | undefined>, timeoutMs?: number }} o
 * @returns {Promise<string>}
 */
function sh(cmd, argv, { cwd, env = {}, timeoutMs = 300_000 }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`\`${cmd} ${argv.join(' ')}\` in ${cwd} failed (${code ?? signal}):\n${out.trim()}`));
    });
  });
}

/** Dawn's harmless XDG_RUNTIME_DIR complaints, and npm's install-script notices, are noise here. */
const clean = (/** @type {string} */ out) =>
  out
    .split('\n')
    .filter((l) => l.trim() && !/XDG_RUNTIME_DIR|install-scripts|^npm warn/.test(l))
    .map((l) => `    ${l}`)
    .join('\n');

const bin = (/** @type {string} */ dir, /** @type {string} */ name) => path.join(dir, 'node_modules', '.bin', name);
// Deno and Bun are runtimes, not the package under test: their binaries come from this repo's
// devDependencies (npm `deno`, `bun`); what they import comes from each consumer's node_modules.
const runtime = (/** @type {string} */ name) => {
  const p = bin(root, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm ci\` in the repo (${name} comes from npm)`);
  return p;
};

/** @type {Record<string, (dir: string) => Promise<string>>} */
const consumers = {
  async node(dir) {
    const cpu = await sh('node', ['main.mjs'], { cwd: dir });
    const version = rootPkg.devDependencies?.webgpu ?? 'latest';
    await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `webgpu@${version}`], { cwd: dir });
    const env = !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER) ? { VK_ICD_FILENAMES: SWIFTSHADER } : {};
    const gpu = await sh('node', ['gpu.mjs'], { cwd: dir, env });
    return `${cpu}${gpu}`;
  },
  async ts(dir) {
    const tsc = bin(dir, 'tsc');
    const version = (await sh(tsc, ['--version'], { cwd: dir })).trim();
    await sh(tsc, ['-p', 'tsconfig.json'], { cwd: dir });
    await sh(tsc, ['-p', 'tsconfig.web.json'], { cwd: dir });
    return `${version}: tsconfig.json (NodeNext, strict, exactOptionalPropertyTypes) and tsconfig.web.json (Bundler, DOM, strict, skipLibCheck off) type-check`;
  },
  async vite(dir) {
    const build = await sh(bin(dir, 'vite'), ['build'], { cwd: dir });
    const assets = readdirSync(path.join(dir, 'dist', 'assets'));
    // once per variant: single-threaded and threaded (whose glue is loaded by URL), each in
    // SIMD128 and relaxed SIMD
    const wasm = assets.filter((f) => f.endsWith('.wasm'));
    const variants = ['ferrograd_wasm_bg', 'ferrograd_wasm_relaxed_bg', 'ferrograd_wasm_threads_bg', 'ferrograd_wasm_threads_relaxed_bg'].map((v) => wasm.filter((f) => f.startsWith(`${v}-`)).length);
    if (wasm.length !== 4 || variants.some((n) => n !== 1) || !assets.some((f) => /^ferrograd_wasm_threads-.*\.js$/.test(f))) {
      throw new Error(`vite build should emit each .wasm variant once (and the threaded build's glue), got ${JSON.stringify(assets)}`);
    }
    if (!assets.some((f) => /^trainer\.worker.*\.js$/.test(f))) throw new Error(`vite build did not emit the training worker: ${JSON.stringify(assets)}`);
    const server = await serveStatic({ root: path.join(dir, 'dist'), isolated: true });
    const browser = await launchChromium(dir);
    try {
      const page = await browser.newPage();
      const log = pageLog(page);
      await page.goto(server.url);
      const handle = await page.waitForFunction(() => {
        const t = document.getElementById('out')?.textContent ?? '';
        return /^(PASS|FAIL)/.test(t) && t;
      }, null, { timeout: 240_000 });
      const text = /** @type {string} */ (await handle.jsonValue());
      if (!text.startsWith('PASS')) throw new Error(`${text}\n${log.join('\n')}`);
      if (!text.includes('crossOriginIsolated: true')) throw new Error(`the page should be cross-origin isolated under COOP/COEP:\n${text}`);
      const sizes = build.split('\n').filter((l) => /\.wasm|index-.*\.js|trainer\.worker/.test(l)).map((l) => l.trim().replace(/\s+/g, ' '));
      return `Chromium ${browser.version()}\n${text.slice(5)}\nvite build: ${sizes.join('; ')}`;
    } finally {
      await browser.close();
      await server.close();
    }
  },
  async deno(dir) {
    const deno = runtime('deno');
    const version = (await sh(deno, ['--version'], { cwd: dir })).split('\n')[0];
    // type-checks the entry against the shipped .d.ts through the npm: specifier, then runs it
    await sh(deno, ['check', 'main.js'], { cwd: dir });
    return `${version}\n${await sh(deno, ['run', '--allow-read', 'main.js'], { cwd: dir })}`;
  },
  async bun(dir) {
    const bun = runtime('bun');
    const version = (await sh(bun, ['--version'], { cwd: dir })).trim();
    return `bun ${version}\n${await sh(bun, ['run', 'main.js'], { cwd: dir })}`;
  },
};

const names = Object.keys(consumers).filter((n) => !only || only.includes(n));
if (!existsSync(path.join(root, 'dist', 'node.js'))) {
  console.error('dist/ is missing: run `npm run build` (npm test builds it first)');
  process.exit(1);
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ferrograd-consumers-'));
console.log(`consumer projects in ${tmp}`);

// --- the tarball ---
let t0 = Date.now();
const pack = packAndInspect(root, tmp);
console.log(`packed ${path.basename(pack.tarball)}: ${kB(pack.size)} (${pack.entryCount} files, ${kB(pack.unpackedSize)} unpacked) in ${secs(t0)} s`);
for (const w of pack.wasm) console.log(`  ${w.file}: ${kB(w.raw)} raw, ${kB(w.gzip)} gzip -9, ${kB(w.brotli)} brotli`);
console.log(`  npm publish --dry-run: ${pack.publish.packageSize} packed, ${pack.publish.unpackedSize} unpacked, ${pack.publish.totalFiles} files, ${pack.publish.warnings.length} manifest warnings`);
if (pack.problems.length) {
  console.error(`package hygiene:\n  - ${pack.problems.join('\n  - ')}`);
  process.exit(1);
}

// --- fresh projects, installed in parallel (network and disk bound) ---
t0 = Date.now();
await Promise.all(
  names.map(async (name) => {
    const dir = path.join(tmp, name);
    cpSync(path.join(root, 'test', 'consumers', name), dir, { recursive: true });
    mkdirSync(path.join(dir, 'shared'));
    cpSync(path.join(root, 'test', 'consumers', 'shared', 'checks.js'), path.join(dir, 'shared', 'checks.js'));
    await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', pack.tarball], { cwd: dir });
    const installed = JSON.parse(readFileSync(path.join(dir, 'node_modules', 'ferrograd', 'package.json'), 'utf8'));
    if (installed.version !== rootPkg.version) throw new Error(`${name}: installed ferrograd ${installed.version}, expected ${rootPkg.version}`);
  }),
);
console.log(`installed ${names.length} projects from the tarball in ${secs(t0)} s`);

// --- run them one at a time (CPU bound) ---
const results = [];
for (const name of names) {
  t0 = Date.now();
  try {
    const out = await consumers[/** @type {keyof typeof consumers} */ (name)](path.join(tmp, name));
    results.push({ name, ok: true, seconds: Number(secs(t0)), out: clean(out) });
    console.log(`PASS ${name} (${secs(t0)} s)\n${clean(out)}`);
  } catch (e) {
    results.push({ name, ok: false, seconds: Number(secs(t0)), out: String(e instanceof Error ? e.message : e) });
    console.log(`FAIL ${name} (${secs(t0)} s)\n${clean(String(e instanceof Error ? e.message : e))}`);
  }
}

const failed = results.filter((r) => !r.ok);
mkdirSync(path.join(root, 'out', 'consumers'), { recursive: true });
writeFileSync(
  path.join(root, 'out', 'consumers', 'report.json'),
  JSON.stringify({ date: new Date().toISOString(), seconds: Number(secs(started)), tarball: { file: path.basename(pack.tarball), size: pack.size, unpackedSize: pack.unpackedSize, files: pack.files }, wasm: pack.wasm, publish: pack.publish, results }, null, 2),
);
console.log(`\nconsumers: ${results.length - failed.length}/${results.length} passed in ${secs(started)} s (report: out/consumers/report.json)`);
if (failed.length || keep) console.log(`projects kept in ${tmp}`);
else rmSync(tmp, { recursive: true, force: true });
if (failed.length) process.exit(1);
