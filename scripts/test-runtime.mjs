#!/usr/bin/env node
// Runs every test/<runtime>/*.ts file (except `_*.ts` helpers and .d.ts) under Deno or Bun,
// one process per file, against the built dist/ (npm test builds it first). A file fails by
// exiting non-zero. Extra flags for one file go in a first-line comment: `// runtime-flags: ...`.
// Usage: node scripts/test-runtime.mjs deno|bun
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runtime = process.argv[2];
// Deno needs read access for dist/*.wasm, and sloppy imports so `./x.js` finds `./x.ts` as tsc
// and Bun resolve it.
const base = { deno: ['run', '--allow-read', '--unstable-sloppy-imports'], bun: ['run'] }[runtime];
if (!base) {
  console.error('usage: node scripts/test-runtime.mjs deno|bun');
  process.exit(2);
}
const bin = path.join(root, 'node_modules', '.bin', runtime);
if (!existsSync(bin)) {
  console.error(`${bin} is missing: run \`npm ci\` (${runtime} comes from npm)`);
  process.exit(1);
}
if (!existsSync(path.join(root, 'dist', 'node.js'))) {
  console.error('dist/node.js is missing: run `npm run build:ts` first');
  process.exit(1);
}
const dir = path.join(root, 'test', runtime);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('_')).sort();
const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
console.log(`${runtime}: ${version}; ${files.length} file(s) in test/${runtime}`);
let failed = 0;
for (const f of files) {
  const file = path.join(dir, f);
  const extra = /^\/\/ runtime-flags:(.*)$/m.exec(readFileSync(file, 'utf8').split('\n')[0] ?? '')?.[1]?.trim().split(/\s+/) ?? [];
  const started = Date.now();
  const r = spawnSync(bin, [...base, ...extra, file], { cwd: root, stdio: 'inherit', timeout: 600_000 });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status === 0) {
    console.log(`PASS test/${runtime}/${f} (${secs} s)`);
  } else {
    failed++;
    console.log(`FAIL test/${runtime}/${f} (exit ${r.status ?? r.signal}, ${secs} s)`);
  }
}
if (failed) {
  console.error(`${failed} of ${files.length} ${runtime} file(s) failed`);
  process.exit(1);
}
