/**
 * The page: wires the controls to the two workers (session.ts), the plot (ferrograd's
 * ProgressBoard on a canvas), the test grid and the drawing pad. Everything heavy runs in the
 * workers; this thread only draws, so it stays responsive while training runs.
 */
import { FASHION_MNIST_LABELS, ProgressBoard, type FitResult, type ModelInfo, type ProgressEvent } from 'ferrograd';
import { describeBackends, detectBackends } from './backend.js';
import { fromFiles, fromUrl, head, resizeImages, type Dataset } from './data.js';
import { DrawPad } from './draw.js';
import { Grid } from './grid.js';
import { DEFAULTS, Session, softmax, trainedOn, type Device, type Kind, type OptimizerKind, type RunConfig } from './session.js';

const GRID_SIZE = 24;

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

const ui = {
  backend: $('backend'),
  files: $<HTMLInputElement>('data-files'),
  url: $<HTMLInputElement>('data-url'),
  fetch: $<HTMLButtonElement>('data-fetch'),
  dataProgress: $<HTMLProgressElement>('data-progress'),
  dataStatus: $('data-status'),
  model: $<HTMLSelectElement>('model'),
  device: $<HTMLSelectElement>('device'),
  optimizer: $<HTMLSelectElement>('optimizer'),
  resize: $<HTMLInputElement>('resize'),
  lr: $<HTMLInputElement>('lr'),
  batchSize: $<HTMLInputElement>('batch-size'),
  epochs: $<HTMLInputElement>('epochs'),
  trainLimit: $<HTMLInputElement>('train-limit'),
  valLimit: $<HTMLInputElement>('val-limit'),
  modelStatus: $('model-status'),
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  resume: $<HTMLButtonElement>('resume'),
  cancel: $<HTMLButtonElement>('cancel'),
  state: $('state'),
  epoch: $('epoch'),
  ips: $('ips'),
  loss: $('loss'),
  valAcc: $('val-acc'),
  epochProgress: $<HTMLProgressElement>('epoch-progress'),
  plot: $('plot'),
  plotCanvas: $<HTMLCanvasElement>('plot-canvas'),
  trainStatus: $('train-status'),
  save: $<HTMLButtonElement>('save'),
  load: $<HTMLInputElement>('load'),
  weightsStatus: $('weights-status'),
  probs: $<HTMLOListElement>('probs'),
  clear: $<HTMLButtonElement>('clear'),
};

let dataset: Dataset | undefined;
let drawn: Uint8Array | undefined;
let board = newBoard(10);
/** Counts weight updates reaching the predictor; the grid records which one it shows. */
let weightsVersion = 0;

function say(el: HTMLElement, text: string, error = false): void {
  el.textContent = text;
  el.classList.toggle('error', error);
}

function fail(el: HTMLElement): (e: unknown) => void {
  return (e) => {
    console.error(e);
    say(el, e instanceof Error ? e.message : String(e), true);
  };
}

function newBoard(epochs: number): ProgressBoard {
  return new ProgressBoard({ canvas: ui.plotCanvas, xlabel: 'epoch', xlim: [0, epochs], ylim: [0, 2.5], figsize: [6, 3.2] });
}

function config(): RunConfig {
  const num = (el: HTMLInputElement, what: string, int = true): number => {
    const v = Number(el.value);
    if (!Number.isFinite(v) || v <= 0 || (int && !Number.isInteger(v))) throw new Error(`${what} must be a positive ${int ? 'integer' : 'number'}, got ${JSON.stringify(el.value)}`);
    return v;
  };
  const size = num(ui.resize, 'Input size');
  if (size < 28) throw new Error('Input size must be at least 28');
  return {
    kind: ui.model.value as Kind,
    device: ui.device.value as Device,
    optimizer: ui.optimizer.value as OptimizerKind,
    size,
    lr: num(ui.lr, 'Learning rate', false),
    batchSize: num(ui.batchSize, 'Batch size'),
    epochs: num(ui.epochs, 'Epochs'),
    trainLimit: num(ui.trainLimit, 'Training images'),
    valLimit: num(ui.valLimit, 'Test images'),
  };
}

/** Which buttons make sense in each state. */
function controls(state: 'idle' | 'running' | 'paused' | 'busy'): void {
  ui.state.textContent = state === 'busy' ? 'preparing' : state;
  document.body.dataset['state'] = state;
  const ready = session.trainer !== undefined && dataset !== undefined;
  ui.start.disabled = state !== 'idle' || !ready;
  ui.pause.disabled = state !== 'running';
  ui.resume.disabled = state !== 'paused';
  ui.cancel.disabled = state !== 'running' && state !== 'paused';
  ui.save.disabled = session.model === undefined || state === 'busy';
  ui.load.disabled = session.trainer === undefined || state === 'running' || state === 'busy';
  for (const el of [ui.model, ui.device, ui.optimizer, ui.resize, ui.lr, ui.batchSize, ui.epochs, ui.trainLimit, ui.valLimit]) el.disabled = state !== 'idle';
}

