/**
 * A terminal progress bar with running metrics, for the Trainer's epochs and dataset downloads:
 * `epoch 3/10  45% |█████████░░░░░░░░░░░| 423/938 [00:12<00:15, 35.2it/s] loss=0.4321 acc=0.8812`.
 * On a TTY it redraws one line (at most every 100 ms); elsewhere (CI logs, pipes) it prints the
 * final line, plus one line every 10 s for long runs, so logs stay short.
 * @module
 */

/** The part of a Node writable stream the bar uses: `process.stderr` or any `NodeJS.WritableStream` fits. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  total: number;
  label?: string;
  /** Where to draw (default `process.stderr`; without one, only the final line is logged to the console). */
  stream?: ProgressStream;
  /** Width of the bar in characters (24; narrowed to fit the terminal). */
  width?: number;
  /** `'it'` counts items; `'bytes'` shows sizes and rates in kB/MB. */
  unit?: 'it' | 'bytes';
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
}

const REDRAW_MS = 100;
const LOG_EVERY_MS = 10_000;

export class ProgressBar {
  readonly total: number;
  readonly label: string;
  readonly #stream: ProgressStream | undefined;
  readonly #tty: boolean;
  readonly #width: number;
  readonly #unit: 'it' | 'bytes';
  readonly #now: () => number;
  readonly #start: number;
  #lastDraw = -Infinity;
  #lastLog: number;
  #done = 0;
  #metrics: Record<string, number> = {};
  #closed = false;

  constructor(opts: ProgressBarOptions) {
    if (!(Number.isFinite(opts.total) && opts.total >= 0)) throw new Error(`ProgressBar: total must be a non-negative number, got ${opts.total}`);
    this.total = opts.total;
    this.label = opts.label ?? '';
    const proc = (globalThis as { process?: { stderr?: ProgressStream } }).process;
    this.#stream = opts.stream ?? proc?.stderr;
    this.#tty = this.#stream?.isTTY === true;
    this.#width = Math.max(1, Math.floor(opts.width ?? 24));
    this.#unit = opts.unit ?? 'it';
    this.#now = opts.now ?? (() => (typeof performance !== 'undefined' ? performance.now() : Date.now()));
    this.#start = this.#now();
    this.#lastLog = this.#start;
  }

  /** Sets the count done so far (and the latest metrics) and redraws when due. */
  update(done: number, metrics?: Record<string, number>): void {
    if (this.#closed) return;
    this.#done = Math.max(0, Math.min(done, this.total));
    if (metrics) this.#metrics = { ...this.#metrics, ...metrics };
    const t = this.#now();
    if (this.#tty) {
      if (t - this.#lastDraw >= REDRAW_MS) {
        this.#lastDraw = t;
        this.#write(`\r${this.render(t)}\x1b[K`);
      }
    } else if (t - this.#lastLog >= LOG_EVERY_MS) {
      this.#lastLog = t;
      this.#write(`${this.render(t)}\n`);
    }
  }

  /** Marks the bar complete, prints its final line with the metrics, and ends the line. */
  finish(metrics?: Record<string, number>): void {
    if (this.#closed) return;
    this.#done = this.total;
    this.close(metrics);
  }

  /** Ends the line where the bar stands (e.g. after a failure), without marking it complete. */
  close(metrics?: Record<string, number>): void {
    if (this.#closed) return;
    if (metrics) this.#metrics = { ...this.#metrics, ...metrics };
    this.#closed = true;
    const line = this.render(this.#now());
    if (this.#stream) this.#write(this.#tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    else console.log(line);
  }

  /** The bar's current line (no control characters). */
  render(now = this.#now()): string {
    const elapsed = Math.max(0, (now - this.#start) / 1000);
    const frac = this.total > 0 ? this.#done / this.total : 1;
    const pct = `${Math.floor(frac * 100)}`.padStart(3);
    const rate = elapsed > 0 ? this.#done / elapsed : 0;
    const eta = rate > 0 ? (this.total - this.#done) / rate : undefined;
    const counts = this.#unit === 'bytes' ? `${bytes(this.#done)}/${bytes(this.total)}` : `${this.#done}/${this.total}`;
    const speed = this.#unit === 'bytes' ? `${bytes(rate)}/s` : `${rate >= 100 ? rate.toFixed(0) : rate.toFixed(1)}it/s`;
    const timing = `[${clock(elapsed)}<${eta === undefined ? '?' : clock(eta)}, ${speed}]`;
    const metrics = Object.entries(this.#metrics)
      .map(([k, v]) => `${k}=${fmtMetric(v)}`)
      .join(' ');
    const head = this.label ? `${this.label} ` : '';
    const tail = ` ${counts} ${timing}${metrics ? ` ${metrics}` : ''}`;
    let width = this.#width;
    // a line wider than the terminal wraps, and `\r` then redraws only its last row
    const cols = this.#tty ? this.#stream?.columns : undefined;
    if (cols) width = Math.min(width, cols - 1 - head.length - pct.length - 4 - tail.length);
    if (width < 4) return `${head}${pct}%${tail}`.slice(0, cols ? cols - 1 : undefined);
    const filled = Math.round(frac * width);
    return `${head}${pct}% |${'█'.repeat(filled)}${'░'.repeat(width - filled)}|${tail}`;
  }

  #write(s: string): void {
    this.#stream?.write(s);
  }
}

function clock(s: number): string {
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  const mm = `${m}`.padStart(2, '0');
  const ss = `${sec}`.padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)}B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)}kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)}MB`;
  return `${(n / 1024 ** 3).toFixed(2)}GB`;
}

/** Metrics as d2l prints them: 4 decimals, integers as integers. */
export function fmtMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(4);
}
