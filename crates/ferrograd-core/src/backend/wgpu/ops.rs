//! Op launchers: turn layouts and op descriptors into parameter blocks and grids.

use super::kernels::{act_code, divisor_code, Kernel, ReduceCode, Tile};
use super::{u32_of, GpuStorage};
use crate::backend::*;
use crate::shape::Layout;
use crate::{bail, Result};

const MAX_RANK: usize = 8;
const WG: usize = 256;

/// Merges dims across which every layout is contiguous and drops size-1 dims, so most
/// strided views reach the kernels as 1-3 dims. Returns sizes and per-layout strides,
/// outermost first.
fn collapse<const L: usize>(shape: &[usize], strides: [&[usize]; L]) -> (Vec<usize>, [Vec<usize>; L]) {
    let mut sizes: Vec<usize> = Vec::new();
    let mut st: [Vec<usize>; L] = std::array::from_fn(|_| Vec::new());
    for d in (0..shape.len()).rev() {
        if shape[d] == 1 {
            continue;
        }
        if let Some(&inner) = sizes.last() {
            let k = sizes.len() - 1;
            if (0..L).all(|l| strides[l][d] == st[l][k] * inner) {
                sizes[k] *= shape[d];
                continue;
            }
        }
        sizes.push(shape[d]);
        for l in 0..L {
            st[l].push(strides[l][d]);
        }
    }
    sizes.reverse();
    for s in &mut st {
        s.reverse();
    }
    (sizes, st)
}

/// Writes `v` into `meta[at..at + MAX_RANK]`.
fn put(op: &'static str, meta: &mut [u32], at: usize, v: &[usize]) -> Result<()> {
    if v.len() > MAX_RANK {
        bail!(op, "a layout with {} non-mergeable dims exceeds the GPU kernels' {MAX_RANK}", v.len());
    }
    for (i, &x) in v.iter().enumerate() {
        meta[at + i] = u32_of(op, x)?;
    }
    Ok(())
}

fn groups_for(threads: usize) -> [u32; 3] {
    [threads.div_ceil(WG).max(1) as u32, 1, 1]
}

/// Parameter block of an elementwise kernel (see elementwise.wgsl).
#[allow(clippy::too_many_arguments)]
fn ew_meta(
    op_name: &'static str,
    n: usize,
    f: [f32; 2],
    o: [usize; 2],
    sizes: &[usize],
    s0: &[usize],
    s1: &[usize],
) -> Result<Vec<u32>> {
    let mut m = vec![0u32; 32];
    m[0] = u32_of(op_name, n)?;
    m[1] = sizes.len() as u32;
    m[3] = f[0].to_bits();
    m[4] = f[1].to_bits();
    m[5] = u32_of(op_name, o[0])?;
    m[6] = u32_of(op_name, o[1])?;
    put(op_name, &mut m, 8, sizes)?;
    put(op_name, &mut m, 16, s0)?;
    put(op_name, &mut m, 24, s1)?;
    Ok(m)
}

pub(super) fn fill(s: &GpuStorage, v: f32) -> Result<()> {
    if s.len == 0 {
        return Ok(());
    }
    let m = ew_meta("full", s.len, [v, 0.0], [0, 0], &[], &[], &[])?;
    s.dev.ctx.dispatch(Kernel::Fill, &m, &[], &s.buf, groups_for(s.len))
}

/// The GEMM tile for an `m x n` output per batch: 128x128 (8x8 per thread) where the output
/// fills such tiles and there are enough of them to occupy a GPU's cores, else 64x64.
fn gemm_tile(m: usize, n: usize, batches: usize) -> Tile {
    if m >= 128 && n >= 128 && m.div_ceil(128) * n.div_ceil(128) * batches >= 16 {
        Tile::T128
    } else {
        Tile::T64
    }
}

