//! The CPU backend: plain `Vec<f32>` storage and cache-blocked, SIMD-friendly kernels.

pub(crate) mod alloc;
mod cascade;
pub mod conv;
mod conv_direct;
#[cfg(test)]
mod conv_tests;
mod conv_wgrad;
mod conv_winograd;
mod conv_winograd_wgrad;
mod elementwise;
mod fused;
pub mod gemm;
pub(crate) mod lanes;
pub(crate) mod math;
pub(crate) mod parallel;
mod pool;
mod pool_fast;
mod pool_max3;
mod reduce;
mod resize;
pub(crate) mod simd;
mod strided;

use super::*;
use crate::shape::numel;
use crate::{bail, rng};

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CpuDevice;

#[derive(Clone, Debug)]
pub struct CpuStorage(pub Vec<f32>);

impl CpuStorage {
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }
    /// The elements of `l`, at once.
    pub(crate) fn read_back(&self, l: &Layout) -> Result<crate::ReadBack> {
        Ok(crate::ReadBack::Ready(Some(self.to_vec(l))))
    }
}

impl Drop for CpuStorage {
    fn drop(&mut self) {
        alloc::recycle(std::mem::take(&mut self.0));
    }
}

/// Validates that `idx` holds integer class indices in `0..cols` (user data: must not panic).
fn indices(op: &'static str, idx: &[f32], cols: usize) -> Result<Vec<usize>> {
    idx.iter()
        .map(|&v| {
            if v.fract() != 0.0 || v < 0.0 || v >= cols as f32 {
                bail!(
                    op,
                    "index {v} is out of range for {cols} classes (expected an integer in 0..{})",
                    cols.saturating_sub(1)
                );
            }
            Ok(v as usize)
        })
        .collect()
}

impl BackendStorage for CpuStorage {
    type Device = CpuDevice;

