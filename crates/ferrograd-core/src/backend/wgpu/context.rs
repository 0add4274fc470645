//! One wgpu device with its queue, and the bookkeeping that keeps per-op overhead low: kernels
//! are recorded into one shared command encoder and submitted in batches; their small parameter
//! blocks go into one arena buffer written once per batch; pipelines are cached; storage
//! buffers are pooled by size class and a freed buffer only returns to the pool once the work
//! that used it has been submitted.

use super::kernels::Kernel;
use crate::{bail, Error, Result};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Kernels recorded before a submit (tfjs-webgpu submits every 15, CubeCL every 32).
const DISPATCHES_PER_SUBMIT: usize = 32;
/// Bytes of parameters one dispatch may bind (and the arena's slot size: WebGPU's largest
/// storage offset alignment).
pub(crate) const META_SLOT: usize = 256;
const ARENA_SLOTS: usize = 64;
/// Allocations this large reuse a freed buffer at once (submitting early) rather than add one.
const RECLAIM_BYTES: u64 = 4 << 20;
/// Idle pooled bytes kept for reuse; beyond this, freed buffers are destroyed.
const POOL_LIMIT: u64 = 512 << 20;
const USAGE: ::wgpu::BufferUsages =
    ::wgpu::BufferUsages::STORAGE.union(::wgpu::BufferUsages::COPY_SRC).union(::wgpu::BufferUsages::COPY_DST);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Asynchronous failures reported by callbacks (device loss, uncaptured validation or
/// out-of-memory errors), surfaced by the next op or read.
#[derive(Default)]
struct Status {
    lost: Option<String>,
    error: Option<String>,
}

struct State {
    encoder: Option<::wgpu::CommandEncoder>,
    dispatches: usize,
    meta: Vec<u8>,
    pool: HashMap<u64, Vec<::wgpu::Buffer>>,
    pooled_bytes: u64,
}

pub(crate) struct Ctx {
    pub id: u64,
    pub device: ::wgpu::Device,
    pub queue: ::wgpu::Queue,
    pub info: String,
    /// Largest buffer we may allocate and bind whole.
    pub max_bytes: u64,
    /// Workgroups per grid dimension (read once: on the web each `limits()` crosses to JS).
    max_groups: u32,
    layouts: [::wgpu::PipelineLayout; 2],
    bind_layouts: [::wgpu::BindGroupLayout; 2],
    pipelines: Mutex<HashMap<Kernel, ::wgpu::ComputePipeline>>,
    modules: Mutex<HashMap<String, ::wgpu::ShaderModule>>,
    state: Mutex<State>,
    /// Buffers of dropped storages, waiting for the next submit before they can be reused.
    freed: Mutex<Vec<(u64, ::wgpu::Buffer)>>,
    status: Arc<Mutex<Status>>,
    arena: ::wgpu::Buffer,
    dummy: ::wgpu::Buffer,
    /// Error bits set by kernels (bad class indices), checked on every read.
    flags: ::wgpu::Buffer,
    /// Queue submissions and buffers created so far (batching and pooling at work).
    pub submits: AtomicU64,
    pub created: AtomicU64,
    /// Readbacks to the host (buffer maps) so far.
    pub reads: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Size class of an allocation: powers of two up to 4 KiB, then steps of 1/8 of a power of two.
pub(crate) fn size_class(bytes: u64) -> u64 {
    let b = bytes.max(16);
    if b <= 4096 {
        return b.next_power_of_two();
    }
    let step = b.next_power_of_two() / 8;
    b.div_ceil(step) * step
}

fn layout_entry(binding: u32, read_only: bool) -> ::wgpu::BindGroupLayoutEntry {
    ::wgpu::BindGroupLayoutEntry {
        binding,
        visibility: ::wgpu::ShaderStages::COMPUTE,
        ty: ::wgpu::BindingType::Buffer {
            ty: ::wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl Ctx {
    pub fn new(adapter: &::wgpu::Adapter, device: ::wgpu::Device, queue: ::wgpu::Queue) -> Ctx {
        let ai = adapter.get_info();
        let mut detail = vec![format!("{:?}", ai.backend), format!("{:?}", ai.device_type)];
        let driver = format!("{} {}", ai.driver, ai.driver_info);
        if !driver.trim().is_empty() {
            detail.push(format!("driver {}", driver.trim()));
        }
        let info = format!("{} ({})", ai.name, detail.join(", "));
        let limits = device.limits();
        let max_bytes = limits.max_buffer_size.min(limits.max_storage_buffer_binding_size) & !3;
        let status = Arc::new(Mutex::new(Status::default()));
        let s = status.clone();
        device.on_uncaptured_error(Arc::new(move |e: ::wgpu::Error| {
            let mut st = lock(&s);
            if st.error.is_none() {
                st.error = Some(match &e {
                    ::wgpu::Error::OutOfMemory { .. } => "the GPU ran out of memory".to_string(),
                    other => other.to_string(),
                });
            }
        }));
        let s = status.clone();
        device.set_device_lost_callback(move |reason, msg| {
            lock(&s).lost =
                Some(format!("{reason:?}{}", if msg.is_empty() { String::new() } else { format!(": {msg}") }));
        });
        // [meta, in0, in1, in2, out] and the same plus the error flags.
        let plain: Vec<_> = (0..5).map(|b| layout_entry(b, b < 4)).collect();
        let mut flagged = plain.clone();
        flagged.push(layout_entry(5, false));
        let bind_layouts = [plain, flagged].map(|entries| {
            device.create_bind_group_layout(&::wgpu::BindGroupLayoutDescriptor { label: None, entries: &entries })
        });
        let layouts = [0, 1].map(|i| {
            device.create_pipeline_layout(&::wgpu::PipelineLayoutDescriptor {
                label: None,
                bind_group_layouts: &[Some(&bind_layouts[i])],
                immediate_size: 0,
            })
        });
        let buf = |size: u64| {
            device.create_buffer(&::wgpu::BufferDescriptor {
                label: None,
                size,
                usage: USAGE,
                mapped_at_creation: false,
            })
        };
        let arena = buf((META_SLOT * ARENA_SLOTS) as u64);
        let dummy = buf(16);
        let flags = buf(16);
        Ctx {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            info,
            max_bytes,
            max_groups: limits.max_compute_workgroups_per_dimension,
            layouts,
            bind_layouts,
            pipelines: Mutex::new(HashMap::new()),
            modules: Mutex::new(HashMap::new()),
            state: Mutex::new(State {
                encoder: None,
                dispatches: 0,
                meta: Vec::new(),
                pool: HashMap::new(),
                pooled_bytes: 0,
            }),
            freed: Mutex::new(Vec::new()),
            status,
            arena,
            dummy,
            flags,
            submits: AtomicU64::new(0),
            created: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            device,
            queue,
        }
    }

    /// Fails with the pending asynchronous error, if any (then forgets it: the instance goes on).
    pub fn check(&self, op: &'static str) -> Result<()> {
        let mut st = lock(&self.status);
        if let Some(l) = &st.lost {
            bail!(op, "the GPU device was lost ({l}); call initGpu() again (tensors on the lost device are gone)");
        }
        if let Some(e) = st.error.take() {
            bail!(op, "an earlier GPU operation failed: {e}");
        }
        Ok(())
    }

    /// Idle bytes in the pool.
    pub fn pooled_bytes(&self) -> u64 {
        lock(&self.state).pooled_bytes
    }

    pub fn is_lost(&self) -> bool {
        lock(&self.status).lost.is_some()
    }

    /// Marks the device released so later ops fail clearly, and destroys it.
    pub fn release(&self) {
        lock(&self.status).lost.get_or_insert_with(|| "released by releaseGpu()".into());
        {
            let mut st = lock(&self.state);
            st.encoder = None;
            st.pool.clear();
            st.pooled_bytes = 0;
        }
        lock(&self.freed).clear();
        self.device.destroy();
    }

    /// A storage buffer of at least `bytes` (from the pool when one of its class is free).
    pub fn alloc(&self, op: &'static str, bytes: u64) -> Result<(u64, ::wgpu::Buffer)> {
        self.check(op)?;
        let class = size_class(bytes);
        if class > self.max_bytes {
            bail!(
                op,
                "a {:.1} MiB buffer exceeds this GPU's limit of {:.1} MiB per buffer",
                bytes as f64 / 1048576.0,
                self.max_bytes as f64 / 1048576.0
            );
        }
        {
            let mut st = lock(&self.state);
            // A large buffer of this class waiting for a submit: submitting early to reuse it
            // beats holding two. Small ones are cheaper to create than an early submit, which
            // would break up the batch.
            let pooled = |st: &mut State| st.pool.get_mut(&class).and_then(Vec::pop);
            let mut b = pooled(&mut st);
            if b.is_none() && class >= RECLAIM_BYTES && lock(&self.freed).iter().any(|(c, _)| *c == class) {
                self.flush_locked(&mut st);
                b = pooled(&mut st);
            }
            if let Some(b) = b {
                st.pooled_bytes -= class;
                return Ok((class, b));
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        let scope = self.device.push_error_scope(::wgpu::ErrorFilter::OutOfMemory);
        let b = self.device.create_buffer(&::wgpu::BufferDescriptor {
            label: None,
            size: class,
            usage: USAGE,
            mapped_at_creation: false,
        });
        self.created.fetch_add(1, Ordering::Relaxed);
        // Natively the scope resolves at once, so an allocation failure is a plain error here;
        // on the web it arrives later through the uncaptured-error handler.
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(e) = pollster::block_on(scope.pop()) {
            bail!(op, "could not allocate {:.1} MiB on the GPU: {e}", bytes as f64 / 1048576.0);
        }
        Ok((class, b))
    }

    pub fn free(&self, class: u64, b: ::wgpu::Buffer) {
        lock(&self.freed).push((class, b));
    }

    pub(crate) fn pipeline(&self, k: Kernel) -> Result<::wgpu::ComputePipeline> {
        if let Some(p) = lock(&self.pipelines).get(&k) {
            return Ok(p.clone());
        }
        let (name, source) = k.module();
        let module = {
            let mut mods = lock(&self.modules);
            mods.entry(name.clone().into_owned())
                .or_insert_with(|| {
                    self.device.create_shader_module(::wgpu::ShaderModuleDescriptor {
                        label: Some(&name),
                        source: ::wgpu::ShaderSource::Wgsl(source),
                    })
                })
                .clone()
        };
        let p = self.device.create_compute_pipeline(&::wgpu::ComputePipelineDescriptor {
            label: Some(k.entry()),
            layout: Some(&self.layouts[k.flagged() as usize]),
            module: &module,
            entry_point: Some(k.entry()),
            compilation_options: Default::default(),
            cache: None,
        });
        lock(&self.pipelines).insert(k, p.clone());
        Ok(p)
    }

    /// Records one kernel launch. `groups` is the number of workgroups; it is folded into a 2-D
    /// grid when it exceeds the per-dimension limit (kernels rebuild the linear index).
    pub fn dispatch(
        &self,
        k: Kernel,
        meta: &[u32],
        inputs: &[&::wgpu::Buffer],
        out: &::wgpu::Buffer,
        groups: [u32; 3],
    ) -> Result<()> {
        self.check(k.entry())?;
        debug_assert!(meta.len() * 4 <= META_SLOT && inputs.len() <= 3);
        let pipeline = self.pipeline(k)?;
        let mut st = lock(&self.state);
        if st.meta.len() + META_SLOT > META_SLOT * ARENA_SLOTS {
            self.flush_locked(&mut st);
        }
        let offset = st.meta.len();
        for v in meta {
            st.meta.extend_from_slice(&v.to_le_bytes());
        }
        st.meta.resize(offset + META_SLOT, 0);
        let mut entries = vec![::wgpu::BindGroupEntry {
            binding: 0,
            resource: ::wgpu::BindingResource::Buffer(::wgpu::BufferBinding {
                buffer: &self.arena,
                offset: offset as u64,
                size: ::wgpu::BufferSize::new(META_SLOT as u64),
            }),
        }];
        for i in 0..3 {
            let b = inputs.get(i).copied().unwrap_or(&self.dummy);
            entries.push(::wgpu::BindGroupEntry { binding: 1 + i as u32, resource: b.as_entire_binding() });
        }
        entries.push(::wgpu::BindGroupEntry { binding: 4, resource: out.as_entire_binding() });
        if k.flagged() {
            entries.push(::wgpu::BindGroupEntry { binding: 5, resource: self.flags.as_entire_binding() });
        }
        let bind = self.device.create_bind_group(&::wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.bind_layouts[k.flagged() as usize],
            entries: &entries,
        });
        let max = self.max_groups;
        let [mut x, mut y, z] = groups;
        if x > max {
            y = y.max(1) * x.div_ceil(max);
            x = max;
        }
        if y > max || z > max {
            bail!(k.entry(), "launch grid {groups:?} exceeds the GPU's {max} workgroups per dimension");
        }
        let enc = self.encoder(&mut st);
        {
            let mut pass =
                enc.begin_compute_pass(&::wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(x, y.max(1), z.max(1));
        }
        self.count(&mut st);
        Ok(())
    }

    fn encoder<'a>(&self, st: &'a mut State) -> &'a mut ::wgpu::CommandEncoder {
        st.encoder.get_or_insert_with(|| self.device.create_command_encoder(&Default::default()))
    }

    fn count(&self, st: &mut State) {
        st.dispatches += 1;
        if st.dispatches >= DISPATCHES_PER_SUBMIT {
            self.flush_locked(st);
        }
    }

    /// Records a buffer-to-buffer copy (sizes in bytes) in stream order.
    pub fn copy(
        &self,
        op: &'static str,
        src: &::wgpu::Buffer,
        so: u64,
        dst: &::wgpu::Buffer,
        d: u64,
        n: u64,
    ) -> Result<()> {
        self.check(op)?;
        if n == 0 {
            return Ok(());
        }
        let mut st = lock(&self.state);
        self.encoder(&mut st).copy_buffer_to_buffer(src, so, dst, d, n);
        self.count(&mut st);
        Ok(())
    }

    pub fn clear(&self, op: &'static str, dst: &::wgpu::Buffer) -> Result<()> {
        self.check(op)?;
        let mut st = lock(&self.state);
        self.encoder(&mut st).clear_buffer(dst, 0, None);
        self.count(&mut st);
        Ok(())
    }

    /// Writes host data into a buffer that no recorded work uses yet (a fresh allocation):
    /// queue writes land before the next submit's commands, so this is safe only for those.
    pub fn write_fresh(&self, op: &'static str, dst: &::wgpu::Buffer, data: &[f32]) -> Result<()> {
        self.check(op)?;
        if !data.is_empty() {
            self.queue.write_buffer(dst, 0, bytemuck::cast_slice(data));
        }
        Ok(())
    }

    pub fn flush(&self) {
        let mut st = lock(&self.state);
        self.flush_locked(&mut st);
    }

    fn flush_locked(&self, st: &mut State) {
        if !st.meta.is_empty() {
            self.queue.write_buffer(&self.arena, 0, &st.meta);
            st.meta.clear();
        }
        if let Some(enc) = st.encoder.take() {
            self.queue.submit([enc.finish()]);
            self.submits.fetch_add(1, Ordering::Relaxed);
        }
        st.dispatches = 0;
        let freed = std::mem::take(&mut *lock(&self.freed));
        for (class, b) in freed {
            if st.pooled_bytes + class > POOL_LIMIT {
                b.destroy();
                continue;
            }
            st.pooled_bytes += class;
            st.pool.entry(class).or_default().push(b);
        }
    }

    /// Copies `len` floats from `src` (starting at float `offset`) to the host. The copy and
    /// everything recorded before it are submitted now; the future resolves when the GPU is
    /// done (natively it already is when this returns).
    pub fn read(
        self: &Arc<Self>,
        op: &'static str,
        src: &::wgpu::Buffer,
        offset: usize,
        len: usize,
    ) -> Result<ReadFuture> {
        self.check(op)?;
        self.reads.fetch_add(1, Ordering::Relaxed);
        let bytes = (len * 4) as u64;
        let staging = self.device.create_buffer(&::wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes + 16,
            usage: ::wgpu::BufferUsages::MAP_READ | ::wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        {
            let mut st = lock(&self.state);
            let enc = self.encoder(&mut st);
            if bytes > 0 {
                enc.copy_buffer_to_buffer(src, (offset * 4) as u64, &staging, 0, bytes);
            }
            enc.copy_buffer_to_buffer(&self.flags, 0, &staging, bytes, 16);
            enc.clear_buffer(&self.flags, 0, None);
            self.flush_locked(&mut st);
        }
        let slot = Arc::new(Mutex::new(MapSlot::default()));
        let s = slot.clone();
        staging.slice(..).map_async(::wgpu::MapMode::Read, move |r| {
            let mut g = lock(&s);
            g.done = Some(r.map_err(|e| e.to_string()));
            if let Some(w) = g.waker.take() {
                w.wake();
            }
        });
        #[cfg(not(target_arch = "wasm32"))]
        if let Err(e) = self.device.poll(::wgpu::PollType::wait_indefinitely()) {
            lock(&slot).done.get_or_insert(Err(e.to_string()));
        }
        Ok(ReadFuture { ctx: self.clone(), op, staging: Some(staging), len, slot })
    }
}

#[derive(Default)]
struct MapSlot {
    done: Option<std::result::Result<(), String>>,
    waker: Option<Waker>,
}

/// A pending read of a GPU buffer (see [`Ctx::read`]).
pub struct ReadFuture {
    ctx: Arc<Ctx>,
    op: &'static str,
    staging: Option<::wgpu::Buffer>,
    len: usize,
    slot: Arc<Mutex<MapSlot>>,
}

impl ReadFuture {
    fn finish(&mut self, mapped: std::result::Result<(), String>) -> Result<Vec<f32>> {
        let staging = self.staging.take().ok_or_else(|| Error::new(self.op, "read polled after completion"))?;
        if let Err(e) = mapped {
            self.ctx.check(self.op)?;
            bail!(self.op, "reading the GPU buffer failed: {e}");
        }
        let (data, flags) = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| Error::new(self.op, e.to_string()))?;
            let all: &[u8] = &view;
            let floats: Vec<f32> =
                all[..self.len * 4].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            let flags = u32::from_le_bytes([
                all[self.len * 4],
                all[self.len * 4 + 1],
                all[self.len * 4 + 2],
                all[self.len * 4 + 3],
            ]);
            (floats, flags)
        };
        staging.unmap();
        staging.destroy();
        self.ctx.check(self.op)?;
        if flags & 1 != 0 {
            bail!(
                "gather",
                "a class index was out of range or not an integer (found by a GPU kernel; labels must be integers in 0..C-1, as cross_entropy expects); the affected values are NaN"
            );
        }
        if flags & 2 != 0 {
            bail!(
                "max_unpool2d",
                "Found an invalid max index (found by a GPU kernel; indices must be integers in 0..out_h*out_w-1 of their plane, as max_pool2d's return_indices gives); the affected values are NaN or 0"
            );
        }
        Ok(data)
    }
}

impl Future for ReadFuture {
    type Output = Result<Vec<f32>>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let done = {
            let mut g = lock(&this.slot);
            match g.done.take() {
                Some(d) => d,
                None => {
                    g.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        };
        Poll::Ready(this.finish(done))
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // Last reference gone: nothing can use the device any more.
        if !self.is_lost() {
            self.device.destroy();
        }
    }
}
