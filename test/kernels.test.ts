// The SIMD128 kernels as the wasm build runs them: convolution (direct and im2col paths),
// 2x2 average pooling, matmul, and the vectorised transcendental functions, against naive
// JavaScript references.
import { describe, expect, it } from 'vitest';
import { F, fromArray, type Tensor } from 'ferrograd';
import { expectClose } from './helpers/assert.js';

/** Deterministic values in [-1, 1). */
function data(len: number, seed: number): Float32Array {
  return Float32Array.from({ length: len }, (_, i) => ((i * 7919 + seed * 104729) % 2003) / 1001.5 - 1);
}

interface Conv {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** Forward output and both gradients of sum(conv(x, w) * dy), in float64. */
function naiveConv(c: Conv, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const oh = Math.floor((c.h + 2 * c.padding[0] - c.dilation[0] * (c.kh - 1) - 1) / c.stride[0]) + 1;
  const ow = Math.floor((c.w + 2 * c.padding[1] - c.dilation[1] * (c.kw - 1) - 1) / c.stride[1]) + 1;
  const cig = c.cin / c.groups;
  const cog = c.cout / c.groups;
  const y = new Float64Array(c.n * c.cout * oh * ow);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let n = 0; n < c.n; n++)
    for (let co = 0; co < c.cout; co++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const yi = ((n * c.cout + co) * oh + oy) * ow + ox;
          const g = Math.floor(co / cog);
          for (let ci = 0; ci < cig; ci++)
            for (let ki = 0; ki < c.kh; ki++)
              for (let kj = 0; kj < c.kw; kj++) {
                const iy = oy * c.stride[0] - c.padding[0] + ki * c.dilation[0];
                const ix = ox * c.stride[1] - c.padding[1] + kj * c.dilation[1];
                if (iy < 0 || ix < 0 || iy >= c.h || ix >= c.w) continue;
                const xi = ((n * c.cin + g * cig + ci) * c.h + iy) * c.w + ix;
                const wi = ((co * cig + ci) * c.kh + ki) * c.kw + kj;
                y[yi]! += x[xi]! * w[wi]!;
                dx[xi]! += dy[yi]! * w[wi]!;
                dw[wi]! += dy[yi]! * x[xi]!;
              }
        }
  return { y, dx, dw, oh, ow };
}

function checkConv(c: Conv): void {
  const x = data(c.n * c.cin * c.h * c.w, 1);
  const w = data(c.cout * (c.cin / c.groups) * c.kh * c.kw, 2);
  const oh = Math.floor((c.h + 2 * c.padding[0] - c.dilation[0] * (c.kh - 1) - 1) / c.stride[0]) + 1;
  const ow = Math.floor((c.w + 2 * c.padding[1] - c.dilation[1] * (c.kw - 1) - 1) / c.stride[1]) + 1;
  const dy = data(c.n * c.cout * oh * ow, 3);
  const want = naiveConv(c, x, w, dy);
  const xt = fromArray(x, [c.n, c.cin, c.h, c.w], { requiresGrad: true });
  const wt = fromArray(w, [c.cout, c.cin / c.groups, c.kh, c.kw], { requiresGrad: true });
  const y = F.conv2d(xt, wt, { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups });
  expectClose(y, want.y, 1e-4, 1e-4);
  y.backward(fromArray(dy, y.shape));
  expectClose(xt.grad!, want.dx, 1e-4, 1e-4);
  expectClose(wt.grad!, want.dw, 1e-4, 1e-4);
}

const conv = (o: Partial<Conv>): Conv => ({ n: 2, cin: 3, h: 7, w: 9, cout: 5, kh: 3, kw: 3, stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, ...o });

describe('conv2d kernels against a naive reference', () => {
  it('LeNet layers (direct kernels)', () => {
    checkConv(conv({ n: 3, cin: 1, h: 28, w: 28, cout: 6, kh: 5, kw: 5, padding: [2, 2] }));
    checkConv(conv({ n: 3, cin: 6, h: 14, w: 14, cout: 16, kh: 5, kw: 5 }));
  });
  it('odd configurations: stride 2, dilation 2, groups 2, asymmetric padding, non-square', () => {
    checkConv(conv({ stride: [2, 2], padding: [1, 1] }));
    checkConv(conv({ dilation: [2, 2], padding: [2, 1], h: 11, w: 8 }));
    checkConv(conv({ cin: 4, cout: 6, groups: 2, padding: [1, 1] }));
    checkConv(conv({ kh: 2, kw: 4, padding: [0, 2], stride: [2, 1] }));
    checkConv(conv({ kh: 1, kw: 1, cout: 7 }));
    checkConv(conv({ n: 19, cin: 2, h: 5, w: 6, cout: 3, padding: [1, 1] }));
  });
  it('wide layers (im2col + GEMM)', () => {
    checkConv(conv({ n: 2, cin: 64, h: 6, w: 6, cout: 24, padding: [1, 1] }));
  });
});

