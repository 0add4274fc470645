//! The tensor: a shared storage buffer, a strided layout into it, and (when it was computed
//! from tensors that require grad) the op that produced it.

use crate::autograd::Op;
use crate::backend::{Device, Storage};
use crate::shape::{check_shape, numel, Layout, Shape};
use crate::{bail, Result};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static LIVE_TENSORS: AtomicUsize = AtomicUsize::new(0);
static LIVE_BUFFERS: AtomicUsize = AtomicUsize::new(0);
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Number of tensors (views included) alive in this instance: the leak detector of the tests.
pub fn live_tensors() -> usize {
    LIVE_TENSORS.load(Ordering::Relaxed)
}

/// Number of storage buffers alive and the bytes they hold.
pub fn live_buffers() -> (usize, usize) {
    (LIVE_BUFFERS.load(Ordering::Relaxed), LIVE_BYTES.load(Ordering::Relaxed))
}

/// The most bytes storage buffers held at once since the last reset, which `reset` sets to what
/// they hold now (a benchmark's peak per model).
pub fn peak_buffer_bytes(reset: bool) -> usize {
    if reset {
        PEAK_BYTES.store(LIVE_BYTES.load(Ordering::Relaxed), Ordering::Relaxed);
    }
    PEAK_BYTES.load(Ordering::Relaxed)
}

pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

pub fn set_grad_enabled(on: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(on))
}

/// Runs `f` without recording ops for autograd (PyTorch's `torch.no_grad()`).
pub fn no_grad<T>(f: impl FnOnce() -> T) -> T {
    let prev = set_grad_enabled(false);
    let out = f();
    set_grad_enabled(prev);
    out
}

/// A storage buffer shared by a tensor and its views.
#[derive(Debug)]
pub struct Buffer {
    storage: RwLock<Storage>,
    bytes: usize,
}

