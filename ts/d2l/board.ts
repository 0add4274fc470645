/**
 * d2l's `ProgressBoard`: plots training curves (train_loss, val_loss, val_acc) as points arrive.
 * `draw` averages every `everyN` raw points per label, as d2l does. One layout feeds two
 * renderers: a self-contained SVG (Node writes it to `svgPath` as training goes) and a canvas
 * (browsers draw live). Styles follow d2l: colors C0–C3 and line styles '-', '--', '-.', ':'.
 * @module
 */
import { isNode, nodeImport, type NodeFs, type NodePath } from '../runtime.js';

export type Scale = 'linear' | 'log';

export interface ProgressBoardOptions {
  xlabel?: string;
  ylabel?: string;
  xlim?: [number, number];
  ylim?: [number, number];
  xscale?: Scale;
  yscale?: Scale;
  /** Inches, as matplotlib's figsize (d2l: 3.5 × 2.5). */
  figsize?: [number, number];
  /** Redraw as points arrive (true). */
  display?: boolean;
  /** Node: the SVG file rewritten on every new point when `display` is on. */
  svgPath?: string;
  /** Browsers: the canvas to draw on; by default one is appended to `document.body`; null for none. */
  canvas?: HTMLCanvasElement | null;
  /** Line styles and colors, cycled over the labels. */
  ls?: string[];
  colors?: string[];
}

/** One plotted curve: the averaged points. */
export interface Series {
  x: number[];
  y: number[];
}

/** matplotlib's default cycle (d2l names C0–C3). */
const TAB10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const LINE_WIDTH = 1.5;
/** matplotlib's dash patterns (in units of the line width). */
const DASHES: Record<string, number[]> = { '-': [], solid: [], '--': [3.7, 1.6], dashed: [3.7, 1.6], '-.': [6.4, 1.6, 1, 1.6], dashdot: [6.4, 1.6, 1, 1.6], ':': [1, 1.65], dotted: [1, 1.65] };
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const TICK_FONT = 8;
const LABEL_FONT = 9;
/** SVG units are points (1/72 in), so figsize maps 1:1 to matplotlib's inches. */
const PT_PER_IN = 72;

type Prim =
  | { kind: 'line'; x1: number; y1: number; x2: number; y2: number; stroke: string; width: number; dash?: number[] }
  | { kind: 'poly'; pts: [number, number][]; stroke: string; width: number; dash: number[]; label: string; clip: boolean }
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: string; stroke?: string; opacity?: number }
  | { kind: 'text'; x: number; y: number; text: string; size: number; anchor: 'start' | 'middle' | 'end'; baseline: 'top' | 'middle' | 'bottom'; rotate?: boolean };

interface Layout {
  width: number;
  height: number;
  plot: { x: number; y: number; w: number; h: number };
  prims: Prim[];
}

let clipIds = 0;

export class ProgressBoard {
  xlabel?: string;
  ylabel?: string;
  xlim?: [number, number];
  ylim?: [number, number];
  xscale: Scale;
  yscale: Scale;
  figsize: [number, number];
  display: boolean;
  svgPath?: string;
  canvas?: HTMLCanvasElement | null;
  ls: string[];
  colors: string[];
  readonly #raw = new Map<string, { x: number; y: number }[]>();
  readonly #data = new Map<string, Series>();
  #writing: Promise<void> | undefined;
  #dirty = false;
  #frame = false;
  readonly #clipId = `ferrograd-board-${++clipIds}`;

  constructor(opts: ProgressBoardOptions = {}) {
    this.xlabel = opts.xlabel;
    this.ylabel = opts.ylabel;
    this.xlim = opts.xlim;
    this.ylim = opts.ylim;
    this.xscale = opts.xscale ?? 'linear';
    this.yscale = opts.yscale ?? 'linear';
    this.figsize = opts.figsize ?? [3.5, 2.5];
    this.display = opts.display ?? true;
    this.svgPath = opts.svgPath;
    this.canvas = opts.canvas;
    this.ls = opts.ls ?? ['-', '--', '-.', ':'];
    this.colors = opts.colors ?? TAB10.slice(0, 4);
  }

