/**
 * Getting out of the training loop's way: a rate-bounded progress stream and a cheap yield.
 * @module
 */
import type { BatchEvent, EpochEvent, ProgressCallback } from '../ts/workers/types.js';

/** Events that may be in flight to a slow main thread before batch events are coalesced. */
const MAX_IN_FLIGHT = 4;

/**
 * Sends at most `hz` batch events per second, each averaging the batches since the last one, so
 * a 60 img/s and a 10,000 img/s trainer cost the main thread the same; epoch events always go,
 * after the batches they close. A main thread that falls behind gets fewer, larger events.
 */
export class ProgressEmitter {
  readonly #cb: ProgressCallback | undefined;
  readonly #gapMs: number;
  #last = Number.NEGATIVE_INFINITY;
  readonly #inFlight = new Set<Promise<void>>();
  #loss = 0;
  #acc = 0;
  #count = 0;
  #pending: Omit<BatchEvent, 'loss' | 'acc' | 'count' | 'type'> | undefined;

  constructor(cb: ProgressCallback | undefined, hz: number) {
    if (!(hz > 0)) throw new Error(`fit: progressHz must be positive, got ${hz}`);
    this.#cb = cb;
    this.#gapMs = 1000 / hz;
  }

  batch(ev: Omit<BatchEvent, 'type' | 'count'>): void {
    if (!this.#cb) return;
    const { loss, acc, ...rest } = ev;
    this.#loss += loss;
    this.#acc += acc;
    this.#count += 1;
    this.#pending = rest;
    const now = performance.now();
    if (now - this.#last >= this.#gapMs && this.#inFlight.size < MAX_IN_FLIGHT) {
      this.#last = now;
      this.flush();
    }
  }

  /** Sends the batches not yet reported, if any. */
  flush(): void {
    if (!this.#pending || this.#count === 0) return;
    const ev: BatchEvent = { type: 'batch', ...this.#pending, loss: this.#loss / this.#count, acc: this.#acc / this.#count, count: this.#count };
    this.#loss = 0;
    this.#acc = 0;
    this.#count = 0;
    this.#pending = undefined;
    this.#send(ev);
  }

  epoch(ev: EpochEvent): void {
    if (!this.#cb) return;
    this.flush();
    this.#send(ev);
  }

  #send(ev: BatchEvent | EpochEvent): void {
    // a Comlink callback answers with a promise; a throwing listener must not stop training
    const p: Promise<void> = Promise.resolve()
      .then(() => this.#cb!(ev))
      .then(
        () => {},
        () => {},
      )
      .finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  /**
   * Waits until the listener has received every event sent: callbacks travel on their own
   * MessagePort, so without this `fit()` could resolve before its last events arrive.
   */
  async drain(): Promise<void> {
    this.flush();
    while (this.#inFlight.size) await Promise.all([...this.#inFlight]);
  }
}

/**
 * Lets queued messages (pause, cancel, checkpoint, ping) run, for microseconds instead of the
 * 1–4 ms a nested `setTimeout` costs: `setImmediate` under Node and Bun, a MessageChannel in
 * browsers and Deno.
 */
export const yieldNow: () => Promise<void> = (() => {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return () => new Promise<void>((resolve) => void setImmediate(resolve));
  }
  let channel: MessageChannel | undefined;
  const queue: (() => void)[] = [];
  return () =>
    new Promise<void>((resolve) => {
      if (!channel) {
        channel = new MessageChannel();
        channel.port1.onmessage = () => queue.shift()?.();
      }
      queue.push(resolve);
      channel.port2.postMessage(0);
    });
})();
