//! The op set every backend implements. Autograd and the tensor API only talk to this trait
//! (through [`Storage`]), so a GPU backend plugs in beside the CPU one without touching them.
//!
//! Conventions: inputs come with a [`Layout`] (possibly strided); outputs are always fresh
//! contiguous storage. Shapes have been validated by the tensor layer, so a backend may assume
//! them (it still returns `Result`, for allocation failures and device errors).

pub mod cpu;
pub mod fused;
pub mod optable;
pub mod params;
#[cfg(feature = "gpu")]
pub mod wgpu;

pub use optable::{BinaryOp, UnaryOp};
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
    /// The plane index of each max-pooling output's maximum, as f32 (-1 for a window in padding).
    fn max_pool2d_indices(&self, p: &Pool2dParams) -> Result<Self>;
    /// `max_unpool2d` of `self` with its plane indices `idx`; indices are validated.
    fn max_unpool2d(&self, idx: &Self, p: &Unpool2dParams) -> Result<Self>;
    /// `self` is grad_out: each input reads it at its index.
    fn max_unpool2d_backward(&self, idx: &Self, p: &Unpool2dParams) -> Result<Self>;
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
    /// `act(conv2d(self, weight, bias))`, the conv's epilogue (d2l's conv + ReLU/sigmoid blocks).
    fn conv2d_act(&self, weight: &Self, bias: Option<&Self>, p: &Conv2dParams, act: Activation) -> Result<Self> {
        fused::conv2d_act(self, weight, bias, p, act)
    }
    fn activation_backward(&self, layout: &Layout, grad: &Self, grad_layout: &Layout, act: Activation) -> Result<Self> {
        fused::activation_backward(self, layout, grad, grad_layout, act)
    }
    /// [`Self::activation_backward`] written over `grad` (a whole contiguous storage nothing else
    /// holds, the same values); `Ok(false)` where the backend has no such kernel and the caller
    /// takes the allocating form.
    fn activation_backward_in_place(&self, _layout: &Layout, _grad: &mut Self, _act: Activation) -> Result<bool> {
        Ok(false)
    }
    /// Per-channel mean and biased variance of a contiguous `[n, c, s]` tensor, as `[c]` each.
    fn batch_norm_stats(&self, p: &BatchNormParams) -> Result<(Self, Self)> {
        fused::batch_norm_stats(self, p)
    }
    /// `act(((x - mean) · inv_std) · weight + bias)` per channel of a contiguous `[n, c, s]`
    /// tensor; `act` is a fused epilogue (d2l's BN + ReLU), `None` the identity.
    #[allow(clippy::too_many_arguments)]
    fn batch_norm_apply(
        &self,
        mean: &Self,
        inv_std: &Self,
        weight: Option<&Self>,
        bias: Option<&Self>,
        p: &BatchNormParams,
        act: Option<Activation>,
    ) -> Result<Self> {
        fused::batch_norm_apply(self, mean, inv_std, weight, bias, p, act)
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

/// The one way to reach a backend from [`Storage`]: runs `$body` with each named storage bound
/// to the same backend's type and hands its result to `$wrap` (with the variant's constructor,
/// to put returned storages back: [`same`], [`one`], [`two`], [`three`]). With several operands
/// (and optional ones in `[...]`), operands on different devices are an error naming `$op`.
/// Without the `gpu` feature each match has one arm (zero cost).
macro_rules! on_storage {
    (($s:ident), $body:expr, $wrap:expr) => {
        match $s {
            Storage::Cpu($s) => {
                #[allow(clippy::redundant_closure_call)]
                ($wrap)($body, Storage::Cpu)
            }
            #[cfg(feature = "gpu")]
            Storage::Gpu($s) => {
                #[allow(clippy::redundant_closure_call)]
                ($wrap)($body, Storage::Gpu)
            }
        }
    };
    ($op:literal, ($($s:ident),+), [$($o:ident),*], $body:expr, $wrap:expr) => {
        match ($($s,)+) {
            ($(Storage::Cpu($s),)+) => {
                $(let $o = match $o {
                    None => None,
                    Some(Storage::Cpu(v)) => Some(v),
                    #[allow(unreachable_patterns)]
                    _ => $crate::bail!($op, "operands live on different devices"),
                };)*
                #[allow(clippy::redundant_closure_call)]
                ($wrap)($body, Storage::Cpu)
            }
            #[cfg(feature = "gpu")]
            ($(Storage::Gpu($s),)+) => {
                $(let $o = match $o {
                    None => None,
                    Some(Storage::Gpu(v)) => Some(v),
                    _ => $crate::bail!($op, "operands live on different devices"),
                };)*
                #[allow(clippy::redundant_closure_call)]
                ($wrap)($body, Storage::Gpu)
            }
            #[allow(unreachable_patterns)]
            _ => $crate::bail!($op, "operands live on different devices"),
        }
    };
}
pub(crate) use on_storage;

/// [`on_storage`] wrappers: a result that holds no storage, one, two or three storages.
pub(crate) fn same<T, S, F: Fn(S) -> Storage>(r: T, _: F) -> T {
    r
}
pub(crate) fn one<S, F: Fn(S) -> Storage>(r: Result<S>, f: F) -> Result<Storage> {
    r.map(f)
}
pub(crate) fn two<S, F: Fn(S) -> Storage>(r: Result<(S, S)>, f: F) -> Result<(Storage, Storage)> {
    r.map(|(a, b)| (f(a), f(b)))
}
pub(crate) fn three<S, F: Fn(S) -> Storage>(r: Result<(S, S, S)>, f: F) -> Result<(Storage, Storage, Storage)> {
    r.map(|(a, b, c)| (f(a), f(b), f(c)))
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
        let s = self;
        on_storage!((s), s.len(), same)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn to_vec(&self, l: &Layout) -> Result<Vec<f32>> {
        let s = self;
        on_storage!((s), s.to_vec(l), same)
    }
    pub fn contiguous(&self, l: &Layout) -> Result<Storage> {
        let s = self;
        on_storage!((s), s.contiguous(l), one)
    }
    pub fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Storage> {
        let s = self;
        on_storage!((s), s.unary(l, op), one)
    }
    pub fn binary(&self, l: &Layout, rhs: &Storage, rl: &Layout, op: BinaryOp) -> Result<Storage> {
        let (a, b) = (self, rhs);
        on_storage!("binary", (a, b), [], a.binary(l, b, rl, op), one)
    }
    pub fn reduce(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> Result<Storage> {
        let s = self;
        on_storage!((s), s.reduce(l, dims, op), one)
    }
    pub fn matmul(&self, rhs: &Storage, p: &MatmulParams) -> Result<Storage> {
        let (a, b) = (self, rhs);
        on_storage!("matmul", (a, b), [], a.matmul(b, p), one)
    }
    /// Same device: the backend's copy. Across devices (loading CPU weights into a GPU model,
    /// `init` sampling on the CPU) the source is transferred first, as PyTorch's `copy_` does.
    pub fn copy_into(&mut self, dl: &Layout, src: &Storage, sl: &Layout) -> Result<()> {
        #[cfg(feature = "gpu")]
        if self.device() != src.device() {
            let moved = src.to_device(&self.device(), sl)?;
            return self.copy_into(dl, &moved, &Layout::contiguous(&sl.shape));
        }
        let (a, b) = (self, src);
        on_storage!("copy", (a, b), [], a.copy_into(dl, b, sl), same)
    }
    pub fn axpby_inplace(&mut self, alpha: f32, src: &Storage, beta: f32) -> Result<()> {
        let (a, b) = (self, src);
        on_storage!("axpby", (a, b), [], a.axpby_inplace(alpha, b, beta), same)
    }
    pub fn conv2d(&self, w: &Storage, bias: Option<&Storage>, p: &Conv2dParams) -> Result<Storage> {
        let x = self;
        on_storage!("conv2d", (x, w), [bias], x.conv2d(w, bias, p), one)
    }
    pub fn conv2d_act(
        &self,
        w: &Storage,
        bias: Option<&Storage>,
        p: &Conv2dParams,
        act: Activation,
    ) -> Result<Storage> {
        let x = self;
        on_storage!("conv2d", (x, w), [bias], x.conv2d_act(w, bias, p, act), one)
    }
    pub fn conv2d_backward_input(&self, w: &Storage, p: &Conv2dParams) -> Result<Storage> {
        let g = self;
        on_storage!("conv2d_backward", (g, w), [], g.conv2d_backward_input(w, p), one)
    }
    pub fn conv2d_backward_weight(&self, g: &Storage, p: &Conv2dParams) -> Result<Storage> {
        let x = self;
        on_storage!("conv2d_backward", (x, g), [], x.conv2d_backward_weight(g, p), one)
    }
    pub fn pool2d(&self, p: &Pool2dParams) -> Result<Storage> {
        let s = self;
        on_storage!((s), s.pool2d(p), one)
    }
    pub fn pool2d_backward(&self, g: &Storage, p: &Pool2dParams) -> Result<Storage> {
        let x = self;
        on_storage!("pool2d_backward", (x, g), [], x.pool2d_backward(g, p), one)
    }
    pub fn max_pool2d_indices(&self, p: &Pool2dParams) -> Result<Storage> {
        let s = self;
        on_storage!((s), s.max_pool2d_indices(p), one)
    }
    pub fn max_unpool2d(&self, idx: &Storage, p: &Unpool2dParams) -> Result<Storage> {
        let x = self;
        on_storage!("max_unpool2d", (x, idx), [], x.max_unpool2d(idx, p), one)
    }
    pub fn max_unpool2d_backward(&self, idx: &Storage, p: &Unpool2dParams) -> Result<Storage> {
        let g = self;
        on_storage!("max_unpool2d_backward", (g, idx), [], g.max_unpool2d_backward(idx, p), one)
    }
    pub fn adaptive_avg_pool2d(&self, p: &AdaptivePoolParams) -> Result<Storage> {
        let s = self;
        on_storage!((s), s.adaptive_avg_pool2d(p), one)
    }
    pub fn adaptive_avg_pool2d_backward(&self, p: &AdaptivePoolParams) -> Result<Storage> {
        let s = self;
        on_storage!((s), s.adaptive_avg_pool2d_backward(p), one)
    }
    pub fn resize_bilinear(&self, p: &ResizeParams) -> Result<Storage> {
        let s = self;
        on_storage!((s), s.resize_bilinear(p), one)
    }
    pub fn resize_bilinear_backward(&self, p: &ResizeParams) -> Result<Storage> {
        let s = self;
        on_storage!((s), s.resize_bilinear_backward(p), one)
    }
    pub fn gather_cols(&self, idx: &Storage, rows: usize, cols: usize) -> Result<Storage> {
        let x = self;
        on_storage!("gather", (x, idx), [], x.gather_cols(idx, rows, cols), one)
    }
    pub fn scatter_cols(&self, idx: &Storage, rows: usize, cols: usize) -> Result<Storage> {
        let x = self;
        on_storage!("scatter", (x, idx), [], x.scatter_cols(idx, rows, cols), one)
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