const session = new Session({
  onProgress: (e) => onProgress(e),
  onWeights: () => {
    weightsVersion++;
    document.body.dataset['weights'] = String(weightsVersion);
    void refreshPredictions(weightsVersion).catch(fail(ui.trainStatus));
  },
  onError: fail(ui.trainStatus),
});
const grid = new Grid($('grid'), (pixels) => pad.setImage(pixels));
const pad = new DrawPad($<HTMLCanvasElement>('draw'), (pixels) => {
  drawn = pixels;
  void classifyDrawing().catch(fail(ui.trainStatus));
});

function onProgress(e: ProgressEvent): void {
  const epochs = session.config?.epochs ?? 1;
  if (e.type === 'batch') {
    board.draw(e.x, e.loss, 'train_loss');
    board.draw(e.x, e.acc, 'train_acc');
    ui.epoch.textContent = `${e.epoch + 1}/${epochs}`;
    ui.ips.textContent = e.imagesPerSecond.toFixed(0);
    ui.loss.textContent = e.loss.toFixed(4);
    ui.epochProgress.value = e.batch / e.batches;
  } else {
    if (e.valAcc !== undefined) {
      board.draw(e.epoch, e.valAcc, 'val_acc');
      ui.valAcc.textContent = e.valAcc.toFixed(4);
      ui.valAcc.dataset['value'] = String(e.valAcc);
    }
    ui.epoch.textContent = `${e.epoch}/${epochs}${e.partial ? ' (cancelled)' : ''}`;
    ui.ips.textContent = e.imagesPerSecond.toFixed(0);
  }
  let points = 0;
  for (const s of board.series.values()) points += s.x.length;
  ui.plot.dataset['points'] = String(points);
}

/** Predictions for the grid (and the drawing) from the predictor's current weights. */
async function refreshPredictions(version = weightsVersion): Promise<void> {
  const split = grid.split;
  if (!split || !session.model) return;
  const size = session.model.inputShape[1];
  const p = await session.predict(resizeImages(split.images, split.count, size), split.count);
  const right = grid.setPredictions(p.classes);
  $('grid').title = `${right} of ${split.count} right`;
  await classifyDrawing();
  // the predictor answers in order, so this is the newest version once the counts agree
  $('grid').dataset['version'] = String(version);
}

