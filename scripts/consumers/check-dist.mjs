#!/usr/bin/env node
// `prepack`: refuses to pack (and so to publish) a dist/ that is missing a file package.json
// points at, or whose .wasm is not the one build/ holds (wasm rebuilt, bundle not). npm pack
// does not build; `npm run build` does.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Every file the manifest names: main, types, bin and each export target. */
function targets() {
  const out = new Set([pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})]);
  const walk = (v) => {
    if (typeof v === 'string') out.add(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  return [...out].filter(Boolean);
}

const problems = [];
for (const t of targets()) if (!existsSync(path.join(root, t))) problems.push(`${t} (named in package.json) does not exist`);
const built = path.join(root, 'build/wasm/simd/ferrograd_wasm_bg.wasm');
const shipped = path.join(root, 'dist/ferrograd_wasm_bg.wasm');
if (existsSync(built) && existsSync(shipped) && !readFileSync(built).equals(readFileSync(shipped))) {
  problems.push('dist/ferrograd_wasm_bg.wasm differs from build/wasm/simd/ferrograd_wasm_bg.wasm: the wasm was rebuilt after the bundle');
}
if (problems.length) {
  console.error(`prepack: dist/ is not ready to pack:\n  - ${problems.join('\n  - ')}\nRun \`npm run build\` (or \`npm run build:ts\` when the wasm is current).`);
  process.exit(1);
}