    fn device(&self) -> &CpuDevice {
        &CpuDevice
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn to_vec(&self, l: &Layout) -> Result<Vec<f32>> {
        alloc::ensure("to_vec", numel(&l.shape))?;
        Ok(elementwise::contiguous(&self.0, l))
    }
    fn contiguous(&self, l: &Layout) -> Result<Self> {
        alloc::ensure("contiguous", numel(&l.shape))?;
        Ok(CpuStorage(elementwise::contiguous(&self.0, l)))
    }
    fn unary(&self, l: &Layout, op: UnaryOp) -> Result<Self> {
        alloc::ensure(op.name(), numel(&l.shape))?;
        Ok(CpuStorage(elementwise::unary(&self.0, l, op)))
    }
    fn binary(&self, l: &Layout, rhs: &Self, rl: &Layout, op: BinaryOp) -> Result<Self> {
        alloc::ensure(op.name(), numel(&l.shape))?;
        Ok(CpuStorage(elementwise::binary(&self.0, l, &rhs.0, rl, op)))
    }
    fn reduce(&self, l: &Layout, dims: &[usize], op: ReduceOp) -> Result<Self> {
        alloc::ensure(op.name(), numel(&l.shape))?;
        let out = match l.contiguous_range() {
            Some(r) => reduce::reduce(&self.0[r], &l.shape, dims, op),
            None => reduce::reduce(&elementwise::contiguous(&self.0, l), &l.shape, dims, op),
        };
        Ok(CpuStorage(out))
    }
    fn matmul(&self, rhs: &Self, p: &MatmulParams) -> Result<Self> {
        alloc::ensure("matmul", p.batch * p.m * p.n)?;
        // gemm overwrites every element (zero-filling itself when k = 0).
        let mut out = alloc::scratch(p.batch * p.m * p.n);
        for b in 0..p.batch {
            let a =
                gemm::MatRef { data: &self.0, offset: p.lhs.offset + b * p.lhs.batch, rs: p.lhs.row, cs: p.lhs.col };
            let r = gemm::MatRef { data: &rhs.0, offset: p.rhs.offset + b * p.rhs.batch, rs: p.rhs.row, cs: p.rhs.col };
            gemm::gemm(p.m, p.n, p.k, a, r, &mut out, b * p.m * p.n, p.n, false);
        }
        Ok(CpuStorage(out))
    }
    fn copy_into(&mut self, dl: &Layout, src: &Self, sl: &Layout) -> Result<()> {
        elementwise::copy_into(&mut self.0, dl, &src.0, sl);
        Ok(())
    }
    fn axpby_inplace(&mut self, alpha: f32, src: &Self, beta: f32) -> Result<()> {
        const TASK: usize = 1 << 15;
        let (n, src) = (self.0.len(), &src.0);
        parallel::for_each_chunk_mut(&mut self.0, TASK, n, |t, d| {
            for (d, &s) in d.iter_mut().zip(&src[t * TASK..]) {
                *d = *d * alpha + s * beta;
            }
        });
        Ok(())
    }
    fn conv2d(&self, w: &Self, bias: Option<&Self>, p: &Conv2dParams) -> Result<Self> {
        alloc::ensure("conv2d", p.n * p.c_out * p.out_h * p.out_w)?;
        Ok(CpuStorage(conv::forward(&self.0, &w.0, bias.map(|b| b.0.as_slice()), p)))
    }
    fn conv2d_act(&self, w: &Self, bias: Option<&Self>, p: &Conv2dParams, act: Activation) -> Result<Self> {
        alloc::ensure("conv2d", p.n * p.c_out * p.out_h * p.out_w)?;
        let mut out = conv::forward(&self.0, &w.0, bias.map(|b| b.0.as_slice()), p);
        elementwise::unary_in_place(&mut out, act.unary());
        Ok(CpuStorage(out))
    }
    fn conv2d_backward_input(&self, w: &Self, p: &Conv2dParams) -> Result<Self> {
        alloc::ensure("conv2d_backward", p.n * p.c_in * p.h * p.w)?;
        Ok(CpuStorage(conv::backward_input(&self.0, &w.0, p)))
    }
    fn conv2d_backward_weight(&self, g: &Self, p: &Conv2dParams) -> Result<Self> {
        alloc::ensure("conv2d_backward", p.c_out * p.c_in * p.kh * p.kw)?;
        Ok(CpuStorage(conv::backward_weight(&self.0, &g.0, p)))
    }
    fn pool2d(&self, p: &Pool2dParams) -> Result<Self> {
        alloc::ensure("pool2d", p.n * p.c * p.out_h * p.out_w)?;
        if pool_fast::applies(p) {
            return Ok(CpuStorage(pool_fast::avg2x2_forward(&self.0, p)));
        }
        if pool_fast::applies_max(p) {
            return Ok(CpuStorage(pool_fast::max2x2_forward(&self.0, p)));
        }
        if pool_max3::applies(p) {
            return Ok(CpuStorage(pool_max3::forward(&self.0, p)));
        }
        Ok(CpuStorage(pool::forward(&self.0, p)))
    }
    fn pool2d_backward(&self, g: &Self, p: &Pool2dParams) -> Result<Self> {
        alloc::ensure("pool2d_backward", p.n * p.c * p.h * p.w)?;
        if pool_fast::applies(p) {
            return Ok(CpuStorage(pool_fast::avg2x2_backward(&g.0, p)));
        }
        if pool_fast::applies_max(p) {
            return Ok(CpuStorage(pool_fast::max2x2_backward(&self.0, &g.0, p)));
        }
        if pool_max3::applies(p) {
            return Ok(CpuStorage(pool_max3::backward(&self.0, &g.0, p)));
        }
        Ok(CpuStorage(pool::backward(&self.0, &g.0, p)))
    }
    fn max_pool2d_indices(&self, p: &Pool2dParams) -> Result<Self> {
        alloc::ensure("max_pool2d", p.n * p.c * p.out_h * p.out_w)?;
        Ok(CpuStorage(pool::max_indices(&self.0, p)))
    }
    fn max_unpool2d(&self, idx: &Self, p: &Unpool2dParams) -> Result<Self> {
        pool::check_unpool_indices(&idx.0, p)?;
        alloc::ensure("max_unpool2d", p.n * p.c * p.out_h * p.out_w)?;
        Ok(CpuStorage(pool::unpool_forward(&self.0, &idx.0, p)))
    }
    fn max_unpool2d_backward(&self, idx: &Self, p: &Unpool2dParams) -> Result<Self> {
        pool::check_unpool_indices(&idx.0, p)?;
        alloc::ensure("max_unpool2d_backward", p.n * p.c * p.h * p.w)?;
        Ok(CpuStorage(pool::unpool_backward(&self.0, &idx.0, p)))
    }
    fn adaptive_avg_pool2d(&self, p: &AdaptivePoolParams) -> Result<Self> {
        alloc::ensure("adaptive_avg_pool2d", p.n * p.c * p.out_h * p.out_w)?;
        Ok(CpuStorage(pool::adaptive_avg_forward(&self.0, p)))
    }
    fn adaptive_avg_pool2d_backward(&self, p: &AdaptivePoolParams) -> Result<Self> {
        alloc::ensure("adaptive_avg_pool2d_backward", p.n * p.c * p.h * p.w)?;
        Ok(CpuStorage(pool::adaptive_avg_backward(&self.0, p)))
    }
    fn resize_bilinear(&self, p: &ResizeParams) -> Result<Self> {
        alloc::ensure("interpolate", p.n * p.c * p.out_h * p.out_w)?;
        Ok(CpuStorage(resize::forward(&self.0, p)))
    }
    fn resize_bilinear_backward(&self, p: &ResizeParams) -> Result<Self> {
        alloc::ensure("interpolate_backward", p.n * p.c * p.h * p.w)?;
        Ok(CpuStorage(resize::backward(&self.0, p)))
    }
    fn gather_cols(&self, idx: &Self, rows: usize, cols: usize) -> Result<Self> {
        let idx = indices("gather", &idx.0, cols)?;
        alloc::ensure("gather", rows)?;
        Ok(CpuStorage((0..rows).map(|r| self.0[r * cols + idx[r]]).collect()))
    }
    fn activation_backward(&self, l: &Layout, g: &Self, gl: &Layout, act: Activation) -> Result<Self> {
        alloc::ensure("activation_backward", numel(&l.shape))?;
        match (l.contiguous_range(), gl.contiguous_range()) {
            (Some(ry), Some(rg)) => Ok(CpuStorage(fused::activation_backward(&self.0[ry], &g.0[rg], act))),
            _ => crate::backend::fused::activation_backward(self, l, g, gl, act),
        }
    }
    fn activation_backward_in_place(&self, l: &Layout, g: &mut Self, act: Activation) -> Result<bool> {
        match l.contiguous_range() {
            Some(ry) if ry.len() == g.0.len() => {
                fused::activation_backward_in_place(&self.0[ry], &mut g.0, act);
                Ok(true)
            }
            Some(_) | None => Ok(false),
        }
    }
    fn batch_norm_stats(&self, p: &BatchNormParams) -> Result<(Self, Self)> {
        let (m, v) = fused::batch_norm_stats(&self.0, p);
        Ok((CpuStorage(m), CpuStorage(v)))
    }
    /// The activation runs in place on the normalisation's fresh output.
    fn batch_norm_apply(
        &self,
        mean: &Self,
        inv_std: &Self,
        weight: Option<&Self>,
        bias: Option<&Self>,
        p: &BatchNormParams,
        act: Option<Activation>,
    ) -> Result<Self> {
        alloc::ensure("batch_norm", p.n * p.c * p.s)?;
        let (w, b) = (weight.map(|w| w.0.as_slice()), bias.map(|b| b.0.as_slice()));
        let mut out = fused::batch_norm_apply(&self.0, &mean.0, &inv_std.0, w, b, p);
        if let Some(a) = act {
            elementwise::unary_in_place(&mut out, a.unary());
        }
        Ok(CpuStorage(out))
    }
    fn batch_norm_backward(
        &self,
        g: &Self,
        mean: &Self,
        inv_std: &Self,
        weight: Option<&Self>,
        p: &BatchNormParams,
        batch_stats: bool,
    ) -> Result<(Self, Self, Self)> {
        alloc::ensure("batch_norm_backward", p.n * p.c * p.s)?;
        let w = weight.map(|w| w.0.as_slice());
        let (dx, dw, db) = fused::batch_norm_backward(&self.0, &g.0, &mean.0, &inv_std.0, w, p, batch_stats);
        Ok((CpuStorage(dx), CpuStorage(dw), CpuStorage(db)))
    }
    fn scatter_cols(&self, idx: &Self, rows: usize, cols: usize) -> Result<Self> {
        let idx = indices("scatter", &idx.0, cols)?;
        alloc::ensure("scatter", rows * cols)?;
        let mut out = alloc::zeroed(rows * cols);
        for r in 0..rows {
            out[r * cols + idx[r]] = self.0[r];
        }
        Ok(CpuStorage(out))
    }
}

impl BackendDevice for CpuDevice {
    type Storage = CpuStorage;
    fn zeros(&self, len: usize) -> Result<CpuStorage> {
        alloc::ensure("zeros", len)?;
        Ok(CpuStorage(alloc::zeroed(len)))
    }
    fn full(&self, len: usize, v: f32) -> Result<CpuStorage> {
        alloc::ensure("full", len)?;
        Ok(CpuStorage(alloc::filled(len, v)))
    }
    fn upload(&self, data: &[f32]) -> Result<CpuStorage> {
        alloc::ensure("tensor", data.len())?;
        Ok(CpuStorage(alloc::copied(data)))
    }
    fn rand_uniform(&self, len: usize, lo: f32, hi: f32) -> Result<CpuStorage> {
        alloc::ensure("rand", len)?;
        let mut v = alloc::zeroed(len);
        rng::fill_uniform(&mut v, lo, hi);
        Ok(CpuStorage(v))
    }
    fn rand_normal(&self, len: usize, mean: f32, std: f32) -> Result<CpuStorage> {
        alloc::ensure("randn", len)?;
        let mut v = alloc::zeroed(len);
        rng::fill_normal(&mut v, mean, std);
        Ok(CpuStorage(v))
    }
}
