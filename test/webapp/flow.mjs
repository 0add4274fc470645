// @ts-check
// The web trainer (examples/web-trainer), driven as a user would in headless Chromium: load the
// real Fashion-MNIST files, train LeNet in the worker while the plot fills, pause, resume,
// cancel, read the accuracy, save the weights, reload the page, load them back and get the same
// predictions; draw and drop images on the pad. Screenshots go to `shots`. Run by
// scripts/test-webapp.mjs against a `vite build` of the app installed from the packed tarball.
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** @typedef {import('playwright-core').Page} Page */

/**
 * @param {boolean} ok
 * @param {string} what
 * @returns {asserts ok}
 */
function check(ok, what) {
  if (!ok) throw new Error(`web app: ${what}`);
}

/**
 * @param {Page} page
 * @param {string} selector
 * @param {string} attr
 */
const attr = (page, selector, attr) => page.locator(selector).getAttribute(attr);
/** @param {Page} page */
const points = async (page) => Number(await attr(page, '#plot', 'data-points'));
/** @param {Page} page */
const state = (page) => attr(page, 'body', 'data-state');

/**
 * @param {Page} page
 * @param {string} s
 * @param {number} [timeout]
 */
async function waitState(page, s, timeout = 120_000) {
  await page.waitForFunction((want) => document.body.dataset['state'] === want, s, { timeout });
}

/** Waits until the grid shows predictions from the newest weights the predictor received. @param {Page} page */
async function gridSettled(page) {
  await page.waitForFunction(() => {
    const v = document.getElementById('grid')?.dataset['version'];
    return v !== undefined && v === document.body.dataset['weights'];
  }, null, { timeout: 120_000 });
  return page.$$eval('.tile', (tiles) => tiles.map((t) => Number(/** @type {HTMLElement} */ (t).dataset['pred'])));
}

/** The pad's class probabilities, best first, as the page shows them. @param {Page} page */
async function probabilities(page) {
  return page.$$eval('#probs li', (lis) => lis.map((li) => ({ c: Number(/** @type {HTMLElement} */ (li).dataset['class']), p: /** @type {HTMLElement} */ (li).dataset['p'] ?? '' })));
}

/**
 * Drops grid tile `k`'s image on the pad as a PNG file, as a user dragging it from disk would.
 * @param {Page} page
 * @param {number} k
 */
