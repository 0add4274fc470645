//! The op set every backend implements. Autograd and the tensor API only talk to this trait
//! (through [`Storage`]), so a GPU backend plugs in beside the CPU one without touching them.
//!
//! Conventions: inputs come with a [`Layout`] (possibly strided); outputs are always fresh
//! contiguous storage. Shapes have been validated by the tensor layer, so a backend may assume
//! them (it still returns `Result`, for allocation failures and device errors).

pub mod cpu;
pub mod params;

pub use params::*;

use crate::shape::Layout;
use crate::Result;

pub trait BackendStorage: Sized {
    type Device: BackendDevice<Storage = Self>;

    fn device(&self) -> &Self::Device;
    /// Number of f32 elements held.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Copies the elements of `layout` out in row-major order. Synchronous: on a GPU this
    /// blocks, so the JS layer only uses it on CPU tensors and awaits [`crate::Tensor::read_async`]-style paths otherwise.
    fn to_vec(&self, layout: &Layout) -> Result<Vec<f32>>;
    fn contiguous(&self, layout: &Layout) -> Result<Self>;
    fn unary(&self, layout: &Layout, op: UnaryOp) -> Result<Self>;
    /// Both layouts are already broadcast to the same shape.
    fn binary(&self, layout: &Layout, rhs: &Self, rhs_layout: &Layout, op: BinaryOp) -> Result<Self>;
    /// Reduces `dims` (sorted, unique), keeping them as size-1 dimensions.
    fn reduce(&self, layout: &Layout, dims: &[usize], op: ReduceOp) -> Result<Self>;
    fn matmul(&self, rhs: &Self, p: &MatmulParams) -> Result<Self>;
    /// `dst[dst_layout] = src[src_layout]` (same shape), used by concat, pad and in-place updates.
    fn copy_into(&mut self, dst_layout: &Layout, src: &Self, src_layout: &Layout) -> Result<()>;
    /// `self = self * alpha + src * beta` elementwise over whole contiguous storages (optimizers).
    fn axpby_inplace(&mut self, alpha: f32, src: &Self, beta: f32) -> Result<()>;

    fn conv2d(&self, weight: &Self, bias: Option<&Self>, p: &Conv2dParams) -> Result<Self>;
    fn conv2d_backward_input(&self, weight: &Self, p: &Conv2dParams) -> Result<Self>;
    /// `self` is the forward input; returns the weight gradient.
    fn conv2d_backward_weight(&self, grad_out: &Self, p: &Conv2dParams) -> Result<Self>;
    fn pool2d(&self, p: &Pool2dParams) -> Result<Self>;
    /// `self` is the forward input (max pooling routes the gradient to its argmax).
    fn pool2d_backward(&self, grad_out: &Self, p: &Pool2dParams) -> Result<Self>;
    fn adaptive_avg_pool2d(&self, p: &AdaptivePoolParams) -> Result<Self>;
    fn adaptive_avg_pool2d_backward(&self, p: &AdaptivePoolParams) -> Result<Self>;
    fn resize_bilinear(&self, p: &ResizeParams) -> Result<Self>;
    fn resize_bilinear_backward(&self, p: &ResizeParams) -> Result<Self>;
    /// `out[i] = self[i, idx[i]]` for a contiguous `[rows, cols]` matrix; indices are validated.
    fn gather_cols(&self, idx: &Self, rows: usize, cols: usize) -> Result<Self>;
    /// The adjoint of [`Self::gather_cols`]: a `[rows, cols]` zero matrix with `self[i]` at `idx[i]`.
    fn scatter_cols(&self, idx: &Self, rows: usize, cols: usize) -> Result<Self>;
}

pub trait BackendDevice: Clone {
    type Storage: BackendStorage<Device = Self>;
    fn zeros(&self, len: usize) -> Result<Self::Storage>;
    fn full(&self, len: usize, value: f32) -> Result<Self::Storage>;
    fn upload(&self, data: &[f32]) -> Result<Self::Storage>;
    /// `len` uniform samples in `[lo, hi)` from the crate's seedable generator.
    fn rand_uniform(&self, len: usize, lo: f32, hi: f32) -> Result<Self::Storage>;
    fn rand_normal(&self, len: usize, mean: f32, std: f32) -> Result<Self::Storage>;
}

/// Where a tensor lives. One enum (not a generic parameter) so the JS layer can mix devices
/// and pick them at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Device {
    Cpu,
}

#[derive(Debug, Clone)]
pub enum Storage {
    Cpu(cpu::CpuStorage),
}

macro_rules! dispatch {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            Storage::Cpu($s) => $body,
        }
    };
}

macro_rules! dispatch2 {
    ($op:expr, $a:expr, $b:expr, ($x:ident, $y:ident) => $body:expr) => {
        match ($a, $b) {
            (Storage::Cpu($x), Storage::Cpu($y)) => $body,
            #[allow(unreachable_patterns)]
            _ => $crate::bail!($op, "operands live on different devices"),
        }
    };
}