impl Buffer {
    fn new(storage: Storage) -> Arc<Buffer> {
        let bytes = storage.len() * 4;
        LIVE_BUFFERS.fetch_add(1, Ordering::Relaxed);
        let now = LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
        PEAK_BYTES.fetch_max(now, Ordering::Relaxed);
        Arc::new(Buffer { storage: RwLock::new(storage), bytes })
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        LIVE_BUFFERS.fetch_sub(1, Ordering::Relaxed);
        LIVE_BYTES.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(u64);

#[derive(Debug)]
pub struct Inner {
    id: TensorId,
    buffer: Arc<Buffer>,
    layout: Layout,
    /// The recorded op; taken out after `backward` so saved activations are freed.
    op: RwLock<Option<Op>>,
    requires_grad: AtomicBool,
    is_leaf: bool,
    /// PyTorch's `grad_fn` name, kept after backward frees the op (for printing).
    grad_fn: RwLock<Option<&'static str>>,
    grad: RwLock<Option<Tensor>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        LIVE_TENSORS.fetch_sub(1, Ordering::Relaxed);
        // Unlink long op chains iteratively: recursive drops of a 1000-layer graph would
        // overflow wasm's small stack.
        let mut stack: Vec<Op> = self.op.get_mut().ok().and_then(|o| o.take()).into_iter().collect();
        while let Some(op) = stack.pop() {
            for t in op.into_inputs() {
                if let Ok(inner) = Arc::try_unwrap(t.0) {
                    let mut inner = inner;
                    if let Some(o) = inner.op.get_mut().ok().and_then(|o| o.take()) {
                        stack.push(o);
                    }
                }
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Tensor(pub(crate) Arc<Inner>);

impl Tensor {
    fn make(buffer: Arc<Buffer>, layout: Layout, op: Option<Op>, requires_grad: bool, is_leaf: bool) -> Tensor {
        LIVE_TENSORS.fetch_add(1, Ordering::Relaxed);
        let grad_fn = RwLock::new(op.as_ref().map(Op::name));
        Tensor(Arc::new(Inner {
            grad_fn,
            id: TensorId(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            buffer,
            layout,
            op: RwLock::new(op),
            requires_grad: AtomicBool::new(requires_grad),
            is_leaf,
            grad: RwLock::new(None),
        }))
    }

    /// A fresh tensor over `storage` (contiguous `shape`). `op` is recorded only when grad mode
    /// is on and some input requires grad.
    pub(crate) fn from_op(storage: Storage, shape: &[usize], op: Option<Op>) -> Tensor {
        let op = op.filter(|o| is_grad_enabled() && o.inputs().iter().any(|t| t.requires_grad()));
        let rg = op.is_some();
        Tensor::make(Buffer::new(storage), Layout::contiguous(shape), op, rg, !rg)
    }

    /// As [`Tensor::from_op`], for an op whose gradient rule reads the op's own output: `op`
    /// gets a constant tensor sharing the output's buffer (no graph, so no cycle).
    pub(crate) fn from_op_saving_output(storage: Storage, shape: &[usize], op: impl FnOnce(Tensor) -> Op) -> Tensor {
        let (buffer, layout) = (Buffer::new(storage), Layout::contiguous(shape));
        let saved = Tensor::make(buffer.clone(), layout.clone(), None, false, true);
        let op = Some(op(saved)).filter(|o| is_grad_enabled() && o.inputs().iter().any(|t| t.requires_grad()));
        let rg = op.is_some();
        Tensor::make(buffer, layout, op, rg, !rg)
    }

    /// A view sharing this tensor's buffer.
    pub(crate) fn view(&self, layout: Layout, op: Option<Op>) -> Tensor {
        let op = op.filter(|_| is_grad_enabled() && self.requires_grad());
        let rg = op.is_some();
        Tensor::make(self.0.buffer.clone(), layout, op, rg, !rg)
    }

    pub fn from_storage(storage: Storage, shape: &[usize]) -> Result<Tensor> {
        if storage.len() != check_shape("tensor", shape)? {
            bail!("tensor", "{} values cannot fill shape {:?} ({} elements)", storage.len(), shape, numel(shape));
        }
        Ok(Tensor::from_op(storage, shape, None))
    }

    pub fn from_vec(data: Vec<f32>, shape: &[usize], device: &Device) -> Result<Tensor> {
        if data.len() != numel(shape) {
            bail!("tensor", "{} values cannot fill shape {:?} ({} elements)", data.len(), shape, numel(shape));
        }
        Tensor::from_storage(device.from_slice(&data)?, shape)
    }

    pub fn from_slice(data: &[f32], shape: &[usize], device: &Device) -> Result<Tensor> {
        if data.len() != numel(shape) {
            bail!("tensor", "{} values cannot fill shape {:?} ({} elements)", data.len(), shape, numel(shape));
        }
        Tensor::from_storage(device.from_slice(data)?, shape)
    }

    pub fn scalar(v: f32, device: &Device) -> Tensor {
        Tensor::from_storage(device.full(1, v).expect("one float"), &[]).expect("scalar shape")
    }

    pub fn zeros(shape: &[usize], device: &Device) -> Result<Tensor> {
        Tensor::from_storage(device.zeros(check_shape("zeros", shape)?)?, shape)
    }
    pub fn ones(shape: &[usize], device: &Device) -> Result<Tensor> {
        Tensor::from_storage(device.full(check_shape("ones", shape)?, 1.0)?, shape)
    }
    pub fn full(shape: &[usize], v: f32, device: &Device) -> Result<Tensor> {
        Tensor::from_storage(device.full(check_shape("full", shape)?, v)?, shape)
    }
    /// Uniform in `[lo, hi)` from the seedable generator.
    pub fn rand(shape: &[usize], lo: f32, hi: f32, device: &Device) -> Result<Tensor> {
        Tensor::from_storage(device.rand_uniform(check_shape("rand", shape)?, lo, hi)?, shape)
    }
    pub fn randn(shape: &[usize], mean: f32, std: f32, device: &Device) -> Result<Tensor> {
        Tensor::from_storage(device.rand_normal(check_shape("randn", shape)?, mean, std)?, shape)
    }
    /// `start, start+step, ...` below `end` (like `torch.arange`).
    pub fn arange(start: f32, end: f32, step: f32, device: &Device) -> Result<Tensor> {
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !end.is_finite() {
            bail!("arange", "start {start}, end {end} and step {step} must be finite with a non-zero step");
        }
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        check_shape("arange", &[n])?;
        crate::backend::cpu::alloc::ensure("arange", 2 * n)?;
        let v: Vec<f32> = (0..n).map(|i| start + i as f32 * step).collect();
        Tensor::from_vec(v, &[n], device)
    }

    pub fn id(&self) -> TensorId {
        self.0.id
    }
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }
    pub fn shape(&self) -> &Shape {
        &self.0.layout.shape
    }
    pub fn rank(&self) -> usize {
        self.0.layout.rank()
    }
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }
    pub fn device(&self) -> Device {
        self.storage().device()
    }
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.load(Ordering::Relaxed)
    }
    pub fn is_leaf(&self) -> bool {
        self.0.is_leaf
    }
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }
    /// True when this tensor is a contiguous view of its whole buffer (safe for in-place updates
    /// that work on whole storages).
    pub fn owns_buffer(&self) -> bool {
        self.0.layout.offset == 0
            && self.is_contiguous()
            && self.numel() == self.0.buffer.storage.read().map(|s| s.len()).unwrap_or(0)
    }
    /// True when this handle is the only reference to the tensor and the tensor the only one to
    /// its buffer, which it covers contiguously: nothing else can observe an in-place write
    /// (backward's intermediate gradients).
    pub(crate) fn is_sole_owner(&self) -> bool {
        Arc::strong_count(&self.0) == 1 && Arc::strong_count(&self.0.buffer) == 1 && self.owns_buffer()
    }
    pub fn same_buffer(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0.buffer, &other.0.buffer)
    }

    pub(crate) fn storage(&self) -> RwLockReadGuard<'_, Storage> {
        self.0.buffer.storage.read().unwrap_or_else(|e| e.into_inner())
    }
    pub(crate) fn storage_mut(&self) -> RwLockWriteGuard<'_, Storage> {
        self.0.buffer.storage.write().unwrap_or_else(|e| e.into_inner())
    }
    pub(crate) fn op(&self) -> RwLockReadGuard<'_, Option<Op>> {
        self.0.op.read().unwrap_or_else(|e| e.into_inner())
    }
    /// PyTorch's `grad_fn` name of the op that produced this tensor, if it was recorded.
    pub fn grad_fn_name(&self) -> Option<&'static str> {
        *self.0.grad_fn.read().unwrap_or_else(|e| e.into_inner())
    }
    /// Names a composite's result after the PyTorch op it implements (`MeanBackward0`, ...).
    pub(crate) fn named(self, name: &'static str) -> Tensor {
        let mut g = self.0.grad_fn.write().unwrap_or_else(|e| e.into_inner());
        if g.is_some() {
            *g = Some(name);
        }
        drop(g);
        self
    }
    pub(crate) fn take_op(&self) -> Option<Op> {
        self.0.op.write().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Elements in row-major order (synchronous; a GPU tensor is read back).
    pub fn to_vec(&self) -> Result<Vec<f32>> {
        self.storage().to_vec(self.layout())
    }

    pub fn to_scalar(&self) -> Result<f32> {
        if self.numel() != 1 {
            bail!("item", "only one-element tensors can be converted to a number, got shape {:?}", self.shape());
        }
        Ok(self.to_vec()?[0])
    }

    /// A leaf that shares storage with `self` and does not require grad.
    pub fn detach(&self) -> Tensor {
        Tensor::make(self.0.buffer.clone(), self.layout().clone(), None, false, true)
    }

    /// `requires_grad_()`: only leaves may change it (a computed tensor's flag follows its inputs).
    pub fn set_requires_grad(&self, on: bool) -> Result<()> {
        if !self.is_leaf() {
            if on {
                return Ok(());
            }
            bail!(
                "requires_grad",
                "can only change requires_grad of leaf tensors; use detach() for a non-leaf of shape {:?}",
                self.shape()
            );
        }
        self.0.requires_grad.store(on, Ordering::Relaxed);
        Ok(())
    }

    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn set_grad(&self, g: Option<Tensor>) {
        *self.0.grad.write().unwrap_or_else(|e| e.into_inner()) = g;
    }
    pub fn zero_grad(&self) {
        self.set_grad(None);
    }
}
