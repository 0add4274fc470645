//! The GPU backend through wgpu: Vulkan natively (lavapipe or SwiftShader where there is no
//! GPU), the host's WebGPU when compiled to wasm. Tensors stay in device buffers between ops;
//! reading one back is the only synchronisation (blocking natively, `await`ed on the web).

mod context;
mod kernels;
mod norm;
mod ops;

use super::*;
use crate::{bail, rng, Error};
use context::Ctx;
pub use context::ReadFuture;
use std::sync::Arc;

/// A wgpu device and queue. Clones share them; two devices are equal when they are the same
/// device (tensors on different devices cannot be mixed).
#[derive(Clone)]
pub struct GpuDevice {
    ctx: Arc<Ctx>,
}

impl std::fmt::Debug for GpuDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gpu#{}", self.ctx.id)
    }
}

impl PartialEq for GpuDevice {
    fn eq(&self, other: &Self) -> bool {
        self.ctx.id == other.ctx.id
    }
}
impl Eq for GpuDevice {}

impl GpuDevice {
    /// Requests an adapter and a device with the adapter's own limits (the defaults cap
    /// buffers at 256 MiB). `Err` names the reason when there is no adapter.
    pub async fn request() -> Result<GpuDevice> {
        #[cfg(target_arch = "wasm32")]
        let backends = ::wgpu::Backends::BROWSER_WEBGPU;
        #[cfg(not(target_arch = "wasm32"))]
        let backends = ::wgpu::Backends::from_env().unwrap_or(::wgpu::Backends::VULKAN);
        let mut desc = ::wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = backends;
        let instance = ::wgpu::Instance::new(desc);
        let adapter = instance
            .request_adapter(&::wgpu::RequestAdapterOptions {
                power_preference: ::wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| {
                Error::new("gpu", format!("no GPU adapter is available ({e}); WebGPU (or Vulkan natively) is needed"))
            })?;
        let (device, queue) = adapter
            .request_device(&::wgpu::DeviceDescriptor {
                label: Some("ferrograd"),
                required_features: ::wgpu::Features::empty(),
                required_limits: adapter.limits(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::new("gpu", format!("the GPU adapter refused to create a device: {e}")))?;
        Ok(GpuDevice { ctx: Arc::new(Ctx::new(&adapter, device, queue)) })
    }

    /// [`Self::request`], blocking (native only: there wgpu's futures resolve at once).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new_blocking() -> Result<GpuDevice> {
        pollster::block_on(Self::request())
    }

    /// The adapter's name, backend, type and driver.
    pub fn info(&self) -> &str {
        &self.ctx.info
    }
    /// Largest tensor buffer in bytes this device accepts.
    pub fn max_buffer_bytes(&self) -> u64 {
        self.ctx.max_bytes
    }
    /// Submits every recorded kernel.
    pub fn flush(&self) {
        self.ctx.flush();
    }
    /// Destroys the device now (later ops on its tensors fail with a clear error), so a host
    /// such as Node can exit.
    pub fn release(&self) {
        self.ctx.release();
    }
    pub fn is_lost(&self) -> bool {
        self.ctx.is_lost()
    }
    /// Counters that show batching and pooling at work.
    pub fn stats(&self) -> GpuStats {
        use std::sync::atomic::Ordering::Relaxed;
        GpuStats {
            submits: self.ctx.submits.load(Relaxed),
            buffers_created: self.ctx.created.load(Relaxed),
            reads: self.ctx.reads.load(Relaxed),
            pooled_bytes: self.ctx.pooled_bytes(),
        }
    }
    /// Compiles every kernel now (so a broken shader or driver shows up at init, not mid-way).
    pub fn warm_up(&self) -> Result<()> {
        for k in kernels::Kernel::all() {
            self.ctx.pipeline(k)?;
        }
        self.ctx.check("gpu")
    }

    fn alloc(&self, op: &'static str, len: usize) -> Result<GpuStorage> {
        let (class, buf) = self.ctx.alloc(op, (len * 4) as u64)?;
        Ok(GpuStorage { buf, class, len, dev: self.clone() })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpuStats {
    /// Command submissions to the queue.
    pub submits: u64,
    /// Storage buffers created (the rest came from the pool).
    pub buffers_created: u64,
    /// Idle bytes held for reuse.
    pub pooled_bytes: u64,
    /// Readbacks to the host (buffer maps): a training step needs none until its loss is read.
    pub reads: u64,
}

/// `len` f32 in a pooled device buffer (which may be larger).
pub struct GpuStorage {
    buf: ::wgpu::Buffer,
    class: u64,
    len: usize,
    dev: GpuDevice,
}

impl std::fmt::Debug for GpuStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuStorage({} floats on {:?})", self.len, self.dev)
    }
}

impl Drop for GpuStorage {
    fn drop(&mut self) {
        // Recorded kernels may still use the buffer: it is pooled after the next submit.
        self.dev.ctx.free(self.class, self.buf.clone());
    }
}

impl BackendStorage for GpuStorage {
    type Device = GpuDevice;

    fn device(&self) -> &GpuDevice {
        &self.dev
    }
    fn len(&self) -> usize {
        self.len
    }
    fn to_vec(&self, l: &Layout) -> Result<Vec<f32>> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            pollster::block_on(self.read(l)?)
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = l;
            bail!(
                "read",
                "a GPU tensor cannot be read synchronously here (dataSync/item/toArray/toString); use `await t.data()`, `await t.array()` or `await t.itemAsync()`"
            )
        }
    }
    fn contiguous(&self, l: &Layout) -> Result<Self> {
        self.contiguous_impl(l)
    }
    fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Self> {
        self.unary_impl(l, op)
    }
    fn binary(&self, l: &Layout, rhs: &Self, rl: &Layout, op: BinaryOp) -> Result<Self> {
        self.binary_impl(l, rhs, rl, op)
    }
    fn reduce(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> Result<Self> {
        self.reduce_impl(l, dims, op)
    }
    fn matmul(&self, rhs: &Self, p: &MatmulParams) -> Result<Self> {
        self.matmul_impl(rhs, p)
    }
    fn copy_into(&mut self, dl: &Layout, src: &Self, sl: &Layout) -> Result<()> {
        self.copy_into_impl(dl, src, sl)
    }
    fn axpby_inplace(&mut self, alpha: f32, src: &Self, beta: f32) -> Result<()> {
        self.axpby_impl(alpha, src, beta)
    }
    fn conv2d(&self, w: &Self, bias: Option<&Self>, p: &Conv2dParams) -> Result<Self> {
        self.conv_fwd(w, bias, p, None)
    }
    fn batch_norm_stats(&self, p: &BatchNormParams) -> Result<(Self, Self)> {
        self.batch_norm_stats_impl(p)
    }
    fn batch_norm_backward(
        &self,
        grad: &Self,
        mean: &Self,
        inv_std: &Self,
        weight: Option<&Self>,
        p: &BatchNormParams,
        batch_stats: bool,
    ) -> Result<(Self, Self, Self)> {
        self.batch_norm_backward_impl(grad, mean, inv_std, weight, p, batch_stats)
    }
    fn batch_norm_apply(
        &self,
        mean: &Self,
        inv_std: &Self,
        weight: Option<&Self>,
        bias: Option<&Self>,
        p: &BatchNormParams,
        act: Option<Activation>,
    ) -> Result<Self> {
        self.batch_norm_apply_impl(mean, inv_std, weight, bias, p, act)
    }
    /// The GEMM path applies the activation as it stores C; the direct kernels compose it.
    fn conv2d_act(&self, w: &Self, bias: Option<&Self>, p: &Conv2dParams, act: Activation) -> Result<Self> {
        if GpuStorage::conv_fwd_fuses(p) {
            return self.conv_fwd(w, bias, p, Some(act));
        }
        crate::backend::fused::conv2d_act(self, w, bias, p, act)
    }
    fn conv2d_backward_input(&self, w: &Self, p: &Conv2dParams) -> Result<Self> {
        self.conv_bwd_input(w, p)
    }
    fn conv2d_backward_weight(&self, g: &Self, p: &Conv2dParams) -> Result<Self> {
        self.conv_bwd_weight(g, p)
    }
    fn pool2d(&self, p: &Pool2dParams) -> Result<Self> {
        self.pool_fwd(p)
    }
    fn pool2d_backward(&self, g: &Self, p: &Pool2dParams) -> Result<Self> {
        self.pool_bwd(g, p)
    }
    fn max_pool2d_indices(&self, p: &Pool2dParams) -> Result<Self> {
        self.pool_indices(p)
    }
    fn max_unpool2d(&self, idx: &Self, p: &Unpool2dParams) -> Result<Self> {
        self.unpool_fwd(idx, p)
    }
    fn max_unpool2d_backward(&self, idx: &Self, p: &Unpool2dParams) -> Result<Self> {
        self.unpool_bwd(idx, p)
    }
    fn adaptive_avg_pool2d(&self, p: &AdaptivePoolParams) -> Result<Self> {
        self.adaptive_fwd(p)
    }
    fn adaptive_avg_pool2d_backward(&self, p: &AdaptivePoolParams) -> Result<Self> {
        self.adaptive_bwd(p)
    }
    fn resize_bilinear(&self, p: &ResizeParams) -> Result<Self> {
        self.resize_fwd(p)
    }
    fn resize_bilinear_backward(&self, p: &ResizeParams) -> Result<Self> {
        self.resize_bwd(p)
    }
    fn gather_cols(&self, idx: &Self, rows: usize, cols: usize) -> Result<Self> {
        self.gather_impl(idx, rows, cols)
    }
    fn scatter_cols(&self, idx: &Self, rows: usize, cols: usize) -> Result<Self> {
        self.scatter_impl(idx, rows, cols)
    }
}

impl BackendDevice for GpuDevice {
    type Storage = GpuStorage;
    fn zeros(&self, len: usize) -> Result<GpuStorage> {
        let s = self.alloc("zeros", len)?;
        self.ctx.clear("zeros", &s.buf)?;
        Ok(s)
    }
    fn full(&self, len: usize, v: f32) -> Result<GpuStorage> {
        if v == 0.0 && v.is_sign_positive() {
            return self.zeros(len);
        }
        let s = self.alloc("full", len)?;
        ops::fill(&s, v)?;
        Ok(s)
    }
    fn upload(&self, data: &[f32]) -> Result<GpuStorage> {
        let s = self.alloc("tensor", data.len())?;
        self.ctx.write_fresh("tensor", &s.buf, data)?;
        Ok(s)
    }
    // Sampled by the CPU generator and uploaded: the same seed gives the same values on every
    // device, so CPU and GPU runs start from identical weights and dropout masks.
    fn rand_uniform(&self, len: usize, lo: f32, hi: f32) -> Result<GpuStorage> {
        let mut v = vec![0.0; len];
        rng::fill_uniform(&mut v, lo, hi);
        self.upload(&v)
    }
    fn rand_normal(&self, len: usize, mean: f32, std: f32) -> Result<GpuStorage> {
        let mut v = vec![0.0; len];
        rng::fill_normal(&mut v, mean, std);
        self.upload(&v)
    }
}

/// Checks that a size fits the u32 arithmetic of the kernels.
fn u32_of(op: &'static str, v: usize) -> Result<u32> {
    match u32::try_from(v) {
        Ok(x) => Ok(x),
        Err(_) => bail!(op, "size {v} is too large for the GPU kernels"),
    }
}