async function dropTile(page, k) {
  const before = await page.$eval('#probs', (el) => el.innerHTML);
  await page.evaluate(async (i) => {
    const canvas = /** @type {HTMLCanvasElement} */ (document.querySelector(`.tile[data-index="${i}"] canvas`));
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
    const dt = new DataTransfer();
    dt.items.add(new File([/** @type {Blob} */ (blob)], `test-${i}.png`, { type: 'image/png' }));
    document.getElementById('draw')?.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, k);
  await page.waitForFunction((b) => document.getElementById('probs')?.innerHTML !== b && document.querySelectorAll('#probs li').length === 10, before);
  return probabilities(page);
}

/**
 * @param {Page} page
 * @param {Record<string, string>} values  input/select id → value
 */
async function setForm(page, values) {
  for (const [id, v] of Object.entries(values)) {
    const tag = await page.$eval(`#${id}`, (el) => el.tagName);
    if (tag === 'SELECT') await page.selectOption(`#${id}`, v);
    else await page.fill(`#${id}`, v);
  }
}

/**
 * Records long main-thread tasks (Long Tasks API) from the first script on.
 * @param {Page} page
 */
export async function watchLongTasks(page) {
  await page.addInitScript(() => {
    const w = /** @type {{ __longTasks?: { start: number, duration: number }[] }} */ (/** @type {unknown} */ (window));
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks?.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/**
 * The longest main-thread task between two page times (ms).
 * @param {Page} page
 * @param {number} from
 * @param {number} to
 */
async function longestTask(page, from, to) {
  return page.evaluate(
    ([a, b]) => Math.max(0, ...(/** @type {{ __longTasks?: { start: number, duration: number }[] }} */ (/** @type {unknown} */ (window)).__longTasks ?? []).filter((t) => t.start + t.duration >= a && t.start <= b).map((t) => t.duration)),
    [from, to],
  );
}

/** @param {Page} page */
const now = (page) => page.evaluate(() => performance.now());

/**
 * The full flow on a cross-origin-isolated page whose dataset comes from `?data=`.
 * @param {Page} page
 * @param {{ url: string, shots: string, weightsFile: string, log: (line: string) => void }} o
 */
export async function isolatedFlow(page, { url, shots, weightsFile, log }) {
  mkdirSync(shots, { recursive: true });
  const shot = (/** @type {string} */ name) => page.screenshot({ path: path.join(shots, name), fullPage: true });
  await page.goto(`${url}?data=/data/`);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true', null, { timeout: 120_000 });
  check((await attr(page, 'body', 'data-isolated')) === 'true', 'the page served with COOP/COEP should be cross-origin isolated');
  check(await page.evaluate(() => globalThis.crossOriginIsolated), 'crossOriginIsolated should be true');
  await page.waitForFunction(() => document.getElementById('data-status')?.dataset['train'] === '60000', null, { timeout: 180_000 });
  check((await attr(page, '#data-status', 'data-val')) === '10000', 'the test split should hold 10000 images');
  check((await page.$$('.tile')).length === 24, 'the grid should show 24 test images');
  log(`data from the URL: ${await page.textContent('#data-status')}`);
  await shot('01-data-loaded.png');

  // a short LeNet run (Adam): 12,000 images an epoch, tested on 2,000; seeded, so epoch 1 ends at
  // the same accuracy however the pause falls
  await setForm(page, { model: 'lenet', device: 'cpu', optimizer: 'adam', resize: '28', lr: '0.003', 'batch-size': '128', epochs: '10', 'train-limit': '12000', 'val-limit': '2000' });
  const t0 = await now(page);
  await page.click('#start');
  await waitState(page, 'running');
  await page.waitForFunction(() => Number(document.getElementById('plot')?.dataset['points']) >= 6, null, { timeout: 120_000 });
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const cpuStatus = (await page.textContent('#model-status')) ?? '';
  check(cores === 1 ? cpuStatus.includes('one thread') : cpuStatus.includes(`${cores} threads`), `an isolated page's worker should train on ${cores} threads: ${cpuStatus}`);
  log(`training: ${await points(page)} plot points, ${await page.textContent('#ips')} images/s (${cpuStatus})`);
  await shot('02-training.png');

  await page.click('#pause');
  await waitState(page, 'paused');
  // progress events sent before the pause may still be on their way
  await page.waitForTimeout(300);
  const paused = await points(page);
  const pausedEpoch = await page.textContent('#epoch');
  await page.waitForTimeout(1500);
  check((await points(page)) === paused && (await page.textContent('#epoch')) === pausedEpoch, `paused training should not move (points ${paused} → ${await points(page)})`);
  log(`paused at epoch ${pausedEpoch} with ${paused} points`);
  await shot('03-paused.png');

  await page.click('#resume');
  await waitState(page, 'running');
  await page.waitForFunction((p) => Number(document.getElementById('plot')?.dataset['points']) > p, paused, { timeout: 120_000 });
  // one full epoch, so the test accuracy is measured
  await page.waitForFunction(() => document.getElementById('val-acc')?.dataset['value'] !== undefined, null, { timeout: 300_000 });
  await page.click('#cancel');
  await page.waitForFunction(() => document.getElementById('train-status')?.dataset['done'] !== undefined, null, { timeout: 120_000 });
  const t1 = await now(page);
  check((await attr(page, '#train-status', 'data-done')) === 'cancelled', `the run should end cancelled, got ${await attr(page, '#train-status', 'data-done')}`);
  await waitState(page, 'idle');
  const acc = Number(await attr(page, '#val-acc', 'data-value'));
  check(acc > 0.3, `test accuracy after one epoch should be well above chance (0.1), got ${acc}`);
  const preds = await gridSettled(page);
  const truth = await page.$$eval('.tile', (tiles) => tiles.map((t) => Number(/** @type {HTMLElement} */ (t).dataset['true'])));
  const right = preds.filter((p, i) => p === truth[i]).length;
  const wrongMarked = await page.$$eval('.tile.wrong', (t) => t.length);
  check(wrongMarked === preds.length - right, `every wrong prediction should be marked (${wrongMarked} marked, ${preds.length - right} wrong)`);
  check(right >= 6, `the grid should be mostly right after training, got ${right} of ${preds.length}`);
  const blocked = await longestTask(page, t0, t1);
  check(blocked < 1000, `the main thread should stay responsive while training; its longest task took ${blocked.toFixed(0)} ms`);
  log(`cancelled: test accuracy ${acc.toFixed(4)}, grid ${right}/${preds.length} right (${wrongMarked} marked wrong), longest main-thread task while training ${blocked.toFixed(0)} ms; ${await page.textContent('#train-status')}`);
  await shot('04-cancelled.png');

  // draw a stroke: ten class probabilities summing to one
  await page.locator('#draw').scrollIntoViewIfNeeded();
  const box = /** @type {{ x: number, y: number, width: number, height: number }} */ (await page.locator('#draw').boundingBox());
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.2);
  await page.mouse.down();
  for (const [fx, fy] of [[0.3, 0.8], [0.7, 0.8], [0.7, 0.2], [0.3, 0.2]]) await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelectorAll('#probs li').length === 10);
  const drawn = await probabilities(page);
  const sum = drawn.reduce((s, x) => s + Number(x.p), 0);
  check(Math.abs(sum - 1) < 1e-4, `drawn-image probabilities should sum to 1, got ${sum}`);
  log(`drawing classified as ${await page.textContent('#probs li.top span:first-child')} (${(Number(drawn[0]?.p) * 100).toFixed(1)}%)`);
  await shot('05-drawn.png');

  // drop test image 0 as a PNG: the network sees the same bytes as in the grid
  const dropped = await dropTile(page, 0);
  check(dropped[0]?.c === preds[0], `a dropped test image should get the grid's prediction (${dropped[0]?.c} vs ${preds[0]})`);
  await shot('06-dropped.png');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  await download.saveAs(weightsFile);
  const bytes = await readFile(weightsFile);
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  check(names.length === 10 && names.every((k) => header[k].dtype === 'F32'), `the weights should be LeNet's 10 float32 tensors, got ${names.join(', ')}`);
  log(`saved ${download.suggestedFilename()} (${bytes.length} bytes: ${names.join(', ')})`);

  // a fresh page (new workers, nothing trained): load the file, get the same predictions
  await page.reload();
  await page.waitForFunction(() => document.getElementById('data-status')?.dataset['train'] === '60000', null, { timeout: 180_000 });
  await page.setInputFiles('#load', weightsFile);
  await page.waitForFunction(() => document.getElementById('weights-status')?.dataset['loaded'] !== undefined, null, { timeout: 120_000 });
  const reloaded = await gridSettled(page);
  check(JSON.stringify(reloaded) === JSON.stringify(preds), `predictions after reloading the weights differ:\n  before ${preds}\n  after  ${reloaded}`);
  const droppedAgain = await dropTile(page, 0);
  check(JSON.stringify(droppedAgain) === JSON.stringify(dropped), `the dropped image's probabilities differ after reloading:\n  ${JSON.stringify(dropped)}\n  ${JSON.stringify(droppedAgain)}`);
  log(`reloaded page + weights: the same ${reloaded.length} grid predictions and the same probabilities (top ${droppedAgain[0]?.c} at ${droppedAgain[0]?.p})`);
  await shot('07-reloaded-weights.png');

  // WebGPU asked for: the run completes and the page says where it trained
  // SwiftShader runs WebGPU on the CPU: a few hundred images show it trains there
  await setForm(page, { device: 'gpu', epochs: '1', 'train-limit': '512', 'val-limit': '256' });
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('train-status')?.dataset['done'] === 'done', null, { timeout: 300_000 });
  const on = await attr(page, '#model-status', 'data-device');
  const status = (await page.textContent('#model-status')) ?? '';
  // this Chromium has WebGPU (SwiftShader): the worker must train on it
  check(on === 'gpu' && status.includes('WebGPU'), `with WebGPU chosen the worker should train on it: ${status}`);
  log(`WebGPU chosen: ${status}`);
  await shot('08-webgpu-choice.png');
  return { acc, right, blocked };
}

/**
 * Without COOP/COEP (no SharedArrayBuffer): the files picked from disk, one short epoch.
 * @param {Page} page
 * @param {{ url: string, shots: string, files: string[], log: (line: string) => void }} o
 */
export async function notIsolatedFlow(page, { url, shots, files, log }) {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true', null, { timeout: 120_000 });
  check((await attr(page, 'body', 'data-isolated')) === 'false', 'the page served without COOP/COEP should not be cross-origin isolated');
  check(!(await page.evaluate(() => typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated)), 'no SharedArrayBuffer without isolation');
  await page.setInputFiles('#data-files', files);
  await page.waitForFunction(() => document.getElementById('data-status')?.dataset['train'] === '60000', null, { timeout: 180_000 });
  await setForm(page, { model: 'lenet', device: 'cpu', optimizer: 'adam', lr: '0.003', 'batch-size': '64', epochs: '1', 'train-limit': '6000', 'val-limit': '1000' });
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('train-status')?.dataset['done'] === 'done', null, { timeout: 300_000 });
  const status = (await page.textContent('#model-status')) ?? '';
  check(status.includes('the CPU (wasm, one thread)'), `without isolation the worker should train on one thread: ${status}`);
  const acc = Number(await attr(page, '#val-acc', 'data-value'));
  check(acc > 0.2, `single-threaded, one short epoch should beat chance (0.1), got ${acc}`);
  check((await points(page)) > 2, 'the plot should have points');
  const preds = await gridSettled(page);
  check(preds.every((p) => p >= 0 && p <= 9), 'the grid should show predictions');
  log(`not isolated, files from disk: ${await page.textContent('#train-status')}`);
  await page.screenshot({ path: path.join(shots, '09-not-isolated.png'), fullPage: true });
  return { acc };
}