/// Whether matmul's 128x128 kernel may read both operands as vec4s: each operand is contiguous
/// along K or along M/N (stride 1) with that axis a multiple of 4 long, and its offset and other
/// strides are multiples of 4, so every vec4 is 16-byte aligned and lies in one row.
fn vec4_operands(p: &MatmulParams) -> bool {
    // (strides, length along the first stride's axis, along the second's)
    let ok = |s: &MatStrides, along_row: usize, along_col: usize| {
        let base = s.offset.is_multiple_of(4) && (p.batch == 1 || s.batch.is_multiple_of(4));
        let by_col = s.col == 1 && along_col.is_multiple_of(4) && s.row.is_multiple_of(4);
        let by_row = s.row == 1 && along_row.is_multiple_of(4) && s.col.is_multiple_of(4);
        base && (by_col || by_row)
    };
    ok(&p.lhs, p.m, p.k) && ok(&p.rhs, p.k, p.n)
}

/// Few channels per group (LeNet): direct kernels beat GEMM tiles that would be mostly padding.
fn direct(p: &Conv2dParams) -> bool {
    p.c_in / p.groups < 32 && p.c_out / p.groups < 32
}

impl GpuStorage {
    pub(super) fn ctx(&self) -> &super::Ctx {
        &self.dev.ctx
    }

    /// Starts reading the elements of `l` in row-major order (see [`super::context::Ctx::read`]).
    pub(super) fn read(&self, l: &Layout) -> Result<super::ReadFuture> {
        match l.contiguous_range() {
            Some(r) => self.dev.ctx.read("read", &self.buf, r.start, r.len()),
            None => {
                let c = self.contiguous_impl(l)?;
                c.dev.ctx.read("read", &c.buf, 0, c.len)
            }
        }
    }

    /// [`Self::read`] as the backend-independent [`crate::ReadBack`].
    pub(crate) fn read_back(&self, l: &Layout) -> Result<crate::ReadBack> {
        self.read(l).map(crate::ReadBack::Gpu)
    }

    /// Launches `k` writing a fresh storage of `len` floats.
    pub(super) fn launch(
        &self,
        k: Kernel,
        op: &'static str,
        len: usize,
        meta: &[u32],
        inputs: &[&GpuStorage],
        threads: usize,
    ) -> Result<GpuStorage> {
        let out = self.dev.alloc(op, len)?;
        if threads > 0 {
            let bufs: Vec<&::wgpu::Buffer> = inputs.iter().map(|s| &s.buf).collect();
            self.ctx().dispatch(k, meta, &bufs, &out.buf, groups_for(threads))?;
        }
        Ok(out)
    }

    pub(super) fn contiguous_impl(&self, l: &Layout) -> Result<GpuStorage> {
        let n = l.numel();
        if let Some(r) = l.contiguous_range() {
            let out = self.dev.alloc("contiguous", n)?;
            self.ctx().copy("contiguous", &self.buf, (r.start * 4) as u64, &out.buf, 0, (n * 4) as u64)?;
            return Ok(out);
        }
        let cs = crate::shape::contiguous_strides(&l.shape);
        let (sizes, [s0, s1]) = collapse(&l.shape, [&l.strides, &cs]);
        let m = ew_meta("contiguous", n, [0.0; 2], [l.offset, 0], &sizes, &s0, &s1)?;
        self.launch(Kernel::Copy, "contiguous", n, &m, &[self], n)
    }

    pub(super) fn unary_impl(&self, l: &Layout, op: UnaryOp) -> Result<GpuStorage> {
        let n = l.numel();
        let cs = crate::shape::contiguous_strides(&l.shape);
        let (sizes, [s0, _]) = collapse(&l.shape, [&l.strides, &cs]);
        let m = ew_meta(op.name(), n, op.params(), [l.offset, 0], &sizes, &s0, &[])?;
        self.launch(Kernel::Unary(op.code()), op.name(), n, &m, &[self], n)
    }

    pub(super) fn binary_impl(&self, l: &Layout, rhs: &GpuStorage, rl: &Layout, op: BinaryOp) -> Result<GpuStorage> {
        let n = l.numel();
        let cs = crate::shape::contiguous_strides(&l.shape);
        let (sizes, [s0, s1, _]) = collapse(&l.shape, [&l.strides, &rl.strides, &cs]);
        let m = ew_meta(op.name(), n, [0.0; 2], [l.offset, rl.offset], &sizes, &s0, &s1)?;
        self.launch(Kernel::Binary(op.code()), op.name(), n, &m, &[self, rhs], n)
    }