  /** The averaged curves by label, in the order labels first appeared. */
  get series(): ReadonlyMap<string, Series> {
    return this.#data;
  }

  /**
   * Adds the point (x, y) to `label`'s curve. As in d2l, raw points are buffered per label and
   * their mean is plotted once `everyN` have arrived (so `everyN` batches make one point).
   */
  draw(x: number, y: number, label: string, everyN = 1): void {
    if (!Number.isInteger(everyN) || everyN < 1) throw new Error(`ProgressBoard.draw: everyN must be a positive integer, got ${everyN}`);
    if (typeof x !== 'number' || typeof y !== 'number') throw new Error(`ProgressBoard.draw: x and y must be numbers, got ${typeof x} and ${typeof y} for '${label}'`);
    let points = this.#raw.get(label);
    if (!points) {
      points = [];
      this.#raw.set(label, points);
      this.#data.set(label, { x: [], y: [] });
    }
    points.push({ x, y });
    if (points.length < everyN) return;
    const line = this.#data.get(label)!;
    line.x.push(points.reduce((s, p) => s + p.x, 0) / points.length);
    line.y.push(points.reduce((s, p) => s + p.y, 0) / points.length);
    points.length = 0;
    if (this.display) this.#show();
  }

  /** Forgets every point (a new `fit`). */
  clear(): void {
    this.#raw.clear();
    this.#data.clear();
  }

  /** A self-contained SVG of the current curves: axes with ticks, labels and a legend. */
  toSVG(): string {
    const L = this.#layout();
    const out: string[] = [];
    out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${n(this.figsize[0])}in" height="${n(this.figsize[1])}in" viewBox="0 0 ${n(L.width)} ${n(L.height)}" font-family="${FONT}">`);
    out.push(`<defs><clipPath id="${this.#clipId}"><rect x="${n(L.plot.x)}" y="${n(L.plot.y)}" width="${n(L.plot.w)}" height="${n(L.plot.h)}"/></clipPath></defs>`);
    for (const p of L.prims) out.push(svgPrim(p, this.#clipId));
    out.push('</svg>');
    return out.join('\n') + '\n';
  }

  /** Node: writes the SVG to `path` (default `svgPath`) atomically. */
  async save(path = this.svgPath): Promise<void> {
    if (!path) throw new Error('ProgressBoard.save: no path given and svgPath is not set');
    if (!isNode()) throw new Error('ProgressBoard.save: writing files needs Node, Deno or Bun; use toSVG() or a canvas in browsers');
    const fs = await nodeImport<NodeFs>('node:fs/promises');
    const nodePath = await nodeImport<NodePath>('node:path');
    const svg = this.toSVG();
    await fs.mkdir(nodePath.dirname(path), { recursive: true });
    const tmp = `${path}.partial-${Math.random().toString(36).slice(2, 8)}`;
    await fs.writeFile(tmp, svg);
    await fs.rename(tmp, path);
  }

  /** Waits for pending SVG writes started by `draw`. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Draws the current curves on a canvas (browsers). */
  drawCanvas(canvas: HTMLCanvasElement): void {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('ProgressBoard: the canvas has no 2d context');
    const L = this.#layout();
    const cssPerPt = 96 / PT_PER_IN;
    const dpr = (globalThis as { devicePixelRatio?: number }).devicePixelRatio ?? 1;
    canvas.width = Math.round(L.width * cssPerPt * dpr);
    canvas.height = Math.round(L.height * cssPerPt * dpr);
    canvas.style.width = `${L.width * cssPerPt}px`;
    canvas.style.height = `${L.height * cssPerPt}px`;
    ctx.setTransform(cssPerPt * dpr, 0, 0, cssPerPt * dpr, 0, 0);
    for (const p of L.prims) canvasPrim(ctx, p, L.plot);
  }

  #show(): void {
    if (isNode()) {
      if (this.svgPath) this.#scheduleWrite();
      return;
    }
    if (this.canvas === undefined && typeof document !== 'undefined' && document.body) {
      this.canvas = document.createElement('canvas');
      document.body.appendChild(this.canvas);
    }
    const canvas = this.canvas;
    if (!canvas) return;
    // coalesce the many points of one frame into one redraw
    if (typeof requestAnimationFrame === 'undefined') return this.drawCanvas(canvas);
    if (this.#frame) return;
    this.#frame = true;
    requestAnimationFrame(() => {
      this.#frame = false;
      this.drawCanvas(canvas);
    });
  }

  #scheduleWrite(): void {
    this.#dirty = true;
    if (this.#writing) return;
    this.#writing = (async () => {
      try {
        while (this.#dirty) {
          this.#dirty = false;
          await this.save();
        }
      } catch (e) {
        console.warn(`ProgressBoard: could not write ${this.svgPath}: ${(e as Error).message}`);
      } finally {
        this.#writing = undefined;
      }
    })();
  }

