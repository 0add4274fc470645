// d2l.ai §7.3 (padding and stride), §7.4 (multiple channels) and §7.5 (pooling): every value
// the book prints, computed the way the book computes it, with the TypeScript API. Expected
// strings are the book's (PyTorch) printouts.
import { describe, expect, it } from 'vitest';
import { arange, cat, F, manualSeed, rand, randn, stack, tensor, zeros, type Tensor } from 'ferrograd';
import { expectClose } from './helpers/assert.js';

const dims = (t: Tensor): number[] => t.shape;

/** d2l.corr2d: the book's loop, `Y[i, j] = (X[i:i+h, j:j+w] * K).sum()`. */
function corr2d(X: Tensor, K: Tensor): Tensor {
  const [h, w] = dims(K) as [number, number];
  const [xh, xw] = dims(X) as [number, number];
  const Y = zeros([xh - h + 1, xw - w + 1]);
  for (let i = 0; i < xh - h + 1; i++) {
    for (let j = 0; j < xw - w + 1; j++) {
      Y.slice(0, i, i + 1).slice(1, j, j + 1).assign_(X.slice(0, i, i + h).slice(1, j, j + w).mul(K).sum());
    }
  }
  return Y;
}

describe('d2l §7.3 padding and stride', () => {
  // nn.LazyConv2d(1, kernel_size, padding, stride): one output channel with random weights.
  const conv = (kernel: [number, number], padding: [number, number], stride: [number, number] = [1, 1]) => {
    const weight = randn([1, 1, ...kernel]);
    const bias = randn([1]);
    return (X: Tensor): Tensor => F.conv2d(X, weight, { bias, padding, stride });
  };
  /** comp_conv2d: adds the batch and channel dims, convolves, and drops them again. */
  const compConv2d = (conv2d: (X: Tensor) => Tensor, X: Tensor): Tensor => {
    const Y = conv2d(X.reshape([1, 1, ...dims(X)]));
    return Y.reshape(dims(Y).slice(2));
  };

  manualSeed(0);
  const X = rand([8, 8]);

  it('kernel 3, padding 1 keeps 8x8', () => {
    expect(compConv2d(conv([3, 3], [1, 1]), X).shape).toEqual([8, 8]);
  });
  it('kernel (5, 3), padding (2, 1) keeps 8x8', () => {
    expect(compConv2d(conv([5, 3], [2, 1]), X).shape).toEqual([8, 8]);
  });
  it('kernel 3, padding 1, stride 2 halves to 4x4', () => {
    expect(compConv2d(conv([3, 3], [1, 1], [2, 2]), X).shape).toEqual([4, 4]);
  });
  it('kernel (3, 5), padding (0, 1), stride (3, 4) gives 2x2', () => {
    expect(compConv2d(conv([3, 5], [0, 1], [3, 4]), X).shape).toEqual([2, 2]);
  });
});

describe('d2l §7.4 multiple input and multiple output channels', () => {
  /** corr2d_multi_in: `sum(d2l.corr2d(x, k) for x, k in zip(X, K))`. */
  const corr2dMultiIn = (X: Tensor, K: Tensor): Tensor => {
    let acc: Tensor | null = null;
    for (let c = 0; c < X.shape[0]!; c++) {
      const y = corr2d(X.at(c), K.at(c));
      acc = acc === null ? y : acc.add(y);
    }
    return acc!;
  };
  /** corr2d_multi_in_out: `torch.stack([corr2d_multi_in(X, k) for k in K], 0)`. */
  const corr2dMultiInOut = (X: Tensor, K: Tensor): Tensor =>
    stack(Array.from({ length: K.shape[0]! }, (_, o) => corr2dMultiIn(X, K.at(o))), 0);
  /** corr2d_multi_in_out_1x1: the 1x1 convolution as a matmul. */
  const corr2dMultiInOut1x1 = (X: Tensor, K: Tensor): Tensor => {
    const [ci, h, w] = dims(X) as [number, number, number];
    const co = K.shape[0]!;
    const Y = K.reshape([co, ci]).matmul(X.reshape([ci, h * w]));
    return Y.reshape([co, h, w]);
  };

  const X = tensor([[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]]);
  const K = tensor([[[0, 1], [2, 3]], [[1, 2], [3, 4]]]);

  it('two input channels: [[56, 72], [104, 120]]', () => {
    const Y = corr2dMultiIn(X, K);
    expect(Y.toArray()).toEqual([[56, 72], [104, 120]]);
    expect(Y.toString()).toBe('tensor([[ 56.,  72.],\n        [104., 120.]])');
    // the same through F.conv2d
    expect(F.conv2d(X.unsqueeze(0), K.unsqueeze(0)).toArray()).toEqual([[[[56, 72], [104, 120]]]]);
  });

  it('three output channels from stack((K, K + 1, K + 2))', () => {
    const K3 = stack([K, K.add(1), K.add(2)], 0);
    expect(K3.shape).toEqual([3, 2, 2, 2]);
    const Y = corr2dMultiInOut(X, K3);
    const planes = [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]];
    expect(Y.toArray()).toEqual(planes);
    expect(Y.toString()).toBe(
      'tensor([[[ 56.,  72.],\n         [104., 120.]],\n\n        [[ 76., 100.],\n         [148., 172.]],\n\n        [[ 96., 128.],\n         [192., 224.]]])',
    );
    expect(F.conv2d(X.unsqueeze(0), K3).toArray()).toEqual([planes]);
  });

  it('a 1x1 convolution equals a matmul within 1e-6', () => {
    manualSeed(1);
    const X = randn([3, 3, 3]);
    const K = randn([2, 3, 1, 1]);
    const Y1 = corr2dMultiInOut1x1(X, K);
    const Y2 = corr2dMultiInOut(X, K);
    expect(Y1.shape).toEqual([2, 3, 3]);
    expect(Y1.sub(Y2).abs().sum().item()).toBeLessThan(1e-6);
    const Y3 = F.conv2d(X.unsqueeze(0), K).reshape([2, 3, 3]);
    expect(Y1.sub(Y3).abs().sum().item()).toBeLessThan(1e-6);
  });
});