describe('vectorised elementwise kernels', () => {
  it('give the vector body and the scalar tail identical bits', () => {
    const vals = [-3.5, -0, 0.7, 12, -90, 88.5, 0.01, 1e-3, -87.2, -100, 30];
    const ops: [string, (t: Tensor) => Tensor][] = [
      ['exp', (t) => t.exp()],
      ['sigmoid', (t) => t.sigmoid()],
      ['tanh', (t) => t.tanh()],
      ['relu', (t) => t.relu()],
      ['affine', (t) => t.mul(-1.5).add(0.25)],
    ];
    for (const v of vals) {
      for (const [name, f] of ops) {
        // elements 0..3 take the vector path, element 4 the scalar tail
        const out = f(fromArray([v, 1, 2, 3, v], [5])).dataSync();
        expect(Object.is(out[0], out[4]), `${name}(${v}): ${out[0]} vs ${out[4]}`).toBe(true);
      }
    }
  });
  it('exp and sigmoid stay accurate across the range', () => {
    const xs = Float32Array.from({ length: 4001 }, (_, i) => -86 + i * 0.0435);
    const e = fromArray(xs, [xs.length]).exp().dataSync();
    const s = fromArray(xs, [xs.length]).sigmoid().dataSync();
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      expect(Math.abs(e[i]! - Math.exp(x)) / Math.exp(x)).toBeLessThan(5e-7);
      expect(Math.abs(s[i]! - 1 / (1 + Math.exp(-x)))).toBeLessThan(3e-7);
    }
    // subnormal results, as PyTorch gives them (exp(-87.5) ≈ 9.98e-39)
    const tiny = Float32Array.from({ length: 500 }, (_, i) => -103.9 + i * 0.033);
    const et = fromArray(tiny, [tiny.length]).exp().dataSync();
    for (let i = 0; i < tiny.length; i++) expect(Math.abs(et[i]! - Math.exp(tiny[i]!))).toBeLessThan(3e-45 + 4e-7 * Math.exp(tiny[i]!));
    // finite right up to the overflow threshold, then +inf; NaN stays NaN
    const edge = fromArray([88.6, 89, Infinity, -Infinity, NaN], [5]).exp().dataSync();
    expect(Math.abs(edge[0]! / Math.exp(Math.fround(88.6)) - 1)).toBeLessThan(5e-7);
    expect(Array.from(edge.subarray(1))).toEqual([Infinity, Infinity, 0, NaN]);
  });
});

describe('2x2 average pooling and matmul', () => {
  it('avgPool2d 2x2 forward and backward', () => {
    const [n, c, h, w] = [2, 3, 6, 10];
    const x = data(n * c * h * w, 4);
    const xt = fromArray(x, [n, c, h, w], { requiresGrad: true });
    const y = F.avgPool2d(xt, 2);
    const want: number[] = [];
    for (let p = 0; p < n * c; p++)
      for (let oy = 0; oy < h / 2; oy++)
        for (let ox = 0; ox < w / 2; ox++) {
          const at = (dy: number, dx: number) => x[(p * h + 2 * oy + dy) * w + 2 * ox + dx]!;
          want.push((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4);
        }
    expectClose(y, want);
    const g = data(want.length, 5);
    y.backward(fromArray(g, y.shape));
    const dx = Array.from(x, (_, i) => {
      const col = i % w;
      const row = Math.floor(i / w) % h;
      const p = Math.floor(i / (w * h));
      return g[(p * (h / 2) + (row >> 1)) * (w / 2) + (col >> 1)]! / 4;
    });
    expectClose(xt.grad!, dx);
  });
  it('matmul on ragged and transposed shapes', () => {
    for (const [m, k, n] of [
      [1, 1, 1],
      [5, 3, 7],
      [67, 300, 33],
      [130, 517, 9],
    ] as const) {
      const a = data(m * k, 6);
      const b = data(k * n, 7);
      const want: number[] = [];
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
          want.push(s);
        }
      expectClose(fromArray(a, [m, k]).matmul(fromArray(b, [k, n])), want, 1e-4, 1e-4);
      // the same product through transposed views of the transposed operands
      const bt = fromArray(b, [k, n]).t().contiguous();
      expectClose(fromArray(a, [m, k]).matmul(bt.t()), want, 1e-4, 1e-4);
    }
  });
});
