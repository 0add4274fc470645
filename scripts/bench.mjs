#!/usr/bin/env node
// `npm run bench [-- --json out.json] [--quick] [--breakdown] [--only sgemm,conv,lenet] [--no-build] [--tiering]`
//
// CPU (wasm SIMD128, one thread) benchmarks in Node through the public TypeScript API:
// sgemm GFLOP/s, conv2d forward+backward GFLOP/s for LeNet's and ResNet-18@96's layers, and a
// LeNet training step in images/s. Loads the TS sources through tsx against build/wasm/simd,
// (re)building the wasm first when it is missing or older than the Rust sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const value = (f) => {
  const i = args.indexOf(f);
  return i >= 0 ? args[i + 1] : undefined;
};
if (flag('--help') || flag('-h')) {
  console.log('usage: npm run bench -- [--json FILE] [--quick] [--breakdown] [--only sgemm,conv,lenet] [--no-build] [--tiering]');
  process.exit(0);
}
const only = new Set((value('--only') ?? 'sgemm,conv,lenet').split(','));
const quick = flag('--quick');

const run = (cmd, argv) => {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: \`${cmd} ${argv.join(' ')}\` failed; run \`npm test\` once on a fresh clone`);
    process.exit(r.status ?? 1);
  }
};

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (!existsSync(path.join(root, 'node_modules/tsx'))) run('npm', ['ci', '--no-audit', '--no-fund']);
const wasmFile = path.join(root, 'build/wasm/simd/ferrograd_wasm_bg.wasm');
if (!flag('--no-build')) {
  if (!existsSync(wasmFile)) {
    run('bash', ['scripts/setup-toolchain.sh']);
    run('bash', ['scripts/build-wasm.sh']);
  } else if (newestMtime(path.join(root, 'crates')) > statSync(wasmFile).mtimeMs) {
    console.log('bench: Rust sources are newer than the wasm build; rebuilding');
    run('bash', ['scripts/build-wasm.sh']);
  }
}

// Steady-state code from the first call: V8 otherwise starts wasm in its baseline compiler
// and swaps in optimised code in the background, which on a loaded machine can take longer
// than a short benchmark. Training runs long enough to be optimised either way.
if (!flag('--tiering')) (await import('node:v8')).setFlagsFromString('--no-liftoff');
const { register } = await import('tsx/esm/api');
register();
const fg = await import(pathToFileURL(path.join(root, 'ts/node.ts')).href);
const { benchSgemm, benchConv, CONV_SHAPES } = await import('./bench/kernels.mjs');
const { benchLeNet } = await import('./bench/lenet.mjs');
const { benchLeNetBreakdown } = await import('./bench/breakdown.mjs');

const cpuModel = (() => {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
})();
const machine = {
  cpu: cpuModel,
  cores: os.cpus().length,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  wasmBytes: statSync(wasmFile).size,
  date: new Date().toISOString(),
};
console.log(`ferrograd bench — wasm SIMD128, 1 thread`);
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}, load ${machine.loadavg}`);
console.log('figures: median of the timed samples; "best": the fastest sample (less sensitive to other load)');

const opts = quick ? { warmup: 1, warmupMs: 200, samples: 3, sampleMs: 30 } : {};
const out = { machine, sgemm: [], conv: [], lenet: null, breakdown: null };
const pad = (s, n) => String(s).padEnd(n);
const num = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-').padStart(9);

if (only.has('sgemm')) {
  console.log(`\n${pad('sgemm (A·B, square)', 34)}${'ms'.padStart(9)}${'GFLOP/s'.padStart(9)}${'best'.padStart(9)}`);
  for (const n of [128, 512, 1024]) {
    const r = benchSgemm(fg, n, opts);
    out.sgemm.push(r);
    console.log(`${pad(r.name, 34)}${num(r.ms, 3)}${num(r.gflops)}${num(r.bestGflops)}`);
  }
}

if (only.has('conv')) {
  console.log(`\n${pad('conv2d (batch: LeNet 128, R18 32)', 34)}${'fwd ms'.padStart(9)}${'fwd GF/s'.padStart(9)}${'f+b ms'.padStart(9)}${'f+b GF/s'.padStart(9)}${'best'.padStart(9)}`);
  let flop = 0;
  let ms = 0;
  let best = 0;
  for (const s of CONV_SHAPES) {
    const r = benchConv(fg, s, opts);
    out.conv.push(r);
    if (r.name.startsWith('R18')) {
      flop += r.flop * r.count;
      ms += r.ms * r.count;
      best += r.bestMs * r.count;
    }
    console.log(`${pad(r.name, 34)}${num(r.fwdMs, 3)}${num(r.fwdGflops)}${num(r.ms, 3)}${num(r.gflops)}${num(r.bestGflops)}`);
  }
  if (ms > 0) {
    out.resnetConvTotal = { ms, gflops: flop / (ms * 1e6), bestGflops: flop / (best * 1e6) };
    console.log(`${pad('R18 all 3×3 convs (×count)', 34)}${num(NaN)}${num(NaN)}${num(ms, 1)}${num(flop / (ms * 1e6))}${num(flop / (best * 1e6))}`);
  }
}

if (only.has('lenet')) {
  const r = benchLeNet(fg, quick ? { warmup: 2, warmupMs: 300, samples: 3, sampleMs: 100 } : {});
  out.lenet = r;
  console.log(`\n${pad('LeNet training step', 34)}${'ms'.padStart(9)}${'img/s'.padStart(9)}${'best'.padStart(9)}`);
  console.log(`${pad(r.name, 34)}${num(r.ms, 2)}${num(r.imgs, 0)}${num(r.bestImgs, 0)}`);
}

if (flag('--breakdown')) {
  const rows = benchLeNetBreakdown(fg, opts);
  out.breakdown = rows;
  console.log(`\n${pad('LeNet per layer (batch 128)', 34)}${'fwd ms'.padStart(9)}${'f+b ms'.padStart(9)}`);
  let total = 0;
  for (const r of rows) {
    total += r.ms;
    console.log(`${pad(r.name, 34)}${num(r.fwdMs, 3)}${num(r.ms, 3)}`);
  }
  console.log(`${pad('sum', 34)}${num(NaN)}${num(total, 3)}`);
}

const json = value('--json');
if (json) {
  writeFileSync(json, JSON.stringify(out, null, 2));
  console.log(`\nbench: results written to ${json}`);
}
