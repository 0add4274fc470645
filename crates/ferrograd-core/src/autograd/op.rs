use crate::backend::{
    Activation, AdaptivePoolParams, BatchNormParams, BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, ResizeParams,
    UnaryOp, Unpool2dParams,
};
use crate::Tensor;

/// How a tensor was computed. Holds its inputs (and so the saved activations) until backward.
#[derive(Debug, Clone)]
pub enum Op {
    Unary(Tensor, UnaryOp),
    Binary(Tensor, Tensor, BinaryOp),
    /// Reduction over `dims` with keepdim; `Max`/`Min` route the gradient to the extremes.
    Reduce(Tensor, Vec<usize>, ReduceOp),
    Matmul(Tensor, Tensor),
    Reshape(Tensor),
    Permute(Tensor, Vec<usize>),
    /// Broadcast view (stride 0 on expanded dims).
    Expand(Tensor),
    /// `dim`, `start`, `step` of a strided slice.
    Slice(Tensor, usize, usize, usize),
    Cat(Vec<Tensor>, usize),
    /// Constant padding of the last dims: `(before, after)` per dim, innermost last.
    Pad(Tensor, Vec<(usize, usize)>),
    Conv2d {
        input: Tensor,
        weight: Tensor,
        bias: Option<Tensor>,
        p: Conv2dParams,
        /// A fused epilogue and the op's output (a constant sharing its buffer), from which
        /// its gradient rule reads the mask or derivative.
        act: Option<(Activation, Tensor)>,
    },
    /// `input` is the grad_out of the conv2d described by `p` (whose input is this op's
    /// output); the bias is added by a separate node.
    ConvTranspose2d {
        input: Tensor,
        weight: Tensor,
        p: Conv2dParams,
    },
    Pool2d(Tensor, Pool2dParams),
    /// Values and their (constant) plane indices.
    MaxUnpool2d(Tensor, Tensor, Unpool2dParams),
    AdaptiveAvgPool2d(Tensor, AdaptivePoolParams),
    ResizeBilinear(Tensor, ResizeParams),
    /// `out[i] = x[i, idx[i]]`; `idx` never requires grad.
    GatherCols(Tensor, Tensor),
    /// Batch normalisation of a dense `[n, c, s]`-shaped input with per-channel `mean` and
    /// `inv_std` (`[c]`, constants); `batch_stats` when they were computed from `x` itself.
    BatchNorm {
        x: Tensor,
        weight: Option<Tensor>,
        bias: Option<Tensor>,
        mean: Tensor,
        inv_std: Tensor,
        p: BatchNormParams,
        batch_stats: bool,
        /// A fused activation and the op's output, as [`Op::Conv2d`]'s.
        act: Option<(Activation, Tensor)>,
    },
}

impl Op {
    pub fn inputs(&self) -> Vec<&Tensor> {
        match self {
            Op::Unary(a, _)
            | Op::Reduce(a, ..)
            | Op::Reshape(a)
            | Op::Permute(a, _)
            | Op::Expand(a)
            | Op::Slice(a, ..)
            | Op::Pad(a, _)
            | Op::Pool2d(a, _)
            | Op::AdaptiveAvgPool2d(a, _)
            | Op::ResizeBilinear(a, _)
            | Op::MaxUnpool2d(a, ..)
            | Op::GatherCols(a, _) => vec![a],
            Op::Binary(a, b, _) | Op::Matmul(a, b) => vec![a, b],
            Op::ConvTranspose2d { input, weight, .. } => vec![input, weight],
            Op::Cat(ts, _) => ts.iter().collect(),
            Op::Conv2d { input, weight, bias, .. } => {
                let mut v = vec![input, weight];
                v.extend(bias);
                v
            }
            Op::BatchNorm { x, weight, bias, .. } => {
                let mut v = vec![x];
                v.extend(weight);
                v.extend(bias);
                v
            }
        }
    }