describe('d2l §7.5 pooling', () => {
  /** The book's pool2d: no padding, stride 1, `Y[i, j] = X[i:i+p_h, j:j+p_w].max()` (or mean). */
  function pool2d(X: Tensor, poolSize: [number, number], mode: 'max' | 'avg' = 'max'): Tensor {
    const [ph, pw] = poolSize;
    const [xh, xw] = dims(X) as [number, number];
    const Y = zeros([xh - ph + 1, xw - pw + 1]);
    for (let i = 0; i < xh - ph + 1; i++) {
      for (let j = 0; j < xw - pw + 1; j++) {
        const win = X.slice(0, i, i + ph).slice(1, j, j + pw);
        Y.slice(0, i, i + 1).slice(1, j, j + 1).assign_(mode === 'max' ? win.max() : win.mean());
      }
    }
    return Y;
  }

  it('pool2d of the 3x3 X: max [[4, 5], [7, 8]], avg [[2, 3], [5, 6]]', () => {
    const X = tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    const max = pool2d(X, [2, 2]);
    const avg = pool2d(X, [2, 2], 'avg');
    expect(max.toString()).toBe('tensor([[4., 5.],\n        [7., 8.]])');
    expect(avg.toString()).toBe('tensor([[2., 3.],\n        [5., 6.]])');
    // the library's pools agree with the loop (stride 1)
    expectClose(F.maxPool2d(X.reshape([1, 1, 3, 3]), 2, { stride: 1 }), max.toArray());
    expectClose(F.avgPool2d(X.reshape([1, 1, 3, 3]), 2, { stride: 1 }), avg.toArray());
  });

  const X = arange(0, 16, 1, { dtype: 'float32' }).reshape([1, 1, 4, 4]);

  it('X = arange(16).reshape(1, 1, 4, 4)', () => {
    expect(X.toString()).toBe(
      'tensor([[[[ 0.,  1.,  2.,  3.],\n          [ 4.,  5.,  6.,  7.],\n          [ 8.,  9., 10., 11.],\n          [12., 13., 14., 15.]]]])',
    );
  });

  it('MaxPool2d(3): the stride defaults to the window, one output 10', () => {
    const Y = F.maxPool2d(X, 3);
    expect(Y.toString()).toBe('tensor([[[[10.]]]])');
  });

  it('MaxPool2d(3, padding=1, stride=2) gives [[5, 7], [13, 15]]', () => {
    const Y = F.maxPool2d(X, 3, { padding: 1, stride: 2 });
    expect(Y.toString()).toBe('tensor([[[[ 5.,  7.],\n          [13., 15.]]]])');
  });

  it('MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1)) gives [[5, 7], [13, 15]]', () => {
    const Y = F.maxPool2d(X, [2, 3], { stride: [2, 3], padding: [0, 1] });
    expect(Y.toArray()).toEqual([[[[5, 7], [13, 15]]]]);
  });

  it('two channels, cat((X, X + 1), 1): each pooled on its own', () => {
    const X2 = cat([X, X.add(1)], 1);
    expect(X2.toString()).toBe(
      'tensor([[[[ 0.,  1.,  2.,  3.],\n          [ 4.,  5.,  6.,  7.],\n          [ 8.,  9., 10., 11.],\n          [12., 13., 14., 15.]],\n\n' +
        '         [[ 1.,  2.,  3.,  4.],\n          [ 5.,  6.,  7.,  8.],\n          [ 9., 10., 11., 12.],\n          [13., 14., 15., 16.]]]])',
    );
    const Y = F.maxPool2d(X2, 3, { padding: 1, stride: 2 });
    expect(Y.toArray()).toEqual([[[[5, 7], [13, 15]], [[6, 8], [14, 16]]]]);
    expect(Y.toString()).toBe('tensor([[[[ 5.,  7.],\n          [13., 15.]],\n\n         [[ 6.,  8.],\n          [14., 16.]]]])');
  });
});
