// Bundles the TypeScript API into dist/: ESM for browsers/bundlers (index.js) and for
// Node/Deno/Bun (node.js), one .d.ts, and the .wasm as an asset next to them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

/**
 * Emits every `new URL('<relative>.wasm', import.meta.url)` target as an asset and points the
 * expression at the emitted file, so the same source works unbundled (tests) and bundled.
 */
function wasmAssets() {
  const pattern = /new URL\(\s*(['"])([^'"]+\.wasm)\1\s*,\s*import\.meta\.url\s*\)/g;
  const refs = new Map();
  return {
    name: 'wasm-assets',
    transform(code, id) {
      if (!pattern.test(code)) return null;
      pattern.lastIndex = 0;
      let out = '';
      let last = 0;
      for (const m of code.matchAll(pattern)) {
        const file = path.resolve(path.dirname(id), m[2]);
        if (!refs.has(file)) refs.set(file, this.emitFile({ type: 'asset', fileName: path.basename(file), source: readFileSync(file) }));
        const ref = refs.get(file);
        out += code.slice(last, m.index) + `new URL(import.meta.ROLLUP_FILE_URL_${ref})`;
        last = m.index + m[0].length;
      }
      return { code: out + code.slice(last), map: null };
    },
    resolveFileUrl({ fileName, relativePath }) {
      return `new URL('${relativePath || fileName}', import.meta.url).href`;
    },
  };
}

export default [
  {
    input: { index: 'ts/index.ts', node: 'ts/node.ts', cli: 'ts/cli.ts' },
    output: { dir: 'dist', format: 'es', sourcemap: true, chunkFileNames: 'chunks/[name]-[hash].js' },
    external: [/^node:/],
    plugins: [wasmAssets(), typescript({ tsconfig: './tsconfig.build.json' })],
  },
  {
    input: 'ts/index.ts',
    output: { file: 'dist/index.d.ts', format: 'es' },
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
  },
];
