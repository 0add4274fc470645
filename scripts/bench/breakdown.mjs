// Per-layer cost of the LeNet step: each layer's forward+backward timed alone (input and
// output gradient fixed), so the sum can be compared with the whole step.
import { timeMs } from './timing.mjs';
import { makeLeNet } from './lenet.mjs';

export function benchLeNetBreakdown(fg, opts) {
  const { F, randn, scope } = fg;
  const net = makeLeNet(fg);
  const { p } = net;
  const B = net.batch;
  const seg = (name, inShape, f, needsGrad = true) => {
    const x = (inShape === null ? net.X : randn(inShape, { requiresGrad: needsGrad })).keep();
    const dy = scope(() => f(x).detach().keep());
    const g = randn(dy.shape).keep();
    const fwd = timeMs(() => fg.noGrad(() => scope(() => void f(x))), opts);
    const both = timeMs(
      () =>
        scope(() => {
          x.grad = null;
          for (const t of Object.values(p)) t.grad = null;
          f(x).backward(g);
        }),
      opts,
    );
    return { name, fwdMs: fwd.ms, ms: both.ms };
  };
  const lin = (w, b) => (x) => x.matmul(w.t()).add(b);
  const rows = [
    seg('conv1 + bias', null, (x) => F.conv2d(x, p.w1, { bias: p.b1, padding: 2 })),
    seg('sigmoid 128×6×28²', [B, 6, 28, 28], (x) => x.sigmoid()),
    seg('avgpool 28²→14²', [B, 6, 28, 28], (x) => F.avgPool2d(x, 2)),
    seg('conv2 + bias', [B, 6, 14, 14], (x) => F.conv2d(x, p.w2, { bias: p.b2 })),
    seg('sigmoid 128×16×10²', [B, 16, 10, 10], (x) => x.sigmoid()),
    seg('avgpool 10²→5²', [B, 16, 10, 10], (x) => F.avgPool2d(x, 2)),
    seg('flatten + linear 400→120', [B, 16, 5, 5], (x) => lin(p.w3, p.b3)(x.flatten(1))),
    seg('sigmoid 128×120', [B, 120], (x) => x.sigmoid()),
    seg('linear 120→84', [B, 120], lin(p.w4, p.b4)),
    seg('sigmoid 128×84', [B, 84], (x) => x.sigmoid()),
    seg('linear 84→10', [B, 84], lin(p.w5, p.b5)),
    seg('cross-entropy', [B, 10], (x) => F.crossEntropy(x, net.labels).reshape(1)),
  ];
  const params = Object.values(p);
  const grads = params.map((t) => randn(t.shape).keep());
  const sgd = timeMs(() => scope(() => params.forEach((t, i) => t.sub_(grads[i].mul(0)))), opts);
  rows.push({ name: 'SGD update (10 tensors)', fwdMs: NaN, ms: sgd.ms });
  return rows;
}
