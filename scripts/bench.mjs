#!/usr/bin/env node
// `npm run bench [-- --json out.json] [--quick] [--breakdown] [--conv-algos] [--only sgemm,conv,lenet,epoch,models,gpu] [--threads 1,2] [--no-relaxed-simd] [--no-torch] [--no-build] [--tiering]`
//
// CPU benchmarks in Node through the public TypeScript API, on the threaded wasm build (thread
// counts from --threads, default 1 and 2): sgemm GFLOP/s, conv2d forward+backward GFLOP/s for
// LeNet's and ResNet-18@96's layers, and training steps (LeNet batch 128, the small VGG at 224²
// and ResNet-18 at 96², batch 32) in images/s and GFLOP/s. Beside each training row and sgemm
// 1024³: PyTorch's figure for the same work on the same thread count, measured by this command
// (scripts/bench/torch_ref.py under /usr/bin/python3), or a note when torch is not installed.
// Loads the TS sources through tsx against build/wasm/, (re)building the wasm first when it is
// missing or older than the Rust sources. Last, GPU rows from the native wgpu benchmark
// (scripts/bench/gpu.mjs) on the Vulkan adapter, if any.
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
  console.log('usage: npm run bench -- [--json FILE] [--quick] [--breakdown] [--conv-algos] [--only sgemm,conv,lenet,epoch,models,gpu] [--threads 1,2] [--no-relaxed-simd] [--no-torch] [--no-build] [--tiering]');
  process.exit(0);
}
const only = new Set((value('--only') ?? 'sgemm,conv,lenet,epoch,models,gpu').split(','));
const quick = flag('--quick');
const threadCounts = (value('--threads') ?? '1,2').split(',').map(Number);
if (!threadCounts.every((n) => Number.isInteger(n) && n >= 1)) {
  console.error('bench: --threads takes positive integers, e.g. --threads 1,2');
  process.exit(2);
}

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
const wasmFiles = ['simd/ferrograd_wasm_bg.wasm', 'simd-relaxed/ferrograd_wasm_relaxed_bg.wasm', 'threads/ferrograd_wasm_threads_bg.wasm', 'threads-relaxed/ferrograd_wasm_threads_relaxed_bg.wasm'].map((f) => path.join(root, 'build/wasm', f));
if (!flag('--no-build')) {
  if (!wasmFiles.every(existsSync)) {
    run('bash', ['scripts/setup-toolchain.sh']);
    run('bash', ['scripts/build-wasm.sh']);
  } else if (newestMtime(path.join(root, 'crates')) > Math.min(...wasmFiles.map((f) => statSync(f).mtimeMs))) {
    console.log('bench: Rust sources are newer than the wasm build; rebuilding');
    run('bash', ['scripts/build-wasm.sh']);
  }
}
// The pool needs the largest thread count asked for; FERROGRAD_THREADS is read when the core loads.
process.env.FERROGRAD_THREADS = String(Math.max(2, ...threadCounts));

// Steady-state code from the first call: V8 otherwise starts wasm in its baseline compiler
// and swaps in optimised code in the background, which on a loaded machine can take longer
// than a short benchmark. Training runs long enough to be optimised either way.
// The CLI's engine (ts/cli-engine.ts), so rows measure what `npm run train` runs: TurboFan up
// front (`--tiering` keeps V8's tiering) and relaxed SIMD where V8 has it behind a flag
// (Node 20; `--no-relaxed-simd` keeps SIMD128).
if (flag('--tiering')) process.env.FERROGRAD_WASM_TIERING = '1';
if (flag('--no-relaxed-simd')) process.env.FERROGRAD_RELAXED_SIMD = '0';
const { register } = await import('tsx/esm/api');
register();
const { relaxedSimdByFlag } = await import(pathToFileURL(path.join(root, 'ts/cli-engine.ts')).href);
const fg = await import(pathToFileURL(path.join(root, 'ts/node.ts')).href);
const { benchSgemm, benchConv, CONV_ALGOS, CONV_SHAPES } = await import('./bench/kernels.mjs');
const { wasm } = await import(pathToFileURL(path.join(root, 'ts/wasm.ts')).href);
const { benchLeNet } = await import('./bench/lenet.mjs');
const { benchLeNetBreakdown } = await import('./bench/breakdown.mjs');
const { benchModel, FLOP_PER_IMAGE, MODELS } = await import('./bench/models.mjs');
const { pythonWithTorch, torchRows } = await import('./bench/torch.mjs');

