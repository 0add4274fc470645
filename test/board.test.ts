import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProgressBoard } from '../ts/d2l/board.js';
import { ProgressBar, fmtMetric, type ProgressStream } from '../ts/d2l/progress.js';

const tmp = mkdtempSync(join(tmpdir(), 'ferrograd-board-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Poly {
  cls: string;
  label: string;
  stroke: string;
  dash: string | undefined;
  points: [number, number][];
}

/** The polylines of an SVG, parsed. */
function polylines(svg: string): Poly[] {
  return [...svg.matchAll(/<polyline ([^>]*)\/>/g)].map((m) => {
    const attr = (name: string): string | undefined => new RegExp(`${name}="([^"]*)"`).exec(m[1]!)?.[1];
    return {
      cls: attr('class')!,
      label: attr('data-label')!,
      stroke: attr('stroke')!,
      dash: attr('stroke-dasharray'),
      points: attr('points')!
        .split(' ')
        .map((p) => p.split(',').map(Number) as [number, number]),
    };
  });
}

const texts = (svg: string): string[] => [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

/** What d2l's Trainer draws: 2 train_loss points per epoch (every_n = batches/2), 1 val point each. */
function trainLikeD2l(board: ProgressBoard, epochs: number, batches: number): void {
  for (let e = 0; e < epochs; e++) {
    for (let b = 0; b < batches; b++) {
      const step = e * batches + b + 1;
      board.draw(step / batches, 2 / (1 + step / 5), 'train_loss', batches / 2);
    }
    board.draw(e + 1, 1.5 / (e + 2), 'val_loss', 1);
    board.draw(e + 1, 0.5 + e * 0.1, 'val_acc', 1);
  }
}

describe('ProgressBoard', () => {
  it('averages every_n points per label, as d2l does', () => {
    const board = new ProgressBoard({ display: false });
    for (let i = 1; i <= 12; i++) board.draw(i, 2 * i, 'train_loss', 5);
    board.draw(0.5, 0.25, 'val_acc');
    expect(board.series.get('train_loss')).toEqual({ x: [3, 8], y: [6, 16] });
    expect(board.series.get('val_acc')).toEqual({ x: [0.5], y: [0.25] });
    expect([...board.series.keys()]).toEqual(['train_loss', 'val_acc']);
    expect(() => board.draw(1, 1, 'x', 0)).toThrow('ProgressBoard.draw: everyN must be a positive integer, got 0');
  });

  it('renders a self-contained SVG: one styled polyline per series, a legend, axes with ticks', () => {
    const board = new ProgressBoard({ xlabel: 'epoch', xlim: [0, 3], display: false });
    trainLikeD2l(board, 3, 10);
    const svg = board.toSVG();
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="3.5in" height="2.5in" viewBox="0 0 252 180"')).toBe(true);
    const series = polylines(svg).filter((p) => p.cls === 'series');
    expect(series.map((p) => [p.label, p.points.length])).toEqual([
      ['train_loss', 6],
      ['val_loss', 3],
      ['val_acc', 3],
    ]);
    // d2l's styles: C0 '-', C1 '--', C2 '-.' (matplotlib's dash patterns at linewidth 1.5)
    expect(series.map((p) => [p.stroke, p.dash])).toEqual([
      ['#1f77b4', undefined],
      ['#ff7f0e', '5.55,2.4'],
      ['#2ca02c', '9.6,2.4,1.5,2.4'],
    ]);
    const legend = polylines(svg).filter((p) => p.cls === 'legend-line');
    expect(legend.map((p) => p.label)).toEqual(['train_loss', 'val_loss', 'val_acc']);
    const t = texts(svg);
    expect(t).toEqual(expect.arrayContaining(['0', '1', '2', '3', 'epoch', 'train_loss', 'val_loss', 'val_acc']));
    // x maps linearly onto the clip rectangle (the plot area): epoch 1 → a third of the way
    const clip = /<clipPath id="[^"]+"><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"\/>/.exec(svg)!.slice(1).map(Number);
    const [px, py, pw, ph] = clip as [number, number, number, number];
    const val = series[1]!.points;
    expect(val[0]![0]).toBeCloseTo(px + pw / 3, 1);
    expect(val[2]![0]).toBeCloseTo(px + pw, 1);
    for (const p of series) for (const [, y] of p.points) expect(y).toBeGreaterThanOrEqual(py - 1e-9), expect(y).toBeLessThanOrEqual(py + ph + 1e-9);
    // the lowest loss is drawn lowest (SVG y grows downwards)
    const train = series[0]!.points;
    expect(train[5]![1]).toBeGreaterThan(train[0]![1]);
    // well-formed XML, checked by an independent parser
    if (existsSync('/usr/bin/python3')) {
      const out = execFileSync('/usr/bin/python3', ['-c', 'import sys, xml.etree.ElementTree as ET; r = ET.fromstring(sys.stdin.read()); print(len(r.findall(".//{http://www.w3.org/2000/svg}polyline")))'], { input: svg });
      expect(out.toString().trim()).toBe('6');
    }
  });

  it('ticks: nice linear steps, log decades, fixed limits', () => {
    const board = new ProgressBoard({ display: false, ylim: [0, 1], xlim: [0, 10] });
    board.draw(5, 0.5, 'a');
    const t = texts(board.toSVG());
    expect(t).toEqual(expect.arrayContaining(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0', '0', '2', '4', '6', '8', '10']));
    const [a] = polylines(board.toSVG());
    const clip = /<clipPath id="[^"]+"><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(board.toSVG())!.slice(1).map(Number);
    expect(a!.points[0]![0]).toBeCloseTo(clip[0]! + clip[2]! / 2, 1);
    expect(a!.points[0]![1]).toBeCloseTo(clip[1]! + clip[3]! / 2, 1);

    const log = new ProgressBoard({ display: false, yscale: 'log' });
    for (let i = 0; i <= 3; i++) log.draw(i, 10 ** -i, 'loss');
    log.draw(4, 0, 'loss'); // not drawable on a log axis: skipped, the line stays whole
    const lt = texts(log.toSVG());
    expect(lt).toEqual(expect.arrayContaining(['10⁻³', '10⁻²', '10⁻¹', '10⁰']));
    const [line] = polylines(log.toSVG());
    expect(line!.points.length).toBe(4);
    // equal ratios are equal distances on a log axis
    const ys = line!.points.map((p) => p[1]);
    expect(ys[1]! - ys[0]!).toBeCloseTo(ys[3]! - ys[2]!, 1);
  });

  it('breaks lines at non-finite values and escapes labels', () => {
    const board = new ProgressBoard({ display: false, ylabel: 'loss & <acc>' });
    [1, 2, NaN, 3, 4].forEach((y, x) => board.draw(x, y, 'a<b>'));
    const svg = board.toSVG();
    const series = polylines(svg).filter((p) => p.cls === 'series');
    expect(series.map((p) => p.points.length)).toEqual([2, 2]);
    expect(series[0]!.label).toBe('a&lt;b&gt;');
    expect(texts(svg)).toContain('loss &amp; &lt;acc&gt;');
  });

  it('writes the SVG to svgPath as points arrive, and on save()', async () => {
    const svgPath = join(tmp, 'plots', 'board.svg');
    const board = new ProgressBoard({ svgPath, xlabel: 'epoch' });
    trainLikeD2l(board, 2, 4);
    await board.flush();
    expect(readFileSync(svgPath, 'utf8')).toBe(board.toSVG());
    expect(polylines(readFileSync(svgPath, 'utf8')).filter((p) => p.cls === 'series').map((p) => p.points.length)).toEqual([4, 2, 2]);
    const other = join(tmp, 'other.svg');
    await board.save(other);
    expect(readFileSync(other, 'utf8')).toBe(board.toSVG());
    const quiet = new ProgressBoard({ svgPath: join(tmp, 'never.svg'), display: false });
    quiet.draw(1, 1, 'a');
    await quiet.flush();
    expect(existsSync(join(tmp, 'never.svg'))).toBe(false);
    await expect(new ProgressBoard().save()).rejects.toThrow('ProgressBoard.save: no path given and svgPath is not set');
  });

  it('draws the same layout on a canvas', () => {
    const calls: string[] = [];
    const text: string[] = [];
    const ctx = new Proxy(
      {},
      {
        get: (_t, prop: string) => {
          if (prop === 'fillText') return (s: string) => text.push(s);
          return (..._args: unknown[]) => calls.push(prop);
        },
        set: () => true,
      },
    );
    const canvas = { width: 0, height: 0, style: {} as Record<string, string>, getContext: () => ctx } as unknown as HTMLCanvasElement;
    const board = new ProgressBoard({ display: false, xlabel: 'epoch' });
    trainLikeD2l(board, 2, 4);
    board.drawCanvas(canvas);
    expect(canvas.width).toBe(336); // 3.5in at 96 css px per inch
    expect(canvas.height).toBe(240);
    expect(text).toEqual(expect.arrayContaining(['epoch', 'train_loss', 'val_loss', 'val_acc']));
    expect(calls.filter((c) => c === 'setLineDash').length).toBe(6); // 3 series + 3 legend samples

    // in a browser, draw() redraws the canvas live
    const versions = Object.getOwnPropertyDescriptor(process, 'versions')!;
    Object.defineProperty(process, 'versions', { ...versions, value: { ...process.versions, node: undefined } });
    try {
      const live = { width: 0, height: 0, style: {} as Record<string, string>, getContext: () => ctx } as unknown as HTMLCanvasElement;
      const b = new ProgressBoard({ canvas: live, figsize: [5, 3] });
      text.length = 0;
      b.draw(1, 0.5, 'val_acc');
      expect(live.width).toBe(480);
      expect(text).toContain('val_acc');
    } finally {
      Object.defineProperty(process, 'versions', versions);
    }
  });
});

describe('ProgressBar', () => {
  const stream = (isTTY: boolean, columns?: number): ProgressStream & { out: string[] } => {
    const out: string[] = [];
    return { out, isTTY, ...(columns ? { columns } : {}), write: (s: string) => out.push(s) };
  };

  it('on a TTY redraws one line at most every 100 ms, with rate, ETA and metrics', () => {
    let now = 0;
    const s = stream(true);
    const bar = new ProgressBar({ total: 10, label: 'epoch 1/2', stream: s, width: 10, now: () => now });
    bar.update(1);
    now = 50;
    bar.update(2);
    expect(s.out.length).toBe(1);
    now = 1000;
    bar.update(5, { loss: 0.43214, acc: 0.88 });
    expect(s.out.length).toBe(2);
    expect(s.out[1]).toBe('\repoch 1/2  50% |█████░░░░░| 5/10 [00:01<00:01, 5.0it/s] loss=0.4321 acc=0.8800\x1b[K');
    now = 2000;
    bar.finish({ loss: 0.3 });
    expect(s.out.at(-1)).toBe('\repoch 1/2 100% |██████████| 10/10 [00:02<00:00, 5.0it/s] loss=0.3000 acc=0.8800\x1b[K\n');
    bar.update(3);
    expect(s.out.length).toBe(3);
  });

  it('in logs prints the final line (and one every 10 s), narrowing nothing', () => {
    let now = 0;
    const s = stream(false);
    const bar = new ProgressBar({ total: 100, stream: s, now: () => now });
    for (let i = 1; i <= 50; i++) {
      now = i * 100;
      bar.update(i);
    }
    expect(s.out).toEqual([]);
    now = 10_000;
    bar.update(60);
    expect(s.out.length).toBe(1);
    bar.close();
    expect(s.out.at(-1)).toMatch(/^ 60% \|█{14}░{10}\| 60\/100 \[00:10<00:07, 6\.0it\/s\]\n$/);
  });

  it('sizes in bytes, and fits the terminal width', () => {
    let now = 0;
    const s = stream(true, 60);
    const bar = new ProgressBar({ total: 26_421_880, label: 'downloading x.gz', unit: 'bytes', stream: s, width: 40, now: () => now });
    now = 2000;
    bar.update(13_210_940);
    const line = s.out[0]!.replace('\r', '').replace('\x1b[K', '');
    expect(line).toContain('12.6MB/25.2MB');
    expect(line).toContain('6.3MB/s');
    expect(line.length).toBeLessThanOrEqual(59);
    expect(fmtMetric(3)).toBe('3');
    expect(fmtMetric(1234.5678)).toBe('1234.6');
  });
});