  #layout(): Layout {
    const width = this.figsize[0] * PT_PER_IN;
    const height = this.figsize[1] * PT_PER_IN;
    const left = this.ylabel ? 52 : 40;
    const bottom = this.xlabel ? 32 : 20;
    const plot = { x: left, y: 8, w: Math.max(10, width - left - 10), h: Math.max(10, height - bottom - 8) };
    const prims: Prim[] = [{ kind: 'rect', x: 0, y: 0, w: width, h: height, fill: '#ffffff' }];
    const labels = [...this.#data.keys()];
    const xs = [...this.#data.values()].flatMap((s) => s.x);
    const ys = [...this.#data.values()].flatMap((s) => s.y);
    const xa = axis(xs, this.xlim, this.xscale);
    const ya = axis(ys, this.ylim, this.yscale);
    const sx = (v: number): number => plot.x + ((xa.f(v) - xa.f(xa.lo)) / (xa.f(xa.hi) - xa.f(xa.lo))) * plot.w;
    const sy = (v: number): number => plot.y + plot.h - ((ya.f(v) - ya.f(ya.lo)) / (ya.f(ya.hi) - ya.f(ya.lo))) * plot.h;
    const axisColor = '#000000';
    for (const t of xa.ticks) {
      const px = sx(t.v);
      prims.push({ kind: 'line', x1: px, y1: plot.y + plot.h, x2: px, y2: plot.y + plot.h + 3.5, stroke: axisColor, width: 0.8 });
      prims.push({ kind: 'text', x: px, y: plot.y + plot.h + 5, text: t.label, size: TICK_FONT, anchor: 'middle', baseline: 'top' });
    }
    for (const t of ya.ticks) {
      const py = sy(t.v);
      prims.push({ kind: 'line', x1: plot.x - 3.5, y1: py, x2: plot.x, y2: py, stroke: axisColor, width: 0.8 });
      prims.push({ kind: 'text', x: plot.x - 5, y: py, text: t.label, size: TICK_FONT, anchor: 'end', baseline: 'middle' });
    }
    labels.forEach((label, i) => {
      const s = this.#data.get(label)!;
      const style = this.#style(i);
      const runs: [number, number][][] = [[]];
      for (let k = 0; k < s.x.length; k++) {
        const x = s.x[k]!;
        const y = s.y[k]!;
        const ok = Number.isFinite(x) && Number.isFinite(y) && (this.xscale !== 'log' || x > 0) && (this.yscale !== 'log' || y > 0);
        if (ok) runs[runs.length - 1]!.push([sx(x), sy(y)]);
        else if (runs[runs.length - 1]!.length) runs.push([]);
      }
      for (const pts of runs) if (pts.length) prims.push({ kind: 'poly', pts, stroke: style.color, width: LINE_WIDTH, dash: style.dash, label, clip: true });
    });
    prims.push({ kind: 'rect', x: plot.x, y: plot.y, w: plot.w, h: plot.h, fill: 'none', stroke: axisColor });
    if (this.xlabel) prims.push({ kind: 'text', x: plot.x + plot.w / 2, y: height - 3, text: this.xlabel, size: LABEL_FONT, anchor: 'middle', baseline: 'bottom' });
    if (this.ylabel) prims.push({ kind: 'text', x: 10, y: plot.y + plot.h / 2, text: this.ylabel, size: LABEL_FONT, anchor: 'middle', baseline: 'middle', rotate: true });
    if (labels.length) prims.push(...this.#legend(labels, plot, sx, sy));
    return { width, height, plot, prims };
  }

  #style(i: number): { color: string; dash: number[] } {
    const ls = this.ls[i % this.ls.length] ?? '-';
    const dash = (DASHES[ls] ?? []).map((d) => d * LINE_WIDTH);
    return { color: this.colors[i % this.colors.length] ?? TAB10[i % TAB10.length]!, dash };
  }

  /** matplotlib's loc='best', simplified: the corner whose box covers the fewest points. */
  #legend(labels: string[], plot: Layout['plot'], sx: (v: number) => number, sy: (v: number) => number): Prim[] {
    const row = LABEL_FONT * 1.35;
    const sample = 18;
    const textW = Math.max(...labels.map((l) => l.length)) * LABEL_FONT * 0.6;
    const w = 4 + sample + 5 + textW + 4;
    const h = labels.length * row + 4;
    const pad = 4;
    const corners = [
      { x: plot.x + plot.w - w - pad, y: plot.y + pad },
      { x: plot.x + pad, y: plot.y + pad },
      { x: plot.x + pad, y: plot.y + plot.h - h - pad },
      { x: plot.x + plot.w - w - pad, y: plot.y + plot.h - h - pad },
    ];
    const pts = [...this.#data.values()].flatMap((s) => s.x.map((x, k) => [sx(x), sy(s.y[k]!)] as const));
    let best = corners[0]!;
    let fewest = Infinity;
    for (const c of corners) {
      const inside = pts.filter(([px, py]) => px >= c.x && px <= c.x + w && py >= c.y && py <= c.y + h).length;
      if (inside < fewest) {
        fewest = inside;
        best = c;
      }
    }
    const prims: Prim[] = [{ kind: 'rect', x: best.x, y: best.y, w, h, fill: '#ffffff', stroke: '#cccccc', opacity: 0.8 }];
    labels.forEach((label, i) => {
      const style = this.#style(i);
      const cy = best.y + 2 + row * (i + 0.5);
      prims.push({ kind: 'poly', pts: [[best.x + 4, cy], [best.x + 4 + sample, cy]], stroke: style.color, width: LINE_WIDTH, dash: style.dash, label: `legend:${label}`, clip: false });
      prims.push({ kind: 'text', x: best.x + 4 + sample + 5, y: cy, text: label, size: LABEL_FONT, anchor: 'start', baseline: 'middle' });
    });
    return prims;
  }
}

interface Axis {
  lo: number;
  hi: number;
  f: (v: number) => number;
  ticks: { v: number; label: string }[];
}

/** Limits (given, or the data's range with matplotlib's 5% margins) and "nice" ticks. */
function axis(values: number[], lim: [number, number] | undefined, scale: Scale): Axis {
  const log = scale === 'log';
  const f = log ? Math.log10 : (v: number): number => v;
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo: number;
  let hi: number;
  if (lim) {
    [lo, hi] = lim;
  } else if (finite.length === 0) {
    [lo, hi] = log ? [1, 10] : [0, 1];
  } else {
    const a = f(Math.min(...finite));
    const b = f(Math.max(...finite));
    const span = b - a || Math.max(Math.abs(a) * 0.1, 0.5);
    const m = b - a ? span * 0.05 : span;
    lo = log ? 10 ** (a - m) : a - m;
    hi = log ? 10 ** (b + m) : b + m;
  }
  if (!(lo < hi)) hi = lo + (log ? lo * 9 : 1);
  return { lo, hi, f, ticks: log ? logTicks(lo, hi) : linearTicks(lo, hi) };
}

function linearTicks(lo: number, hi: number): { v: number; label: string }[] {
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  let decimals = 0;
  while (decimals < 12 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6 * step * 10 ** decimals) decimals++;
  const ticks: { v: number; label: string }[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    const v = k * step;
    ticks.push({ v, label: (Math.abs(v) < step * 1e-9 ? 0 : v).toFixed(decimals) });
  }
  return ticks;
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

function logTicks(lo: number, hi: number): { v: number; label: string }[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const ticks: { v: number; label: string }[] = [];
  const mults = b - a <= 1 ? [1, 2, 5] : [1];
  for (let e = a; e <= b; e++) {
    for (const m of mults) {
      const v = m * 10 ** e;
      if (v < lo * (1 - 1e-9) || v > hi * (1 + 1e-9)) continue;
      const pow = `10${String(e).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`;
      ticks.push({ v, label: m === 1 ? pow : `${m}×${pow}` });
    }
  }
  return ticks;
}

function n(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function svgPrim(p: Prim, clipId: string): string {
  switch (p.kind) {
    case 'line':
      return `<line x1="${n(p.x1)}" y1="${n(p.y1)}" x2="${n(p.x2)}" y2="${n(p.y2)}" stroke="${p.stroke}" stroke-width="${p.width}"/>`;
    case 'rect':
      return `<rect x="${n(p.x)}" y="${n(p.y)}" width="${n(p.w)}" height="${n(p.h)}" fill="${p.fill}"${p.stroke ? ` stroke="${p.stroke}" stroke-width="0.8"` : ''}${p.opacity !== undefined ? ` fill-opacity="${p.opacity}"` : ''}/>`;
    case 'poly': {
      const cls = p.label.startsWith('legend:') ? 'legend-line' : 'series';
      const label = p.label.replace(/^legend:/, '');
      const dash = p.dash.length ? ` stroke-dasharray="${p.dash.map(n).join(',')}"` : '';
      const clip = p.clip ? ` clip-path="url(#${clipId})"` : '';
      return `<polyline class="${cls}" data-label="${esc(label)}" fill="none" stroke="${p.stroke}" stroke-width="${p.width}"${dash} stroke-linejoin="round"${clip} points="${p.pts.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}"/>`;
    }
    case 'text': {
      const rot = p.rotate ? ` transform="rotate(-90 ${n(p.x)} ${n(p.y)})"` : '';
      return `<text x="${n(p.x)}" y="${n(p.y + baselineShift(p))}" font-size="${p.size}" text-anchor="${p.anchor}"${rot}>${esc(p.text)}</text>`;
    }
  }
}

/**
 * Offset from the anchor point to the alphabetic baseline. Computed here rather than left to
 * `dominant-baseline`, which SVG renderers (librsvg, some viewers) ignore or interpret differently.
 */
function baselineShift(p: Extract<Prim, { kind: 'text' }>): number {
  if (p.baseline === 'top') return p.size * 0.76;
  if (p.baseline === 'bottom') return -p.size * 0.22;
  return p.size * 0.36;
}

function canvasPrim(ctx: CanvasRenderingContext2D, p: Prim, plot: Layout['plot']): void {
  ctx.save();
  switch (p.kind) {
    case 'line':
      ctx.strokeStyle = p.stroke;
      ctx.lineWidth = p.width;
      ctx.beginPath();
      ctx.moveTo(p.x1, p.y1);
      ctx.lineTo(p.x2, p.y2);
      ctx.stroke();
      break;
    case 'rect':
      if (p.fill !== 'none') {
        ctx.globalAlpha = p.opacity ?? 1;
        ctx.fillStyle = p.fill;
        ctx.fillRect(p.x, p.y, p.w, p.h);
        ctx.globalAlpha = 1;
      }
      if (p.stroke) {
        ctx.strokeStyle = p.stroke;
        ctx.lineWidth = 0.8;
        ctx.strokeRect(p.x, p.y, p.w, p.h);
      }
      break;
    case 'poly':
      if (p.clip) {
        ctx.beginPath();
        ctx.rect(plot.x, plot.y, plot.w, plot.h);
        ctx.clip();
      }
      ctx.strokeStyle = p.stroke;
      ctx.lineWidth = p.width;
      ctx.lineJoin = 'round';
      ctx.setLineDash(p.dash);
      ctx.beginPath();
      p.pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.stroke();
      break;
    case 'text':
      ctx.fillStyle = '#000000';
      ctx.font = `${p.size}px ${FONT}`;
      ctx.textAlign = p.anchor === 'middle' ? 'center' : p.anchor;
      ctx.textBaseline = 'alphabetic';
      ctx.translate(p.x, p.y);
      if (p.rotate) ctx.rotate(-Math.PI / 2);
      ctx.fillText(p.text, 0, baselineShift(p));
      break;
  }
  ctx.restore();
}