impl Storage {
    pub fn device(&self) -> Device {
        dispatch!(self, _s => Device::Cpu)
    }
    pub fn len(&self) -> usize {
        dispatch!(self, s => s.len())
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn to_vec(&self, l: &Layout) -> Result<Vec<f32>> {
        dispatch!(self, s => s.to_vec(l))
    }
    pub fn contiguous(&self, l: &Layout) -> Result<Storage> {
        dispatch!(self, s => s.contiguous(l).map(Storage::Cpu))
    }
    pub fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Storage> {
        dispatch!(self, s => s.unary(l, op).map(Storage::Cpu))
    }
    pub fn binary(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: BinaryOp) -> Result<Storage> {
        dispatch2!("binary", self, rhs, (a, b) => a.binary(l, b, rl, op).map(Storage::Cpu))
    }
    pub fn reduce(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> Result<Storage> {
        dispatch!(self, s => s.reduce(l, dims, op).map(Storage::Cpu))
    }
    pub fn matmul(&self, rhs: &Storage, p: &MatmulParams) -> Result<Storage> {
        dispatch2!("matmul", self, rhs, (a, b) => a.matmul(b, p).map(Storage::Cpu))
    }
    pub fn copy_into(&mut self, dl: &Layout, src: &Storage, sl: &Layout) -> Result<()> {
        dispatch2!("copy", self, src, (a, b) => a.copy_into(dl, b, sl))
    }
    pub fn axpby_inplace(&mut self, alpha: f32, src: &Storage, beta: f32) -> Result<()> {
        dispatch2!("axpby", self, src, (a, b) => a.axpby_inplace(alpha, b, beta))
    }
    pub fn conv2d(&self, w: &Storage, bias: Option<&Storage>, p: &Conv2dParams) -> Result<Storage> {
        match (self, w, bias) {
            (Storage::Cpu(x), Storage::Cpu(w), None) => x.conv2d(w, None, p).map(Storage::Cpu),
            (Storage::Cpu(x), Storage::Cpu(w), Some(Storage::Cpu(b))) => x.conv2d(w, Some(b), p).map(Storage::Cpu),
            #[allow(unreachable_patterns)]
            _ => crate::bail!("conv2d", "operands live on different devices"),
        }
    }
    pub fn conv2d_backward_input(&self, w: &Storage, p: &Conv2dParams) -> Result<Storage> {
        dispatch2!("conv2d_backward", self, w, (g, w) => g.conv2d_backward_input(w, p).map(Storage::Cpu))
    }
    pub fn conv2d_backward_weight(&self, g: &Storage, p: &Conv2dParams) -> Result<Storage> {
        dispatch2!("conv2d_backward", self, g, (x, g) => x.conv2d_backward_weight(g, p).map(Storage::Cpu))
    }
    pub fn pool2d(&self, p: &Pool2dParams) -> Result<Storage> {
        dispatch!(self, s => s.pool2d(p).map(Storage::Cpu))
    }
    pub fn pool2d_backward(&self, g: &Storage, p: &Pool2dParams) -> Result<Storage> {
        dispatch2!("pool2d_backward", self, g, (x, g) => x.pool2d_backward(g, p).map(Storage::Cpu))
    }
    pub fn adaptive_avg_pool2d(&self, p: &AdaptivePoolParams) -> Result<Storage> {
        dispatch!(self, s => s.adaptive_avg_pool2d(p).map(Storage::Cpu))
    }
    pub fn adaptive_avg_pool2d_backward(&self, p: &AdaptivePoolParams) -> Result<Storage> {
        dispatch!(self, s => s.adaptive_avg_pool2d_backward(p).map(Storage::Cpu))
    }
    pub fn resize_bilinear(&self, p: &ResizeParams) -> Result<Storage> {
        dispatch!(self, s => s.resize_bilinear(p).map(Storage::Cpu))
    }
    pub fn resize_bilinear_backward(&self, p: &ResizeParams) -> Result<Storage> {
        dispatch!(self, s => s.resize_bilinear_backward(p).map(Storage::Cpu))
    }
    pub fn gather_cols(&self, idx: &Storage, rows: usize, cols: usize) -> Result<Storage> {
        dispatch2!("gather", self, idx, (x, i) => x.gather_cols(i, rows, cols).map(Storage::Cpu))
    }
    pub fn scatter_cols(&self, idx: &Storage, rows: usize, cols: usize) -> Result<Storage> {
        dispatch2!("scatter", self, idx, (x, i) => x.scatter_cols(i, rows, cols).map(Storage::Cpu))
    }
}

impl Device {
    pub fn zeros(&self, len: usize) -> Result<Storage> {
        match self {
            Device::Cpu => cpu::CpuDevice.zeros(len).map(Storage::Cpu),
        }
    }
    pub fn full(&self, len: usize, v: f32) -> Result<Storage> {
        match self {
            Device::Cpu => cpu::CpuDevice.full(len, v).map(Storage::Cpu),
        }
    }
    pub fn from_slice(&self, data: &[f32]) -> Result<Storage> {
        match self {
            Device::Cpu => cpu::CpuDevice.upload(data).map(Storage::Cpu),
        }
    }
    pub fn rand_uniform(&self, len: usize, lo: f32, hi: f32) -> Result<Storage> {
        match self {
            Device::Cpu => cpu::CpuDevice.rand_uniform(len, lo, hi).map(Storage::Cpu),
        }
    }
    pub fn rand_normal(&self, len: usize, mean: f32, std: f32) -> Result<Storage> {
        match self {
            Device::Cpu => cpu::CpuDevice.rand_normal(len, mean, std).map(Storage::Cpu),
        }
    }
}