async function classifyDrawing(): Promise<void> {
  if (!drawn || !session.model) return;
  const size = session.model.inputShape[1];
  const p = await session.predict(resizeImages(drawn, 1, size), 1);
  const probs = softmax(p.logits);
  const order = probs.map((v, c) => [v, c] as const).sort((a, b) => b[0] - a[0]);
  ui.probs.replaceChildren(
    ...order.map(([v, c], rank) => {
      const li = document.createElement('li');
      li.className = rank === 0 ? 'top' : '';
      li.dataset['class'] = String(c);
      li.dataset['p'] = String(v);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${(v * 100).toFixed(1)}%`;
      const pct = document.createElement('span');
      pct.textContent = `${(v * 100).toFixed(1)}%`;
      li.append(Object.assign(document.createElement('span'), { textContent: FASHION_MNIST_LABELS[c] }), Object.assign(document.createElement('span'), { className: 'track' }), pct);
      li.children[1]!.append(bar);
      return li;
    }),
  );
}

function datasetLoaded(d: Dataset): void {
  dataset = d;
  say(ui.dataStatus, `${d.train.count} training and ${d.val.count} test images from ${d.source}`);
  ui.dataStatus.dataset['train'] = String(d.train.count);
  ui.dataStatus.dataset['val'] = String(d.val.count);
  grid.setImages(head(d.val, GRID_SIZE));
  controls('idle');
  void refreshPredictions().catch(fail(ui.trainStatus));
}

async function fetchData(): Promise<void> {
  const base = ui.url.value.trim();
  if (!base) throw new Error('enter the URL of a directory holding the four .gz files');
  ui.dataProgress.hidden = false;
  say(ui.dataStatus, `fetching from ${base}…`);
  try {
    datasetLoaded(await fromUrl(base, (f, file) => {
      ui.dataProgress.value = f;
      say(ui.dataStatus, `fetching ${file}… ${(f * 100).toFixed(0)}%`);
    }));
  } finally {
    ui.dataProgress.hidden = true;
  }
}

function showModel(info: ModelInfo, c: RunConfig): void {
  const on = trainedOn(info);
  const gpuNote = c.device === 'gpu' && on !== 'gpu' ? ' — WebGPU was asked for, but the worker found no adapter' : '';
  say(ui.modelStatus, `${info.kind}: ${info.parameters.toLocaleString('en')} parameters, input ${info.inputShape.join('×')}, training on ${on === 'gpu' ? 'WebGPU' : `the CPU (wasm, ${info.cpuThreads === 1 ? 'one thread' : `${info.cpuThreads} threads`})`}${gpuNote}`);
  ui.modelStatus.dataset['device'] = on;
}

async function train(): Promise<void> {
  if (!dataset) throw new Error('load the data first');
  const c = config();
  controls('busy');
  board = newBoard(c.epochs);
  ui.plot.dataset['points'] = '0';
  ui.valAcc.textContent = '–';
  delete ui.valAcc.dataset['value'];
  say(ui.trainStatus, 'preparing the model and data in the worker…');
  let result: FitResult;
  try {
    showModel(await session.prepare(c, dataset), c);
    say(ui.trainStatus, 'training…');
    controls('running');
    result = await session.fit();
  } finally {
    controls('idle');
  }
  const last = result.epochs.at(-1);
  say(ui.trainStatus, `${result.cancelled ? 'cancelled' : 'done'} after ${result.position.step} steps, ${result.imagesPerSecond.toFixed(0)} images/s${last?.valAcc !== undefined ? `; test accuracy ${last.valAcc.toFixed(4)}` : ''}`);
  ui.trainStatus.dataset['done'] = result.cancelled ? 'cancelled' : 'done';
}

async function saveWeights(): Promise<void> {
  const bytes = await session.weights();
  const name = `${session.config?.kind ?? 'model'}-fashion-mnist.safetensors`;
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  say(ui.weightsStatus, `saved ${name} (${(bytes.length / 1024).toFixed(0)} KiB)`);
}

async function loadWeights(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const c = config();
  showModel(await session.ensureModel(c), c);
  await session.loadWeights(bytes);
  controls(session.state);
  say(ui.weightsStatus, `loaded ${file.name} into ${session.model?.kind}`);
  ui.weightsStatus.dataset['loaded'] = file.name;
}

function wire(): void {
  ui.files.addEventListener('change', () => {
    const files = [...(ui.files.files ?? [])];
    if (!files.length) return;
    say(ui.dataStatus, 'reading files…');
    fromFiles(files).then(datasetLoaded, fail(ui.dataStatus));
  });
  ui.fetch.addEventListener('click', () => void fetchData().catch(fail(ui.dataStatus)));
  const defaults = (all: boolean): void => {
    const d = DEFAULTS[ui.model.value as Kind];
    ui.lr.value = String(d.lr[ui.optimizer.value as OptimizerKind]);
    if (!all) return;
    ui.resize.value = String(d.size);
    ui.batchSize.value = String(d.batchSize);
  };
  ui.model.addEventListener('change', () => defaults(true));
  ui.optimizer.addEventListener('change', () => defaults(false));
  ui.start.addEventListener('click', () => void train().catch(fail(ui.trainStatus)));
  ui.pause.addEventListener('click', () => {
    ui.pause.disabled = true;
    session.pause().then(() => controls('paused'), fail(ui.trainStatus));
  });
  ui.resume.addEventListener('click', () => {
    ui.resume.disabled = true;
    session.resume().then(() => controls('running'), fail(ui.trainStatus));
  });
  ui.cancel.addEventListener('click', () => {
    ui.cancel.disabled = true;
    session.cancel().catch(fail(ui.trainStatus));
  });
  ui.save.addEventListener('click', () => void saveWeights().catch(fail(ui.weightsStatus)));
  ui.load.addEventListener('change', () => {
    const file = ui.load.files?.[0];
    if (file) void loadWeights(file).catch(fail(ui.weightsStatus)).finally(() => (ui.load.value = ''));
  });
  ui.clear.addEventListener('click', () => {
    pad.clear();
    drawn = undefined;
    ui.probs.replaceChildren();
  });
}

async function boot(): Promise<void> {
  wire();
  controls('busy');
  const backends = await detectBackends();
  say(ui.backend, describeBackends(backends));
  document.body.dataset['isolated'] = String(backends.isolated);
  if (!backends.webgpu) (ui.device.querySelector('option[value="gpu"]') as HTMLOptionElement).disabled = true;
  say(ui.trainStatus, 'starting the workers…');
  await session.open();
  say(ui.trainStatus, 'workers ready');
  controls('idle');
  document.body.dataset['ready'] = 'true';
  // a page given a dataset URL (?data=…) fetches it right away
  const given = new URLSearchParams(location.search).get('data');
  if (given) {
    ui.url.value = given;
    await fetchData();
  }
}

boot().catch(fail(ui.trainStatus));
