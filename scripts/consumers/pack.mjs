// Packs the package as npm would publish it and checks what is inside: only what users need,
// every file the manifest points at, the dependencies a consumer gets, and `npm publish
// --dry-run` without complaints about the manifest. Also measures the tarball and the .wasm.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Files a user needs: the bundles, the declarations, the .wasm, and the manifest/docs/license. */
const ALLOWED = [/^package\.json$/, /^README\.md$/, /^LICENSE[^/]*$/, /^dist\/[\w.-]+\.js$/, /^dist\/chunks\/[\w.-]+\.js$/, /^dist\/index\.d\.ts$/, /^dist\/[\w.-]+\.wasm$/];

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {string} cwd
 */
function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** @param {number} n */
export const kB = (n) => `${(n / 1000).toFixed(1)} kB`;

/**
 * @param {string} root the package directory
 * @param {string} dest where the .tgz goes
 */
export function packAndInspect(root, dest) {
  const r = run('npm', ['pack', '--json', '--pack-destination', dest], root);
  const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0];
  const tarball = path.join(dest, info.filename);
  /** @type {string[]} */
  const files = info.files.map((/** @type {{ path: string }} */ f) => f.path);
  const problems = [];
  for (const f of files) if (!ALLOWED.some((re) => re.test(f))) problems.push(`${f} is packed but users do not need it`);

  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const targets = new Set([pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})]);
  const walk = (/** @type {unknown} */ v) => (typeof v === 'string' ? targets.add(v) : v && typeof v === 'object' && Object.values(v).forEach(walk));
  walk(pkg.exports);
  for (const t of targets) if (!files.includes(t.replace(/^\.\//, ''))) problems.push(`package.json names ${t}, which is not in the tarball`);
  const root_ = pkg.exports?.['.'] ?? {};
  for (const c of ['types', 'node', 'deno', 'bun', 'browser', 'default']) if (!root_[c]) problems.push(`exports["."] has no "${c}" condition`);
  if (Object.keys(root_)[0] !== 'types') problems.push('exports["."]: "types" must come first (TypeScript takes the first matching condition)');
  const deps = Object.keys(pkg.dependencies ?? {});
  if (deps.join() !== 'comlink') problems.push(`dependencies should be just comlink (what CPU use needs), got ${deps.join(', ')}`);
  if (!pkg.peerDependenciesMeta?.webgpu?.optional) problems.push('webgpu must be an optional peer dependency');
  if (!pkg.license || !pkg.repository?.url) problems.push('license and repository must be set');
  if (!Array.isArray(pkg.sideEffects) || !pkg.sideEffects.includes('./dist/node.js')) problems.push('sideEffects must list dist/node.js (it loads the core on import)');

  const wasm = files.filter((f) => f.endsWith('.wasm')).map((f) => {
    const bytes = readFileSync(path.join(root, f));
    return {
      file: f,
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  });
  if (wasm.length === 0) problems.push('no .wasm in the tarball');

  // the manifest must need no correction; the login notice is expected on a machine without a token
  const pub = run('npm', ['publish', '--dry-run'], root);
  const publishLog = `${pub.stdout}\n${pub.stderr}`;
  const complaints = publishLog.split('\n').filter((l) => /npm warn/.test(l) && !/logged in|requires you to be logged/.test(l));
  for (const c of complaints) problems.push(`npm publish --dry-run: ${c.trim()}`);
  const notice = (/** @type {string} */ key) => new RegExp(`npm notice ${key}:\\s*(.+)`).exec(publishLog)?.[1]?.trim();

  return {
    tarball,
    size: statSync(tarball).size,
    unpackedSize: info.unpackedSize,
    entryCount: info.entryCount,
    files,
    wasm,
    problems,
    publish: { packageSize: notice('package size'), unpackedSize: notice('unpacked size'), totalFiles: notice('total files'), warnings: complaints },
  };
}