    pub(super) fn copy_into_impl(&mut self, dl: &Layout, src: &GpuStorage, sl: &Layout) -> Result<()> {
        let n = dl.numel();
        if n == 0 {
            return Ok(());
        }
        if let (Some(rd), Some(rs)) = (dl.contiguous_range(), sl.contiguous_range()) {
            return self.ctx().copy(
                "copy",
                &src.buf,
                (rs.start * 4) as u64,
                &self.buf,
                (rd.start * 4) as u64,
                (n * 4) as u64,
            );
        }
        let (sizes, [s0, s1]) = collapse(&dl.shape, [&sl.strides, &dl.strides]);
        let m = ew_meta("copy", n, [0.0; 2], [sl.offset, dl.offset], &sizes, &s0, &s1)?;
        self.ctx().dispatch(Kernel::Copy, &m, &[&src.buf], &self.buf, groups_for(n))
    }

    pub(super) fn axpby_impl(&mut self, alpha: f32, src: &GpuStorage, beta: f32) -> Result<()> {
        let n = self.len.min(src.len);
        if n == 0 {
            return Ok(());
        }
        let m = ew_meta("axpby_", n, [alpha, beta], [0, 0], &[], &[], &[])?;
        self.ctx().dispatch(Kernel::Axpby, &m, &[&src.buf], &self.buf, groups_for(n))
    }

    pub(super) fn reduce_impl(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> Result<GpuStorage> {
        let name = "reduce";
        let kept: Vec<usize> = (0..l.rank()).filter(|d| !dims.contains(d)).collect();
        let pick = |ds: &[usize]| -> (Vec<usize>, Vec<usize>) {
            (ds.iter().map(|&d| l.shape[d]).collect(), ds.iter().map(|&d| l.strides[d]).collect())
        };
        let (ks, kst) = pick(&kept);
        let (rs, rst) = pick(dims);
        let n_out: usize = ks.iter().product();
        let n_red: usize = rs.iter().product();
        let (ks, [kst]) = collapse(&ks, [&kst]);
        let (rs, [rst]) = collapse(&rs, [&rst]);
        let mut m = vec![0u32; 40];
        m[0] = u32_of(name, n_out)?;
        m[1] = u32_of(name, n_red)?;
        m[2] = ReduceCode::of(op) as u32;
        m[3] = ks.len() as u32;
        m[4] = rs.len() as u32;
        m[5] = u32_of(name, l.offset)?;
        put(name, &mut m, 8, &ks)?;
        put(name, &mut m, 16, &kst)?;
        put(name, &mut m, 24, &rs)?;
        put(name, &mut m, 32, &rst)?;
        if op == ReduceOp::ArgMax {
            return self.launch(Kernel::ArgMax, "argmax", n_out, &m, &[self], n_out);
        }
        if n_out == 0 {
            return self.dev.alloc(name, 0);
        }
        if n_red <= 64 || n_out >= 4096 {
            return self.launch(Kernel::ReduceThread, name, n_out, &m, &[self], n_out);
        }
        // Few long reductions: split each over several workgroups, then add the partials.
        let splits = (n_red / 8192).clamp(1, 64).min((4096 / n_out).max(1));
        let chunk = n_red.div_ceil(splits);
        m[6] = splits as u32;
        m[7] = u32_of(name, chunk)?;
        let partial = self.dev.alloc(name, n_out * splits)?;
        self.ctx().dispatch(Kernel::ReduceWg, &m, &[&self.buf], &partial.buf, [(n_out * splits) as u32, 1, 1])?;
        if splits == 1 {
            return Ok(partial);
        }
        let pl = Layout { shape: vec![n_out, splits], strides: vec![splits, 1], offset: 0 };
        partial.reduce_impl(&pl, &[1], op)
    }

    /// Runs a GEMM-shaped kernel (`k` names the variant; its tile is picked here) over
    /// `batches`, splitting K across workgroups when the output has too few tiles to occupy
    /// the GPU; partial products are then summed.
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        &self,
        k: impl Fn(Tile) -> Kernel,
        op: &'static str,
        inputs: &[&GpuStorage],
        mnk: [usize; 3],
        batches: usize,
        extra: &[u32],
        may_split: bool,
        k_contiguous: [bool; 2],
    ) -> Result<GpuStorage> {
        let [mm, nn, kk] = mnk;
        let tile = gemm_tile(mm, nn, batches);
        let (ts, k_step) = (tile.size(), tile.k_step());
        let k = k(tile);
        let tiles = mm.div_ceil(ts) * nn.div_ceil(ts) * batches;
        let splits = if may_split && tiles < 32 && kk >= 2048 { (kk / 1024).clamp(1, 64) } else { 1 };
        let kchunk = kk.div_ceil(splits).div_ceil(k_step) * k_step;
        let out = self.dev.alloc(op, splits * batches * mm * nn)?;
        if mm * nn * batches == 0 {
            return Ok(out);
        }
        let mut m = vec![0u32; 8];
        m[0] = u32_of(op, mm)?;
        m[1] = u32_of(op, nn)?;
        m[2] = u32_of(op, kk)?;
        m[3] = splits as u32;
        m[4] = u32_of(op, kchunk.max(1))?;
        m[6] = u32_of(op, batches)?;
        m[7] = k_contiguous[0] as u32 | (k_contiguous[1] as u32) << 1;
        m.extend_from_slice(extra);
        if kk == 0 {
            self.ctx().clear(op, &out.buf)?;
            return Ok(out);
        }
        let bufs: Vec<&::wgpu::Buffer> = inputs.iter().map(|s| &s.buf).collect();
        let per_launch = (65535 / splits).max(1);
        let mut b0 = 0;
        while b0 < batches {
            let nb = per_launch.min(batches - b0);
            m[5] = b0 as u32;
            let grid = [nn.div_ceil(ts) as u32, mm.div_ceil(ts) as u32, (nb * splits) as u32];
            self.ctx().dispatch(k, &m, &bufs, &out.buf, grid)?;
            b0 += nb;
        }
        if splits == 1 {
            return Ok(out);
        }
        let rest = batches * mm * nn;
        let pl = Layout { shape: vec![splits, rest], strides: vec![rest, 1], offset: 0 };
        out.reduce_impl(&pl, &[0], ReduceOp::Sum)
    }

