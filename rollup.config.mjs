// Bundles the TypeScript API into dist/: ESM for browsers/bundlers (index.js) and for
// Node/Deno/Bun (node.js), one .d.ts, and the .wasm as an asset next to them.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

/**
 * Emits every `new URL('<relative>.wasm', import.meta.url)` target as an asset and points the
 * expression at the emitted file, so the same source works unbundled (tests) and bundled. The
 * threaded build's glue (`build/wasm/<variant>/*.js`) is an asset too, copied as is: it is
 * imported by URL at run time, by the loader and by every pool worker.
 */
function wasmAssets() {
  const pattern = /new URL\(\s*(['"])([^'"]+\.wasm|[^'"]*build\/wasm\/[^'"]+\.js)\1\s*,\s*import\.meta\.url\s*\)/g;
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

/**
 * Turns every `new URL('<relative>.worker[.node].ts', import.meta.url)` into a separate entry
 * chunk, `dist/<name>.worker[.node].js`, and points the expression at it with a plain
 * `new URL('<relative path>', import.meta.url)`, so `new Worker(new URL(...), { type: 'module' })`
 * keeps the form Vite and webpack recognise when they bundle dist/ themselves.
 */
function workerChunks() {
  const pattern = /new URL\(\s*(['"])([^'"]+\.worker(?:\.node)?)\.ts\1\s*,\s*import\.meta\.url\s*\)/g;
  const refs = new Set();
  return {
    name: 'worker-chunks',
    transform(code, id) {
      if (!pattern.test(code)) return null;
      pattern.lastIndex = 0;
      const out = code.replace(pattern, (_m, _q, rel) => {
        const file = path.resolve(path.dirname(id), `${rel}.ts`);
        const ref = this.emitFile({ type: 'chunk', id: file, fileName: `${path.basename(rel)}.js` });
        refs.add(ref);
        return `import.meta.ROLLUP_FILE_URL_${ref}`;
      });
      return { code: out, map: null };
    },
    resolveFileUrl({ referenceId, relativePath }) {
      if (!refs.has(referenceId)) return null;
      const rel = relativePath.startsWith('.') ? relativePath : `./${relativePath}`;
      return `new URL('${rel}', import.meta.url)`;
    },
  };
}

/**
 * After writing, deletes what an earlier build left in `dir` and this one did not emit: chunk
 * names carry content hashes, so stale chunks would pile up (and be packed). Files are replaced
 * before the old ones go, so a test reading dist/ meanwhile never finds it empty. `keep` names
 * files other builds write there (the .d.ts bundle).
 */
function pruneStale(keep) {
  return {
    name: 'prune-stale',
    writeBundle(options, bundle) {
      const dir = options.dir;
      const fresh = new Set([...Object.keys(bundle), ...keep]);
      const walk = (rel) => {
        for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
          const name = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) walk(name);
          else if (!fresh.has(name)) rmSync(path.join(dir, name));
        }
      };
      walk('');
    },
  };
}

export default [
  {
    // cli-engine: its own file, so dist/cli.js imports it before ./node.js compiles the core
    input: { index: 'ts/index.ts', node: 'ts/node.ts', cli: 'ts/cli.ts', 'cli-engine': 'ts/cli-engine.ts' },
    output: {
      dir: 'dist',
      format: 'es',
      // maps stay out of the package (their sources are not shipped); 'hidden' leaves no
      // sourceMappingURL comment pointing at a file users do not get
      sourcemap: 'hidden',
      chunkFileNames: 'chunks/[name]-[hash].js',
      // the TypeScript plugin's maps (outDir dist, rootDir .) put sources one level too high
      sourcemapPathTransform: (rel) => rel.replace(/^\.\.\//, ''),
    },
    // comlink is a dependency (one copy, shared with the caller's own Comlink proxies)
    external: [/^node:/, /^comlink(\/|$)/],
    plugins: [workerChunks(), wasmAssets(), typescript({ tsconfig: './tsconfig.build.json' }), pruneStale(['index.d.ts'])],
  },
  {
    input: 'ts/index.ts',
    output: { file: 'dist/index.d.ts', format: 'es' },
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
  },
];