const cpuModel = (() => {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
})();
const info = fg.threadsInfo();
const loads = [os.loadavg()[0]];
const machine = {
  cpu: cpuModel,
  cores: os.cpus().length,
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  build: info.variant,
  relaxedSimd: info.relaxedSimd,
  relaxedSimdByFlag,
  wasmBytes: Object.fromEntries(wasmFiles.map((f) => [path.basename(f), statSync(f).size])),
  date: new Date().toISOString(),
};
if (info.variant !== 'threads') console.log(`bench: the threaded build did not load (${info.reason}); every row runs on one thread`);
console.log(`ferrograd bench — wasm ${info.relaxedSimd ? `relaxed SIMD (FMA${relaxedSimdByFlag ? ", V8's --experimental-wasm-relaxed-simd" : ''})` : 'SIMD128'}, ${info.variant} build, threads ${threadCounts.join(' and ')}`);
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}, load ${machine.loadavg}`);
console.log('figures: median of the timed samples; "best": the fastest sample (less sensitive to other load)');

const opts = quick ? { warmup: 1, warmupMs: 200, samples: 3, sampleMs: 30 } : {};
const out = { machine, threads: threadCounts, sgemm: [], conv: [], lenet: [], epoch: [], models: [], breakdown: null, torch: null, summary: [] };
const pad = (s, n) => String(s).padEnd(n);
const num = (x, d = 2, w = 9) => (Number.isFinite(x) ? x.toFixed(d) : '-').padStart(w);
const withThreads = async (n, f) => {
  await fg.setNumThreads(n);
  const got = fg.getNumThreads();
  if (got !== n) console.log(`bench: ${n} threads asked, ${got} available`);
  return { threads: got, ...f() };
};
/** The summary table's rows: ours and PyTorch's for the same work and thread count. */
const summary = [];

if (only.has('sgemm')) {
  console.log(`\n${pad('sgemm (A·B, square)', 26)}${'thr'.padStart(4)}${'ms'.padStart(9)}${'GFLOP/s'.padStart(9)}${'best'.padStart(9)}`);
  for (const n of [128, 512, 1024]) {
    for (const t of threadCounts) {
      const r = await withThreads(t, () => benchSgemm(fg, n, opts));
      out.sgemm.push(r);
      console.log(`${pad(r.name, 26)}${String(r.threads).padStart(4)}${num(r.ms, 3)}${num(r.gflops)}${num(r.bestGflops)}`);
      if (n === 1024) summary.push({ key: 'sgemm 1024', name: 'sgemm 1024³', threads: r.threads, ms: r.ms, gflops: r.gflops, flop: 2 * n ** 3 });
    }
  }
}

if (only.has('conv')) {
  for (const t of threadCounts) {
    await fg.setNumThreads(t);
    console.log(`\n${pad(`conv2d, ${fg.getNumThreads()} thread(s) (LeNet 128, R18 32)`, 34)}${'fwd ms'.padStart(9)}${'fwd GF/s'.padStart(9)}${'f+b ms'.padStart(9)}${'f+b GF/s'.padStart(9)}${'best'.padStart(9)}`);
    let flop = 0;
    let ms = 0;
    let best = 0;
    for (const s of CONV_SHAPES) {
      const r = { threads: fg.getNumThreads(), ...benchConv(fg, s, opts) };
      out.conv.push(r);
      if (r.name.startsWith('R18')) {
        flop += r.flop * r.count;
        ms += r.ms * r.count;
        best += r.bestMs * r.count;
      }
      console.log(`${pad(r.name, 34)}${num(r.fwdMs, 3)}${num(r.fwdGflops)}${num(r.ms, 3)}${num(r.gflops)}${num(r.bestGflops)}`);
    }
    if (ms > 0) {
      out.conv.push({ name: 'R18 all 3×3 convs', threads: fg.getNumThreads(), ms, gflops: flop / (ms * 1e6), bestGflops: flop / (best * 1e6) });
      console.log(`${pad('R18 all 3×3 convs (×count)', 34)}${num(NaN)}${num(NaN)}${num(ms, 1)}${num(flop / (ms * 1e6))}${num(flop / (best * 1e6))}`);
    }
  }
  // --conv-algos: every layer under each algorithm forced (what the shape rule is written from)
  if (flag('--conv-algos')) {
    out.convAlgos = [];
    for (const t of threadCounts) {
      await fg.setNumThreads(t);
      console.log(`\n${pad(`conv2d by algorithm, ${fg.getNumThreads()} thread(s): fwd / f+b ms`, 34)}${CONV_ALGOS.map((a) => a.padStart(18)).join('')}`);
      for (const s of CONV_SHAPES) {
        const cells = [];
        for (const a of CONV_ALGOS) {
          wasm().setConvAlgorithm(a);
          const r = benchConv(fg, s, opts);
          out.convAlgos.push({ name: r.name, algorithm: a, threads: fg.getNumThreads(), fwdMs: r.fwdMs, ms: r.ms });
          cells.push(`${r.fwdMs.toFixed(1)} / ${r.ms.toFixed(1)}`.padStart(18));
        }
        wasm().setConvAlgorithm('auto');
        console.log(`${pad(s[0], 34)}${cells.join('')}`);
      }
    }
  }
}

if (only.has('lenet')) {
  console.log(`\n${pad('LeNet training step', 30)}${'thr'.padStart(4)}${'ms'.padStart(9)}${'img/s'.padStart(9)}${'best'.padStart(9)}`);
  for (const t of threadCounts) {
    const r = await withThreads(t, () => benchLeNet(fg, quick ? { warmup: 2, warmupMs: 300, samples: 3, sampleMs: 100 } : {}));
    out.lenet.push(r);
    console.log(`${pad(r.name, 30)}${String(r.threads).padStart(4)}${num(r.ms, 2)}${num(r.imgs, 0)}${num(r.bestImgs, 0)}`);
    summary.push({ key: 'lenet', name: 'LeNet step (batch 128)', threads: r.threads, ms: r.ms, imgs: r.imgs, flop: 128 * FLOP_PER_IMAGE.lenet });
  }
}

if (only.has('epoch')) {
  // the main job (npm run train's CLI) against the step above: the issue's "epoch = step"
  const { benchEpoch } = await import('./bench/epoch.mjs');
  console.log(`\n${pad('LeNet epoch (train CLI)', 30)}${'thr'.padStart(4)}${'img/s'.padStart(9)}${'step'.padStart(9)}${'epoch/step'.padStart(11)}`);
  for (const t of threadCounts) {
    const r = benchEpoch(root, t, quick ? { trainLimit: 12800 } : {});
    if (r.error) {
      console.log(`${pad('LeNet epoch (train CLI)', 30)}${String(t).padStart(4)}  ${r.error}`);
      continue;
    }
    const step = out.lenet.find((x) => x.threads === t);
    r.stepImgs = step?.imgs ?? null;
    r.epochPerStep = step ? r.imgs / step.imgs : null;
    out.epoch.push(r);
    console.log(`${pad(r.name, 30)}${String(t).padStart(4)}${num(r.imgs, 0)}${num(r.stepImgs ?? NaN, 0)}${num(r.epochPerStep ?? NaN, 2, 11)}`);
  }
}

/** The previous rows' tensors, dropped but not yet collected, out of the next row's peak: a full
 * GC (the core's Node entry exposes it) and a turn of the event loop for the finalizers. */
async function collectGarbage() {
  const gc = (await import('node:vm')).runInNewContext('gc');
  for (let i = 0; i < 3; i++) {
    if (typeof gc === 'function') gc();
    await new Promise((r) => setTimeout(r, 0));
  }
}

if (only.has('models')) {
  // peak MiB: the most tensor storage live at once during the row (buffers, from
  // resetPeakMemory); wasm MiB: the linear memory after it, which only grows (the run's
  // high-water mark so far, scratch and pool included)
  console.log(`\n${pad('training step', 30)}${'thr'.padStart(4)}${'ms'.padStart(9)}${'img/s'.padStart(9)}${'GFLOP/s'.padStart(9)}${'peak MiB'.padStart(10)}${'wasm MiB'.padStart(10)}`);
  for (const which of ['vgg', 'vgg128', 'resnet18']) {
    // batch 128 (a 9 s step at 2 threads): one sample, on the most threads only
    for (const t of which === 'vgg128' ? [Math.max(...threadCounts)] : threadCounts) {
      await collectGarbage();
      fg.resetPeakMemory();
      const r = await withThreads(t, () => benchModel(fg, which, { samples: quick || which === 'vgg128' ? 1 : 3 }));
      r.peakTensorBytes = fg.memory().peakBytes;
      r.wasmBytesAfter = fg.memory().wasmBytes;
      out.models.push(r);
      const gflops = (r.imgs * r.flopPerImage) / 1e9;
      const vgg32 = out.models.find((m) => m.name === MODELS.vgg.label && m.threads === r.threads);
      if (which === 'vgg128' && vgg32) r.perImageVsBatch32 = r.imgs / vgg32.imgs;
      const note = r.perImageVsBatch32 ? `  img/s ×${r.perImageVsBatch32.toFixed(2)} of batch 32` : '';
      console.log(`${pad(r.name, 30)}${String(r.threads).padStart(4)}${num(r.ms, 0)}${num(r.imgs, 2)}${num(gflops, 1)}${num(r.peakTensorBytes / 2 ** 20, 0, 10)}${num(r.wasmBytesAfter / 2 ** 20, 0, 10)}${note}`);
      if (which !== 'vgg128') summary.push({ key: which, name: r.name, threads: r.threads, ms: r.ms, imgs: r.imgs, flop: 32 * r.flopPerImage });
    }
  }
}

if (flag('--breakdown')) {
  const { countCrossings } = await import('./bench/lenet.mjs');
  const crossings = countCrossings(fg, wasm());
  if (crossings) {
    out.crossings = crossings;
    const top = Object.entries(crossings.perStep).slice(0, 8).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`\nJS→wasm calls per LeNet step: ${crossings.total} (${top}, ...)`);
  }
  out.breakdown = [];
  for (const t of threadCounts) {
    await fg.setNumThreads(t);
    const rows = benchLeNetBreakdown(fg, opts);
    out.breakdown.push({ threads: fg.getNumThreads(), rows });
    console.log(`\n${pad(`LeNet per layer, ${fg.getNumThreads()} thread(s)`, 34)}${'fwd ms'.padStart(9)}${'f+b ms'.padStart(9)}`);
    let total = 0;
    for (const r of rows) {
      total += r.ms;
      console.log(`${pad(r.name, 34)}${num(r.fwdMs, 3)}${num(r.ms, 3)}`);
    }
    console.log(`${pad('sum', 34)}${num(NaN)}${num(total, 3)}`);
  }
}

// PyTorch beside the summary rows: same work, same thread counts, measured now.
if (summary.length) {
  const torchKeys = { 'sgemm 1024': 'sgemm', lenet: 'lenet', vgg: 'vgg', resnet18: 'resnet' };
  const wanted = [...new Set(summary.map((r) => torchKeys[r.key]))];
  const py = flag('--no-torch') ? null : pythonWithTorch();
  const torch = {};
  let note;
  if (py) console.log(`\nbench: PyTorch ${py.version} calls BLAS ${py.blas} (${py.blasKind})`);
  if (!py) {
    note = flag('--no-torch') ? 'PyTorch column off (--no-torch)' : 'PyTorch is not installed for /usr/bin/python3 (or $PYTHON): no PyTorch column';
  } else if (!py.optimisedBlas) {
    // a ratio to the reference BLAS flatters us 1.4-4x: no anchor rather than a weak one
    note = `no PyTorch column: its BLAS is the reference one (${py.blas}), 1.4-4x slower than an optimised BLAS; \`bash scripts/setup-torch.sh\` (root) installs and selects OpenBLAS-OpenMP`;
  } else {
    for (const t of threadCounts) {
      process.stdout.write(`\nbench: PyTorch ${py.version} on ${t} thread(s) (${py.python} scripts/bench/torch_ref.py)...`);
      const r = torchRows(py.python, t, { quick, only: wanted });
      console.log(typeof r === 'string' ? ` ${r}` : ' done');
      if (typeof r !== 'string') torch[t] = r;
    }
    note = `PyTorch ${py.version}, torch.set_num_threads(n), same command`;
  }
  loads.push(os.loadavg()[0]);
  out.torch = { note, blas: py ? { path: py.blas, kind: py.blasKind, optimised: py.optimisedBlas } : null, runs: torch };
  const hasTorch = Object.keys(torch).length > 0;
  console.log(`\nsummary (${note}; 1-min load ${loads.map((l) => l.toFixed(1)).join(' → ')})`);
  const head = `${pad('work', 26)}${'thr'.padStart(4)}${'ours ms'.padStart(10)}${'img/s'.padStart(9)}${'GFLOP/s'.padStart(9)}`;
  console.log(hasTorch ? `${head}${'torch ms'.padStart(10)}${'img/s'.padStart(9)}${'GFLOP/s'.padStart(9)}${'ours/torch'.padStart(11)}` : head);
  for (const r of summary) {
    const gf = r.flop / (r.ms * 1e6);
    const tr = torch[r.threads]?.rows?.[r.key];
    const row = { ...r, gflops: gf, torch: tr ? { ms: tr.ms, best: tr.best, gflops: r.flop / (tr.ms * 1e6) } : null, oursOverTorch: tr ? tr.ms / r.ms : null };
    out.summary.push(row);
    let line = `${pad(r.name, 26)}${String(r.threads).padStart(4)}${num(r.ms, 2, 10)}${num(r.imgs ?? NaN, r.key === 'lenet' ? 0 : 2)}${num(gf, 1)}`;
    if (hasTorch) {
      const timgs = tr && r.imgs !== undefined ? (r.imgs * r.ms) / tr.ms : NaN;
      line += `${num(tr?.ms ?? NaN, 2, 10)}${num(timgs, r.key === 'lenet' ? 0 : 2)}${num(tr ? r.flop / (tr.ms * 1e6) : NaN, 1)}${num(tr ? tr.ms / r.ms : NaN, 2, 10)}×`;
    }
    console.log(line);
  }
  const speedup = (key) => {
    const [a, b] = [summary.find((r) => r.key === key && r.threads === 1), summary.find((r) => r.key === key && r.threads === 2)];
    return a && b ? a.ms / b.ms : NaN;
  };
  if (threadCounts.includes(1) && threadCounts.includes(2)) {
    console.log(`speed-up 1 → 2 threads: ${['sgemm 1024', 'lenet', 'vgg', 'resnet18'].filter((k) => Number.isFinite(speedup(k))).map((k) => `${k} ×${speedup(k).toFixed(2)}`).join(', ')}`);
  }
}

// Native wgpu on the machine's Vulkan adapter (a software one says so: correctness only).
if (only.has('gpu')) out.gpu = await (await import('./bench/gpu.mjs')).benchGpu({ quick });

const json = value('--json');
if (json) {
  writeFileSync(json, JSON.stringify(out, null, 2));
  console.log(`\nbench: results written to ${json}`);
}