    pub(super) fn matmul_impl(&self, rhs: &GpuStorage, p: &MatmulParams) -> Result<GpuStorage> {
        let op = "matmul";
        let s = |v: &MatStrides| -> Result<[u32; 4]> {
            Ok([u32_of(op, v.offset)?, u32_of(op, v.batch)?, u32_of(op, v.row)?, u32_of(op, v.col)?])
        };
        let extra = [s(&p.lhs)?, s(&p.rhs)?].concat();
        let kc = [p.lhs.col == 1, p.rhs.row == 1];
        let vec4 = vec4_operands(p);
        let kernel = |t| if t == Tile::T128 && vec4 { Kernel::MatmulVec4 } else { Kernel::Matmul(t) };
        self.gemm(kernel, op, &[self, rhs], [p.m, p.n, p.k], p.batch, &extra, true, kc)
    }

    fn conv_extra(p: &Conv2dParams, has_bias: bool, act: Option<Activation>) -> Result<Vec<u32>> {
        let v = [
            p.c_in,
            p.h,
            p.w,
            p.c_out,
            p.kh,
            p.kw,
            p.stride.0,
            p.stride.1,
            p.padding.0,
            p.padding.1,
            p.dilation.0,
            p.dilation.1,
            p.groups,
            p.out_h,
            p.out_w,
            has_bias as usize,
            p.c_in / p.groups,
            p.c_out / p.groups,
            act_code(act) as usize,
        ];
        v.iter().map(|&x| u32_of("conv2d", x)).collect()
    }

    /// The direct kernels' parameters: the GEMM layout with the thread count in front and the
    /// batch size at [7].
    fn direct_meta(p: &Conv2dParams, has_bias: bool, threads: usize) -> Result<Vec<u32>> {
        let mut m = vec![0u32; 8];
        m[0] = u32_of("conv2d", threads)?;
        m[7] = u32_of("conv2d", p.n)?;
        m.extend(Self::conv_extra(p, has_bias, None)?);
        Ok(m)
    }

