//! Op descriptors shared by every backend. They are plain data so a GPU backend can turn
//! them into uniforms without knowing anything about tensors or autograd.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Max,
    Min,
    /// Index of the first maximum (as f32).
    ArgMax,
}

impl ReduceOp {
    /// The op's PyTorch name, for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::ArgMax => "argmax",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dParams {
    pub n: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl Conv2dParams {
    pub fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c_in, self.h, self.w]
    }
    pub fn weight_shape(&self) -> [usize; 4] {
        [self.c_out, self.c_in / self.groups, self.kh, self.kw]
    }
    pub fn output_shape(&self) -> [usize; 4] {
        [self.n, self.c_out, self.out_h, self.out_w]
    }
    /// Multiply-adds of the forward pass (each backward pass costs the same).
    pub fn macs(&self) -> usize {
        self.n * self.c_out * self.out_h * self.out_w * (self.c_in / self.groups) * self.kh * self.kw
    }
}

#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Avg,
}

/// What an average-pooling window's sum is divided by (PyTorch's `count_include_pad` and
/// `divisor_override`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolDivisor {
    /// The window clipped to the padded input (`count_include_pad=True`, the default): kh·kw
    /// except where `ceil_mode` lets a window run past the padding.
    IncludePad,
    /// The input elements the window covers (`count_include_pad=False`).
    ExcludePad,
    /// A fixed divisor (`divisor_override`).
    Override(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dParams {
    pub kind: PoolKind,
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    /// Spacing of a max-pooling window's taps (1 for average pooling).
    pub dilation: (usize, usize),
    /// Only read by average pooling.
    pub divisor: PoolDivisor,
    pub out_h: usize,
    pub out_w: usize,
}

impl Pool2dParams {
    /// First tap and the range `[k0, k1)` of taps of output `o` that land inside an input axis
    /// of length `len`: tap `k` reads `start + k·d`.
    #[inline]
    pub fn taps(o: usize, stride: usize, pad: usize, k: usize, d: usize, len: usize) -> (isize, usize, usize) {
        let start = (o * stride) as isize - pad as isize;
        let k0 = if start < 0 { ((-start) as usize).div_ceil(d) } else { 0 };
        // taps with start + k·d < len, i.e. k < (len - start) / d rounded up
        let k1 = if start >= len as isize { 0 } else { ((len as isize - start) as usize).div_ceil(d).min(k) };
        (start, k0.min(k1), k1)
    }

    /// The divisor of average-pooling output (oy, ox) (PyTorch's `divide_factor`).
    #[inline]
    pub fn avg_divisor(&self, oy: usize, ox: usize) -> usize {
        let span = |o: usize, s: usize, p: usize, k: usize, len: usize| {
            let start = (o * s) as isize - p as isize;
            let end = (start + k as isize).min((len + p) as isize);
            let padded = (end - start) as usize;
            let valid = (end.min(len as isize) - start.max(0)).max(0) as usize;
            (padded, valid)
        };
        let (ph, vh) = span(oy, self.stride.0, self.padding.0, self.kh, self.h);
        let (pw, vw) = span(ox, self.stride.1, self.padding.1, self.kw, self.w);
        match self.divisor {
            PoolDivisor::IncludePad => ph * pw,
            PoolDivisor::ExcludePad => vh * vw,
            PoolDivisor::Override(d) => d,
        }
    }
}

/// `max_unpool2d` of `[n, c, h, w]` values with their plane indices into `[n, c, out_h, out_w]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unpool2dParams {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptivePoolParams {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl AdaptivePoolParams {
    /// PyTorch's window of output index `i`: `[floor(i*in/out), ceil((i+1)*in/out))`.
    pub fn window(i: usize, input: usize, out: usize) -> (usize, usize) {
        (i * input / out, ((i + 1) * input).div_ceil(out))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResizeParams {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

/// Batched matmul `[batch, m, k] x [batch, k, n]`; operands are described by element strides so
/// transposed and broadcast views need no copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulParams {
    pub batch: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// (batch, row, col) strides and offset of the left operand.
    pub lhs: MatStrides,
    pub rhs: MatStrides,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatStrides {
    pub offset: usize,
    pub batch: usize,
    pub row: usize,
    pub col: usize,
}

/// An activation whose gradient rule has a fused kernel (`BackendStorage::activation_backward`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `g · y(1 - y)` from the output `y`.
    Sigmoid,
    /// `g · (1 - y²)` from the output `y`.
    Tanh,
    /// `g · step(x)` from the input `x` (or, the same mask, from the output).
    Relu,
}

impl Activation {
    /// PyTorch's `grad_fn` name of the activation (the last op of a fused pair).
    pub fn grad_fn(self) -> &'static str {
        match self {
            Activation::Relu => "ReluBackward0",
            Activation::Sigmoid => "SigmoidBackward0",
            Activation::Tanh => "TanhBackward0",
        }
    }

    /// The elementwise op that applies it.
    pub fn unary(self) -> super::UnaryOp {
        match self {
            Activation::Sigmoid => super::UnaryOp::Sigmoid,
            Activation::Tanh => super::UnaryOp::Tanh,
            Activation::Relu => super::UnaryOp::Relu,
        }
    }
}

/// Batch normalisation over a contiguous `[n, c, s]` tensor (NCHW with `s = H·W`, or NC with
/// `s = 1`): statistics per channel over `n·s` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchNormParams {
    pub n: usize,
    pub c: usize,
    pub s: usize,
}

impl BatchNormParams {
    /// Values per channel.
    pub fn count(&self) -> usize {
        self.n * self.s
    }
    pub fn shape(&self) -> [usize; 3] {
        [self.n, self.c, self.s]
    }
}
