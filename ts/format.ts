/**
 * PyTorch's tensor printing (`torch._tensor_str`): the same number formatting (integer mode
 * `19.`, fixed 4 decimals, or scientific), column alignment, line wrapping at 80 characters,
 * summarisation past 1000 elements, and the `requires_grad` / `grad_fn` suffix.
 * @module
 */

import { isFloating, TORCH_DTYPE, type DType } from './dtype.js';
import type { NestedArray } from './tensor.js';
export type { DType };

const LINEWIDTH = 80;
const THRESHOLD = 1000;
const EDGEITEMS = 3;
const PRECISION = 4;

class Formatter {
  private intMode = true;
  private sciMode = false;
  private maxWidth = 1;

  constructor(values: ArrayLike<number>, private readonly dtype: DType) {
    if (dtype !== 'float32') {
      for (let i = 0; i < values.length; i++) {
        this.maxWidth = Math.max(this.maxWidth, this.fmtInt(values[i]!).length);
      }
      return;
    }
    const finite: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isFinite(v)) finite.push(v);
    }
    if (finite.length === 0) {
      for (let i = 0; i < values.length; i++) this.maxWidth = Math.max(this.maxWidth, fmtNonFinite(values[i]!).length);
      return;
    }
    this.intMode = finite.every((v) => Math.ceil(v) === v);
    const abs = finite.map(Math.abs).filter((v) => v !== 0);
    const nzMax = abs.length ? Math.max(...abs) : 0;
    const nzMin = abs.length ? Math.min(...abs) : 0;
    if (this.intMode) {
      if (nzMax > 1e8) this.sciMode = true;
    } else if (nzMax / nzMin > 1000 || nzMax > 1e8 || nzMin < 1e-4) {
      this.sciMode = true;
    }
    for (let i = 0; i < values.length; i++) this.maxWidth = Math.max(this.maxWidth, this.fmtRaw(values[i]!).length);
  }

  private fmtInt(v: number): string {
    if (this.dtype === 'bool') return v !== 0 ? 'True' : 'False';
    return String(Math.trunc(v));
  }

  private fmtRaw(v: number): string {
    if (this.dtype !== 'float32') return this.fmtInt(v);
    if (!Number.isFinite(v)) return fmtNonFinite(v);
    if (this.sciMode) return sci(v, PRECISION);
    if (this.intMode) return `${v.toFixed(0)}.`;
    return v.toFixed(PRECISION);
  }

  width(): number {
    return this.maxWidth;
  }

  format(v: number): string {
    return this.fmtRaw(v).padStart(this.maxWidth);
  }
}

function fmtNonFinite(v: number): string {
  return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
}

/** Python's `'{:.4e}'` (two-digit exponent at least). */
function sci(v: number, p: number): string {
  const [m, e] = v.toExponential(p).split('e') as [string, string];
  const sign = e.startsWith('-') ? '-' : '+';
  const digits = e.replace(/^[+-]/, '').padStart(2, '0');
  return `${m}e${sign}${digits}`;
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function summarizedIndices(n: number, summarize: boolean): number[] | null {
  if (!summarize || n <= 2 * EDGEITEMS) return null;
  return [...Array.from({ length: EDGEITEMS }, (_, i) => i), -1, ...Array.from({ length: EDGEITEMS }, (_, i) => n - EDGEITEMS + i)];
}

function vectorStr(data: ArrayLike<number>, offset: number, n: number, indent: number, fmt: Formatter, summarize: boolean): string {
  const elementLength = fmt.width() + 2;
  const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / elementLength));
  const idx = summarizedIndices(n, summarize) ?? Array.from({ length: n }, (_, i) => i);
  const items = idx.map((i) => (i < 0 ? ' ...' : fmt.format(data[offset + i]!)));
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
  return `[${lines.join(',\n' + ' '.repeat(indent + 1))}]`;
}

function tensorStr(data: ArrayLike<number>, shape: number[], st: number[], dim: number, offset: number, indent: number, fmt: Formatter, summarize: boolean): string {
  const n = shape[dim]!;
  if (dim === shape.length - 1) return vectorStr(data, offset, n, indent, fmt, summarize);
  const idx = summarizedIndices(n, summarize) ?? Array.from({ length: n }, (_, i) => i);
  const parts = idx.map((i) => (i < 0 ? '...' : tensorStr(data, shape, st, dim + 1, offset + i * st[dim]!, indent + 1, fmt, summarize)));
  const sep = ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + 1);
  return `[${parts.join(sep)}]`;
}

/** Values used to pick the number format (only the printed ones when summarising). */
function shownValues(data: ArrayLike<number>, shape: number[], summarize: boolean): ArrayLike<number> {
  if (!summarize) return data;
  const st = strides(shape);
  const out: number[] = [];
  const walk = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      out.push(data[offset]!);
      return;
    }
    const idx = summarizedIndices(shape[dim]!, true) ?? Array.from({ length: shape[dim]! }, (_, i) => i);
    for (const i of idx) if (i >= 0) walk(dim + 1, offset + i * st[dim]!);
  };
  walk(0, 0);
  return out;
}

export interface FormatOptions {
  requiresGrad?: boolean;
  gradFn?: string | null;
  dtype?: DType;
  device?: string;
}

/** `tensor([[19., 25.],\n        [37., 43.]])`, as PyTorch prints it. */
export function formatTensor(data: ArrayLike<number>, shape: number[], opts: FormatOptions = {}): string {
  const dtype = opts.dtype ?? 'float32';
  const prefix = 'tensor(';
  const indent = prefix.length;
  const numel = shape.reduce((a, b) => a * b, 1);
  const suffixes: string[] = [];
  let body: string;
  if (numel === 0) {
    body = '[]';
    if (shape.length !== 1 || shape[0] !== 0) suffixes.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  } else if (shape.length === 0) {
    body = new Formatter(data, dtype).format(data[0]!).trim();
  } else {
    const summarize = numel > THRESHOLD;
    const fmt = new Formatter(shownValues(data, shape, summarize), dtype);
    body = tensorStr(data, shape, strides(shape), 0, 0, indent, fmt, summarize);
  }
  if (opts.device && opts.device !== 'cpu') suffixes.push(`device='${opts.device}'`);
  // PyTorch names the dtype unless the values imply it (float32, int64 and bool do; int32 never)
  if ((dtype === 'int64' && numel === 0) || dtype === 'int32') suffixes.push(`dtype=${TORCH_DTYPE[dtype]}`);
  if (opts.gradFn) suffixes.push(`grad_fn=<${opts.gradFn}>`);
  else if (opts.requiresGrad) suffixes.push('requires_grad=True');
  // PyTorch moves a suffix to its own line when it would overflow the last one.
  let out = prefix + body;
  let lastLine = out.length - out.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > LINEWIDTH) {
      out += ',\n' + ' '.repeat(prefix.length) + s;
      lastLine = prefix.length + s.length;
    } else {
      out += ', ' + s;
      lastLine += s.length + 2;
    }
  }
  return out + ')';
}

/** @internal The elements as `tolist()` gives them: nested arrays of numbers, booleans for a bool dtype. */
export function nestedArray(data: Float32Array, shape: number[], dtype: DType): NestedArray {
  // + 0: an integer tensor's -0 (0 * -1 in float32) reads as 0
  const conv = dtype === 'bool' ? (v: number) => v !== 0 : isFloating(dtype) ? (v: number) => v : (v: number) => v + 0;
  if (shape.length === 0) return conv(data[0]!);
  let off = 0;
  const build = (d: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? conv(data[off++]!) : build(d + 1));
    return out;
  };
  return build(0);
}