    /// Whether [`Self::conv_fwd`] can apply an activation in its epilogue (the GEMM path can;
    /// the direct kernels cannot, so the caller composes the separate op there).
    pub(super) fn conv_fwd_fuses(p: &Conv2dParams) -> bool {
        !direct(p)
    }

    /// `act(conv2d(...))`; `act` must be None where [`Self::conv_fwd_fuses`] says no.
    pub(super) fn conv_fwd(
        &self,
        w: &GpuStorage,
        bias: Option<&GpuStorage>,
        p: &Conv2dParams,
        act: Option<Activation>,
    ) -> Result<GpuStorage> {
        let extra = Self::conv_extra(p, bias.is_some(), act)?;
        let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
        let inputs: Vec<&GpuStorage> = [Some(self), Some(w), bias].into_iter().flatten().collect();
        if direct(p) {
            if act.is_some() {
                bail!("conv2d", "the direct kernel has no fused activation");
            }
            let n = p.n * p.c_out * p.out_h * p.out_w;
            let m = Self::direct_meta(p, bias.is_some(), n)?;
            return self.launch(Kernel::DirectFwd, "conv2d", n, &m, &inputs, n);
        }
        let mnk = [cog, p.out_h * p.out_w, cig * p.kh * p.kw];
        self.gemm(Kernel::ConvFwd, "conv2d", &inputs, mnk, p.n * p.groups, &extra, false, [true, false])
    }

    /// `self` is grad_out.
    pub(super) fn conv_bwd_input(&self, w: &GpuStorage, p: &Conv2dParams) -> Result<GpuStorage> {
        if direct(p) {
            let n = p.n * p.c_in * p.h * p.w;
            let m = Self::direct_meta(p, false, n)?;
            return self.launch(Kernel::DirectBwdInput, "conv2d_backward", n, &m, &[self, w], n);
        }
        let extra = Self::conv_extra(p, false, None)?;
        let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
        let mnk = [cig, p.h * p.w, cog * p.kh * p.kw];
        self.gemm(
            Kernel::ConvBwdInput,
            "conv2d_backward",
            &[self, w],
            mnk,
            p.n * p.groups,
            &extra,
            false,
            [true, false],
        )
    }

    /// `self` is the forward input.
    pub(super) fn conv_bwd_weight(&self, g: &GpuStorage, p: &Conv2dParams) -> Result<GpuStorage> {
        let (cig, cog) = (p.c_in / p.groups, p.c_out / p.groups);
        if direct(p) {
            // one thread per (weight, chunk of the batch's output positions), chunks summed after
            let nw = p.c_out * cig * p.kh * p.kw;
            let k = p.n * p.out_h * p.out_w;
            let chunks = (65536 / nw.max(1)).clamp(1, k.div_ceil(64).max(1));
            let len = k.div_ceil(chunks);
            let mut m = Self::direct_meta(p, false, chunks * nw)?;
            m[1] = u32_of("conv2d_backward", nw)?;
            m[2] = u32_of("conv2d_backward", len)?;
            let out =
                self.launch(Kernel::DirectBwdWeight, "conv2d_backward", chunks * nw, &m, &[self, g], chunks * nw)?;
            if chunks == 1 {
                return Ok(out);
            }
            let pl = Layout { shape: vec![chunks, nw], strides: vec![nw, 1], offset: 0 };
            return out.reduce_impl(&pl, &[0], ReduceOp::Sum);
        }
        let extra = Self::conv_extra(p, false, None)?;
        let mnk = [cog, cig * p.kh * p.kw, p.n * p.out_h * p.out_w];
        self.gemm(Kernel::ConvBwdWeight, "conv2d_backward", &[self, g], mnk, p.groups, &extra, true, [true, true])
    }

    fn pool_meta(threads: usize, kind: u32, planes: usize, hw: [usize; 4], k: [usize; 10]) -> Result<Vec<u32>> {
        let head = [threads, kind as usize, planes, hw[0], hw[1], hw[2], hw[3]];
        head.iter().chain(&k).map(|&x| u32_of("pool", x)).collect()
    }

