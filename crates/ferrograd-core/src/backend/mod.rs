//! The op set every backend implements. Autograd and the tensor API only talk to this trait
//! (through [`Storage`]), so a GPU backend plugs in beside the CPU one without touching them.
//!
//! Conventions: inputs come with a [`Layout`] (possibly strided); outputs are always fresh
//! contiguous storage. Shapes have been validated by the tensor layer, so a backend may assume
//! them (it still returns `Result`, for allocation failures and device errors).

pub mod cpu;
pub mod fused;
pub mod params;
#[cfg(feature = "gpu")]
pub mod wgpu;

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

    // Fused ops: each default composes the primitives above (see `fused.rs`), so a backend
    // works without them; the CPU backend overrides them with one-pass kernels.

    /// An activation's gradient `grad · act'`, from the activation's output (sigmoid, tanh) or
    /// input (relu) in `self`; both operands have the same shape.
    fn activation_backward(&self, layout: &Layout, grad: &Self, grad_layout: &Layout, act: Activation) -> Result<Self> {
        fused::activation_backward(self, layout, grad, grad_layout, act)
    }
    /// Per-channel mean and biased variance of a contiguous `[n, c, s]` tensor, as `[c]` each.
    fn batch_norm_stats(&self, p: &BatchNormParams) -> Result<(Self, Self)> {
        fused::batch_norm_stats(self, p)
    }
    /// `((x - mean) · inv_std) · weight + bias` per channel of a contiguous `[n, c, s]` tensor.
    fn batch_norm_apply(
        &self,
        mean: &Self,
        inv_std: &Self,
        weight: Option<&Self>,
        bias: Option<&Self>,
        p: &BatchNormParams,
    ) -> Result<Self> {
        fused::batch_norm_apply(self, mean, inv_std, weight, bias, p)
    }
    /// Gradients of [`Self::batch_norm_apply`] (`self` is its input `x`): `(dx, dweight,
    /// dbias)`, the last two `[c]`. With `batch_stats`, mean and inv_std were computed from `x`
    /// (training) and `dx` includes their dependence on it.
    #[allow(clippy::too_many_arguments)]
    fn batch_norm_backward(
        &self,
        grad: &Self,
        mean: &Self,
        inv_std: &Self,
        weight: Option<&Self>,
        p: &BatchNormParams,
        batch_stats: bool,
    ) -> Result<(Self, Self, Self)> {
        fused::batch_norm_backward(self, grad, mean, inv_std, weight, p, batch_stats)
    }
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
    #[cfg(feature = "gpu")]
    Gpu(wgpu::GpuDevice),
}

#[derive(Debug)]
pub enum Storage {
    Cpu(cpu::CpuStorage),
    #[cfg(feature = "gpu")]
    Gpu(wgpu::GpuStorage),
}

/// Runs `$body` with `$s` bound to the backend storage; `wrap` puts a returned storage back
/// into the same variant. Without the `gpu` feature each match has one arm (zero cost).
macro_rules! dispatch {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            Storage::Cpu($s) => $body,
            #[cfg(feature = "gpu")]
            Storage::Gpu($s) => $body,
        }
    };
    (wrap $self:expr, $s:ident => $body:expr) => {
        match $self {
            Storage::Cpu($s) => ($body).map(Storage::Cpu),
            #[cfg(feature = "gpu")]
            Storage::Gpu($s) => ($body).map(Storage::Gpu),
        }
    };
}

macro_rules! dispatch2 {
    ($op:expr, $a:expr, $b:expr, ($x:ident, $y:ident) => $body:expr) => {
        match ($a, $b) {
            (Storage::Cpu($x), Storage::Cpu($y)) => $body,
            #[cfg(feature = "gpu")]
            (Storage::Gpu($x), Storage::Gpu($y)) => $body,
            #[allow(unreachable_patterns)]
            _ => $crate::bail!($op, "operands live on different devices"),
        }
    };
    (wrap $op:expr, $a:expr, $b:expr, ($x:ident, $y:ident) => $body:expr) => {
        match ($a, $b) {
            (Storage::Cpu($x), Storage::Cpu($y)) => ($body).map(Storage::Cpu),
            #[cfg(feature = "gpu")]
            (Storage::Gpu($x), Storage::Gpu($y)) => ($body).map(Storage::Gpu),
            #[allow(unreachable_patterns)]
            _ => $crate::bail!($op, "operands live on different devices"),
        }
    };
}