    pub fn into_inputs(self) -> Vec<Tensor> {
        match self {
            Op::Unary(a, _)
            | Op::Reduce(a, ..)
            | Op::Reshape(a)
            | Op::Permute(a, _)
            | Op::Expand(a)
            | Op::Slice(a, ..)
            | Op::Pad(a, _)
            | Op::Pool2d(a, _)
            | Op::AdaptiveAvgPool2d(a, _)
            | Op::ResizeBilinear(a, _) => vec![a],
            Op::GatherCols(a, i) | Op::MaxUnpool2d(a, i, _) => vec![a, i],
            Op::Binary(a, b, _) | Op::Matmul(a, b) => vec![a, b],
            Op::ConvTranspose2d { input, weight, .. } => vec![input, weight],
            Op::Cat(ts, _) => ts,
            Op::Conv2d { input, weight, bias, act, .. } => {
                let mut v = vec![input, weight];
                v.extend(bias);
                v.extend(act.map(|(_, out)| out));
                v
            }
            Op::BatchNorm { x, weight, bias, mean, inv_std, act, .. } => {
                let mut v = vec![x, mean, inv_std];
                v.extend(weight);
                v.extend(bias);
                v.extend(act.map(|(_, out)| out));
                v
            }
        }
    }

    /// Whether the gradient rule reads saved values (an input's or the output's elements), as
    /// PyTorch's saved tensors. Backward keeps the ops of a subgraph with none of them (so
    /// `x.sum()` can be backpropagated twice and accumulates, as in PyTorch) and frees the rest.
    pub fn saves_values(&self) -> bool {
        match self {
            Op::Unary(_, u) => u.saves_values(),
            Op::Binary(_, _, b) => b.saves_values(),
            Op::Reduce(_, _, r) => *r != ReduceOp::Sum,
            Op::Reshape(_)
            | Op::Permute(..)
            | Op::Expand(_)
            | Op::Slice(..)
            | Op::Cat(..)
            | Op::Pad(..)
            | Op::ResizeBilinear(..) => false,
            Op::Matmul(..)
            | Op::Conv2d { .. }
            | Op::ConvTranspose2d { .. }
            | Op::Pool2d(..)
            | Op::AdaptiveAvgPool2d(..)
            | Op::GatherCols(..)
            | Op::MaxUnpool2d(..)
            | Op::BatchNorm { .. } => true,
        }
    }

    /// PyTorch's `grad_fn` name, for printing.
    pub fn name(&self) -> &'static str {
        match self {
            // Only differentiable ops are recorded (ops/elementwise.rs), so these are set.
            Op::Unary(_, u) => u.grad_fn().unwrap_or("NotDifferentiable"),
            Op::Binary(_, _, b) => b.grad_fn().unwrap_or("NotDifferentiable"),
            Op::Reduce(x, d, ReduceOp::Sum) if d.len() == x.rank() => "SumBackward0",
            Op::Reduce(_, _, ReduceOp::Sum) => "SumBackward1",
            Op::Reduce(_, _, ReduceOp::Max) => "AmaxBackward0",
            Op::Reduce(..) => "AminBackward0",
            Op::Matmul(..) => "MmBackward0",
            Op::Reshape(_) => "ViewBackward0",
            Op::Permute(..) => "PermuteBackward0",
            Op::Expand(_) => "ExpandBackward0",
            Op::Slice(..) => "SliceBackward0",
            Op::Cat(..) => "CatBackward0",
            Op::Pad(..) => "ConstantPadNdBackward0",
            // the last op PyTorch records for act(conv2d(x))
            Op::Conv2d { act: None, .. } | Op::ConvTranspose2d { .. } => "ConvolutionBackward0",
            Op::Conv2d { act: Some((a, _)), .. } | Op::BatchNorm { act: Some((a, _)), .. } => a.grad_fn(),
            Op::Pool2d(_, p) if p.kind == crate::backend::PoolKind::Max => "MaxPool2DWithIndicesBackward0",
            Op::Pool2d(..) => "AvgPool2DBackward0",
            Op::MaxUnpool2d(..) => "MaxUnpool2DBackward0",
            Op::AdaptiveAvgPool2d(..) => "AdaptiveAvgPool2DBackward0",
            Op::ResizeBilinear(..) => "UpsampleBilinear2DBackward0",
            Op::GatherCols(..) => "GatherBackward0",
            Op::BatchNorm { act: None, .. } => "NativeBatchNormBackward0",
        }
    }
}