    fn pool_params(p: &Pool2dParams, threads: usize) -> Result<Vec<u32>> {
        let kind = p.kind as u32;
        let over = match p.divisor {
            PoolDivisor::Override(d) => d,
            PoolDivisor::IncludePad | PoolDivisor::ExcludePad => 0,
        };
        Self::pool_meta(
            threads,
            kind,
            p.n * p.c,
            [p.h, p.w, p.out_h, p.out_w],
            [
                p.kh,
                p.kw,
                p.stride.0,
                p.stride.1,
                p.padding.0,
                p.padding.1,
                p.dilation.0,
                p.dilation.1,
                divisor_code(p.divisor) as usize,
                over,
            ],
        )
    }

    pub(super) fn pool_fwd(&self, p: &Pool2dParams) -> Result<GpuStorage> {
        let n = p.n * p.c * p.out_h * p.out_w;
        self.launch(Kernel::PoolFwd, "pool2d", n, &Self::pool_params(p, n)?, &[self], n)
    }

    pub(super) fn pool_indices(&self, p: &Pool2dParams) -> Result<GpuStorage> {
        let n = p.n * p.c * p.out_h * p.out_w;
        self.launch(Kernel::PoolIndices, "max_pool2d", n, &Self::pool_params(p, n)?, &[self], n)
    }

    fn unpool_meta(p: &Unpool2dParams) -> Result<[u32; 3]> {
        let u = |v| u32_of("max_unpool2d", v);
        Ok([u(p.n * p.c * p.h * p.w)?, u(p.h * p.w)?, u(p.out_h * p.out_w)?])
    }

    /// `self` holds the values, `idx` their plane indices.
    pub(super) fn unpool_fwd(&self, idx: &GpuStorage, p: &Unpool2dParams) -> Result<GpuStorage> {
        let out = self.dev.alloc("max_unpool2d", p.n * p.c * p.out_h * p.out_w)?;
        self.ctx().clear("max_unpool2d", &out.buf)?;
        let threads = p.n * p.c * p.h * p.w;
        if threads > 0 {
            let m = Self::unpool_meta(p)?;
            self.ctx().dispatch(Kernel::Unpool, &m, &[&self.buf, &idx.buf], &out.buf, groups_for(threads))?;
        }
        Ok(out)
    }

    /// `self` is grad_out.
    pub(super) fn unpool_bwd(&self, idx: &GpuStorage, p: &Unpool2dParams) -> Result<GpuStorage> {
        let n = p.n * p.c * p.h * p.w;
        self.launch(Kernel::UnpoolBwd, "max_unpool2d_backward", n, &Self::unpool_meta(p)?, &[self, idx], n)
    }

    pub(super) fn pool_bwd(&self, g: &GpuStorage, p: &Pool2dParams) -> Result<GpuStorage> {
        let n = p.n * p.c * p.h * p.w;
        self.launch(Kernel::PoolBwd, "pool2d_backward", n, &Self::pool_params(p, n)?, &[self, g], n)
    }

    fn plane_params(n: usize, c: usize, hw: [usize; 4], threads: usize) -> Result<Vec<u32>> {
        Self::pool_meta(threads, 0, n * c, hw, [0; 10])
    }

    pub(super) fn adaptive_fwd(&self, p: &AdaptivePoolParams) -> Result<GpuStorage> {
        let n = p.n * p.c * p.out_h * p.out_w;
        let m = Self::plane_params(p.n, p.c, [p.h, p.w, p.out_h, p.out_w], n)?;
        self.launch(Kernel::AdaptiveFwd, "adaptive_avg_pool2d", n, &m, &[self], n)
    }

    /// `self` is grad_out.
    pub(super) fn adaptive_bwd(&self, p: &AdaptivePoolParams) -> Result<GpuStorage> {
        let n = p.n * p.c * p.h * p.w;
        let m = Self::plane_params(p.n, p.c, [p.h, p.w, p.out_h, p.out_w], n)?;
        self.launch(Kernel::AdaptiveBwd, "adaptive_avg_pool2d_backward", n, &m, &[self], n)
    }

    pub(super) fn resize_fwd(&self, p: &ResizeParams) -> Result<GpuStorage> {
        let n = p.n * p.c * p.out_h * p.out_w;
        let m = Self::plane_params(p.n, p.c, [p.h, p.w, p.out_h, p.out_w], n)?;
        self.launch(Kernel::ResizeFwd, "resize", n, &m, &[self], n)
    }

