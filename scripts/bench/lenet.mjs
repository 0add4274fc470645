// One d2l LeNet training step (batch 128) written with the public API, as a user would:
// forward, cross-entropy, backward, in-place SGD, all inside a step scope.
import { timeMs } from './timing.mjs';

export function makeLeNet(fg, batch = 128) {
  const { randn, rand, zeros, fromArray, manualSeed } = fg;
  manualSeed(0);
  // Xavier-uniform weights and zero biases, as d2l's init_cnn.
  const xavier = (shape, fanIn, fanOut) => {
    const a = Math.sqrt(6 / (fanIn + fanOut));
    return rand(shape, { low: -a, high: a, requiresGrad: true }).keep();
  };
  const bias = (n) => zeros([n], { requiresGrad: true }).keep();
  const p = {
    w1: xavier([6, 1, 5, 5], 25, 150), b1: bias(6),
    w2: xavier([16, 6, 5, 5], 150, 400), b2: bias(16),
    w3: xavier([120, 400], 400, 120), b3: bias(120),
    w4: xavier([84, 120], 120, 84), b4: bias(84),
    w5: xavier([10, 84], 84, 10), b5: bias(10),
  };
  const X = randn([batch, 1, 28, 28]).keep();
  const labels = fromArray(Array.from({ length: batch }, (_, i) => (i * 7) % 10), [batch]).keep();
  return { p, X, labels, batch };
}

export function lenetForward(fg, { p, X }) {
  const { F } = fg;
  let h = F.avgPool2d(F.conv2d(X, p.w1, { bias: p.b1, padding: 2 }).sigmoid(), 2);
  h = F.avgPool2d(F.conv2d(h, p.w2, { bias: p.b2 }).sigmoid(), 2);
  h = h.flatten(1);
  h = h.matmul(p.w3.t()).add(p.b3).sigmoid();
  h = h.matmul(p.w4.t()).add(p.b4).sigmoid();
  return h.matmul(p.w5.t()).add(p.b5);
}

export function lenetStep(fg, net, lr = 0.9) {
  const { F, scope } = fg;
  return scope(() => {
    const loss = F.crossEntropy(lenetForward(fg, net), net.labels);
    for (const t of Object.values(net.p)) t.grad = null;
    loss.backward();
    for (const t of Object.values(net.p)) t.sub_(t.grad.mul(lr));
  });
}

export function benchLeNet(fg, opts) {
  const net = makeLeNet(fg);
  const t = timeMs(() => lenetStep(fg, net), { warmup: 5, warmupMs: 1000, samples: 9, sampleMs: 300, ...opts });
  return { name: 'LeNet train step (batch 128)', ms: t.ms, imgs: (net.batch * 1000) / t.ms, bestImgs: (net.batch * 1000) / t.best };
}

/**
 * JS→wasm calls per LeNet step, by export: wraps the loaded bindings' functions for a few steps
 * (the threaded build's bindings object is writable; null for the single-threaded one).
 */
export function countCrossings(fg, bindings, steps = 5) {
  if (!Object.isExtensible(bindings)) return null;
  const net = makeLeNet(fg);
  lenetStep(fg, net);
  const counts = {};
  const saved = {};
  for (const [k, f] of Object.entries(bindings)) {
    if (typeof f !== 'function') continue;
    saved[k] = f;
    bindings[k] = (...a) => {
      counts[k] = (counts[k] ?? 0) + 1;
      return f(...a);
    };
  }
  try {
    for (let i = 0; i < steps; i++) lenetStep(fg, net);
  } finally {
    Object.assign(bindings, saved);
  }
  const perStep = Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, n / steps]).sort((a, b) => b[1] - a[1]));
  return { total: Object.values(perStep).reduce((a, b) => a + b, 0), perStep };
}
