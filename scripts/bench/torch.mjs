// PyTorch's figures for the same work, measured by the same `npm run bench`: spawns the system
// Python (/usr/bin/python3 on Debian, where python3-torch lives; PYTHON overrides) with
// scripts/bench/torch_ref.py once per thread count. Returns null, with the reason, when torch
// is not importable (CI has none): the bench then leaves the PyTorch column out.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The first Python with torch, its version and the BLAS it really calls (scripts/bench/
 * torch_blas.py: `{ blas, kind, optimised }`), or null.
 */
export function pythonWithTorch() {
  const candidates = [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  for (const py of candidates) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    const r = spawnSync(py, [path.join(here, 'torch_blas.py')], { encoding: 'utf8' });
    const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    if (r.status === 0 && line.startsWith('{')) {
      const info = JSON.parse(line);
      return { python: py, version: info.torch, blas: info.blas, blasKind: info.kind, optimisedBlas: info.optimised };
    }
  }
  return null;
}

/** `{ version, rows: { 'sgemm 1024': {ms, best}, lenet, vgg, resnet18 } }` on `threads` threads, or an error string. */
export function torchRows(python, threads, { quick = false, only = ['sgemm', 'lenet', 'vgg', 'resnet'] } = {}) {
  const args = [path.join(here, 'torch_ref.py'), '--threads', String(threads), '--only', only.join(',')];
  if (quick) args.push('--quick');
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 1_800_000, maxBuffer: 16 << 20 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return `torch_ref.py failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').pop()}`;
  return JSON.parse(line);
}