    /// `self` is grad_out.
    pub(super) fn resize_bwd(&self, p: &ResizeParams) -> Result<GpuStorage> {
        let n = p.n * p.c * p.h * p.w;
        let m = Self::plane_params(p.n, p.c, [p.h, p.w, p.out_h, p.out_w], n)?;
        self.launch(Kernel::ResizeBwd, "resize_backward", n, &m, &[self], n)
    }

    pub(super) fn gather_impl(&self, idx: &GpuStorage, rows: usize, cols: usize) -> Result<GpuStorage> {
        let m = [u32_of("gather", rows)?, u32_of("gather", cols)?];
        self.launch(Kernel::Gather, "gather", rows, &m, &[self, idx], rows)
    }

    /// `self` holds one value per row.
    pub(super) fn scatter_impl(&self, idx: &GpuStorage, rows: usize, cols: usize) -> Result<GpuStorage> {
        let m = [u32_of("scatter", rows)?, u32_of("scatter", cols)?];
        self.launch(Kernel::Scatter, "scatter", rows * cols, &m, &[self, idx], rows * cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes the parity tests (tests/gpu_parity.rs) give the large tiles, and the book's.
    #[test]
    fn large_tiles_for_outputs_that_fill_them() {
        assert_eq!(gemm_tile(520, 530, 1), Tile::T128);
        assert_eq!(gemm_tile(130, 260, 4), Tile::T128);
        assert_eq!(gemm_tile(160, 576, 2), Tile::T128);
        assert_eq!(gemm_tile(4096, 4096, 1), Tile::T128);
        // ResNet-18@96's 128- and 256-channel convs, batch 32
        assert_eq!(gemm_tile(128, 144, 32), Tile::T128);
        // LeNet's 6 and 16 output channels, and a 128x128 output alone (one workgroup)
        assert_eq!(gemm_tile(6, 784, 128), Tile::T64);
        assert_eq!(gemm_tile(16, 100, 128), Tile::T64);
        assert_eq!(gemm_tile(128, 128, 1), Tile::T64);
    }

    fn mm(m: usize, n: usize, k: usize, lhs: [usize; 4], rhs: [usize; 4], batch: usize) -> MatmulParams {
        let s = |v: [usize; 4]| MatStrides { offset: v[0], batch: v[1], row: v[2], col: v[3] };
        MatmulParams { m, n, k, batch, lhs: s(lhs), rhs: s(rhs) }
    }

    /// vec4 operands only where every vec4 is aligned and inside one row.
    #[test]
    fn vec4_operands_need_aligned_rows() {
        // row-major A [520, 304] and B [304, 532]; the backward's transposed views
        assert!(vec4_operands(&mm(520, 532, 304, [0, 0, 304, 1], [0, 0, 532, 1], 1)));
        assert!(vec4_operands(&mm(520, 304, 532, [0, 0, 532, 1], [0, 0, 1, 532], 1)));
        assert!(vec4_operands(&mm(304, 532, 520, [0, 0, 1, 304], [0, 0, 532, 1], 1)));
        // batched with a broadcast (stride 0) operand
        assert!(vec4_operands(&mm(132, 264, 68, [0, 132 * 68, 68, 1], [0, 0, 264, 1], 4)));
        // K = 302: a row of A ends inside a vec4
        assert!(!vec4_operands(&mm(520, 532, 302, [0, 0, 302, 1], [0, 0, 532, 1], 1)));
        // N = 530 along B's rows
        assert!(!vec4_operands(&mm(520, 530, 304, [0, 0, 304, 1], [0, 0, 530, 1], 1)));
        // an offset or batch stride that is not a multiple of 4
        assert!(!vec4_operands(&mm(520, 532, 304, [2, 0, 304, 1], [0, 0, 532, 1], 1)));
        assert!(!vec4_operands(&mm(132, 264, 68, [0, 130 * 68 + 2, 68, 1], [0, 0, 264, 1], 4)));
        // neither axis contiguous (a strided view)
        assert!(!vec4_operands(&mm(520, 532, 304, [0, 0, 608, 2], [0, 0, 532, 1], 1)));
    }
}