impl Storage {
    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            #[cfg(feature = "gpu")]
            Storage::Gpu(s) => Device::Gpu(s.device().clone()),
        }
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
        dispatch!(wrap self, s => s.contiguous(l))
    }
    pub fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Storage> {
        dispatch!(wrap self, s => s.unary(l, op))
    }
    pub fn binary(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: BinaryOp) -> Result<Storage> {
        dispatch2!(wrap "binary", self, rhs, (a, b) => a.binary(l, b, rl, op))
    }
    pub fn reduce(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> Result<Storage> {
        dispatch!(wrap self, s => s.reduce(l, dims, op))
    }
    pub fn matmul(&self, rhs: &Storage, p: &MatmulParams) -> Result<Storage> {
        dispatch2!(wrap "matmul", self, rhs, (a, b) => a.matmul(b, p))
    }
    /// Same device: the backend's copy. Across devices (loading CPU weights into a GPU model,
    /// `init` sampling on the CPU) the source is transferred first, as PyTorch's `copy_` does.
    pub fn copy_into(&mut self, dl: &Layout, src: &Storage, sl: &Layout) -> Result<()> {
        #[cfg(feature = "gpu")]
        if self.device() != src.device() {
            let moved = src.to_device(&self.device(), sl)?;
            return self.copy_into(dl, &moved, &Layout::contiguous(&sl.shape));
        }
        dispatch2!("copy", self, src, (a, b) => a.copy_into(dl, b, sl))
    }
    pub fn axpby_inplace(&mut self, alpha: f32, src: &Storage, beta: f32) -> Result<()> {
        dispatch2!("axpby", self, src, (a, b) => a.axpby_inplace(alpha, b, beta))
    }
    pub fn conv2d(&self, w: &Storage, bias: Option<&Storage>, p: &Conv2dParams) -> Result<Storage> {
        match (self, w, bias) {
            (Storage::Cpu(x), Storage::Cpu(w), None) => x.conv2d(w, None, p).map(Storage::Cpu),
            (Storage::Cpu(x), Storage::Cpu(w), Some(Storage::Cpu(b))) => x.conv2d(w, Some(b), p).map(Storage::Cpu),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(x), Storage::Gpu(w), None) => x.conv2d(w, None, p).map(Storage::Gpu),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(x), Storage::Gpu(w), Some(Storage::Gpu(b))) => x.conv2d(w, Some(b), p).map(Storage::Gpu),
            #[allow(unreachable_patterns)]
            _ => crate::bail!("conv2d", "operands live on different devices"),
        }
    }
    pub fn conv2d_backward_input(&self, w: &Storage, p: &Conv2dParams) -> Result<Storage> {
        dispatch2!(wrap "conv2d_backward", self, w, (g, w) => g.conv2d_backward_input(w, p))
    }
    pub fn conv2d_backward_weight(&self, g: &Storage, p: &Conv2dParams) -> Result<Storage> {
        dispatch2!(wrap "conv2d_backward", self, g, (x, g) => x.conv2d_backward_weight(g, p))
    }
    pub fn pool2d(&self, p: &Pool2dParams) -> Result<Storage> {
        dispatch!(wrap self, s => s.pool2d(p))
    }
    pub fn pool2d_backward(&self, g: &Storage, p: &Pool2dParams) -> Result<Storage> {
        dispatch2!(wrap "pool2d_backward", self, g, (x, g) => x.pool2d_backward(g, p))
    }
    pub fn adaptive_avg_pool2d(&self, p: &AdaptivePoolParams) -> Result<Storage> {
        dispatch!(wrap self, s => s.adaptive_avg_pool2d(p))
    }
    pub fn adaptive_avg_pool2d_backward(&self, p: &AdaptivePoolParams) -> Result<Storage> {
        dispatch!(wrap self, s => s.adaptive_avg_pool2d_backward(p))
    }
    pub fn resize_bilinear(&self, p: &ResizeParams) -> Result<Storage> {
        dispatch!(wrap self, s => s.resize_bilinear(p))
    }
    pub fn resize_bilinear_backward(&self, p: &ResizeParams) -> Result<Storage> {
        dispatch!(wrap self, s => s.resize_bilinear_backward(p))
    }
    pub fn gather_cols(&self, idx: &Storage, rows: usize, cols: usize) -> Result<Storage> {
        dispatch2!(wrap "gather", self, idx, (x, i) => x.gather_cols(i, rows, cols))
    }
    pub fn scatter_cols(&self, idx: &Storage, rows: usize, cols: usize) -> Result<Storage> {
        dispatch2!(wrap "scatter", self, idx, (x, i) => x.scatter_cols(i, rows, cols))
    }
}

/// Runs `$body` with `$d` bound to the backend device, wrapping the storage it returns.
macro_rules! on_device {
    ($self:expr, $d:ident => $body:expr) => {
        match $self {
            Device::Cpu => {
                let $d = &cpu::CpuDevice;
                ($body).map(Storage::Cpu)
            }
            #[cfg(feature = "gpu")]
            Device::Gpu($d) => ($body).map(Storage::Gpu),
        }
    };
}

impl Device {
    pub fn zeros(&self, len: usize) -> Result<Storage> {
        on_device!(self, d => d.zeros(len))
    }
    pub fn full(&self, len: usize, v: f32) -> Result<Storage> {
        on_device!(self, d => d.full(len, v))
    }
    pub fn from_slice(&self, data: &[f32]) -> Result<Storage> {
        on_device!(self, d => d.upload(data))
    }
    pub fn rand_uniform(&self, len: usize, lo: f32, hi: f32) -> Result<Storage> {
        on_device!(self, d => d.rand_uniform(len, lo, hi))
    }
    pub fn rand_normal(&self, len: usize, mean: f32, std: f32) -> Result<Storage> {
        on_device!(self, d => d.rand_normal(len, mean, std))
    }
    /// `"cpu"` or `"gpu"`, as the JS API names devices.
    pub fn name(&self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            #[cfg(feature = "gpu")]
            Device::Gpu(_) => "gpu",
        }
    }
}
