//! Batch norm on the GPU (shaders/bn.wgsl), the default composite's arithmetic in fewer passes:
//! the statistics in one kernel (a workgroup per channel, two passes over its values, blocked
//! pairwise sums) where the composite launches five; the normalisation in one pass with the
//! activation as its epilogue where the composite makes four and a fifth for the activation;
//! the backward's two channel sums in one kernel and dx in one pass where the composite makes
//! about a dozen.

use super::kernels::{act_code, Kernel};
use super::{u32_of, GpuStorage};
use crate::backend::{Activation, BatchNormParams};
use crate::Result;

/// The channel kernels' parameter block (bn.wgsl): n, c, s, flags, 0, 1 / count.
fn channel_meta(p: &BatchNormParams, flags: u32) -> Result<[u32; 6]> {
    let op = "batch_norm";
    let inv_count = 1.0 / p.count() as f32;
    Ok([u32_of(op, p.n)?, u32_of(op, p.c)?, u32_of(op, p.s)?, flags, 0, inv_count.to_bits()])
}

impl GpuStorage {
    /// Rows `[0, c)` and `[c, 2c)` of a `[2c]` storage as two storages.
    fn halves(&self, c: usize) -> Result<(GpuStorage, GpuStorage)> {
        let op = "batch_norm";
        let (a, b) = (self.dev.alloc(op, c)?, self.dev.alloc(op, c)?);
        let bytes = (c * 4) as u64;
        self.ctx().copy(op, &self.buf, 0, &a.buf, 0, bytes)?;
        self.ctx().copy(op, &self.buf, bytes, &b.buf, 0, bytes)?;
        Ok((a, b))
    }

    pub(super) fn batch_norm_stats_impl(&self, p: &BatchNormParams) -> Result<(GpuStorage, GpuStorage)> {
        let m = channel_meta(p, 0)?;
        let both = self.launch(Kernel::BnStats, "batch_norm", 2 * p.c, &m, &[self], p.c * 256)?;
        both.halves(p.c)
    }

    /// `(dx, dweight, dbias)` as the composite computes them (`self` is x).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn batch_norm_backward_impl(
        &self,
        g: &GpuStorage,
        mean: &GpuStorage,
        inv_std: &GpuStorage,
        weight: Option<&GpuStorage>,
        p: &BatchNormParams,
        batch_stats: bool,
    ) -> Result<(GpuStorage, GpuStorage, GpuStorage)> {
        let op = "batch_norm";
        let stats = mean.pairs(inv_std, p.c)?;
        let m = channel_meta(p, 0)?;
        let sums = self.launch(Kernel::BnBwdSums, op, 2 * p.c, &m, &[self, g, &stats], p.c * 256)?;
        let flags = weight.is_some() as u32 | (batch_stats as u32) << 1;
        let m = channel_meta(p, flags)?;
        let rows = self.launch(Kernel::BnDxPrep, op, 5 * p.c, &m, &[&sums, &stats, weight.unwrap_or(&sums)], p.c)?;
        let n = p.n * p.c * p.s;
        let dx = self.launch(Kernel::BnDx, op, n, &m, &[g, self, &rows], n)?;
        let (dbias, dweight) = sums.halves(p.c)?;
        Ok((dx, dweight, dbias))
    }

    /// `[a0, b0, a1, b1, ...]` from two `[c]` storages.
    fn pairs(&self, other: &GpuStorage, c: usize) -> Result<GpuStorage> {
        let m = [u32_of("batch_norm", c)?];
        self.launch(Kernel::BnPack, "batch_norm", 2 * c, &m, &[self, other], c)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn batch_norm_apply_impl(
        &self,
        mean: &GpuStorage,
        inv_std: &GpuStorage,
        weight: Option<&GpuStorage>,
        bias: Option<&GpuStorage>,
        p: &BatchNormParams,
        act: Option<Activation>,
    ) -> Result<GpuStorage> {
        let op = "batch_norm";
        let n = p.n * p.c * p.s;
        let stats = mean.pairs(inv_std, p.c)?;
        // (weight, bias) pairs; a missing one is read by neither (flags), so its slot repeats
        // the other, and with neither the kernel reads no pairs at all
        let affine = match (weight, bias) {
            (Some(w), Some(b)) => Some(w.pairs(b, p.c)?),
            (Some(v), None) | (None, Some(v)) => Some(v.pairs(v, p.c)?),
            (None, None) => None,
        };
        let flags = weight.is_some() as u32 | (bias.is_some() as u32) << 1;
        let m = [u32_of(op, n)?, u32_of(op, p.c)?, u32_of(op, p.s)?, flags, act_code(act)];
        let inputs = [self, &stats, affine.as_ref().unwrap_or(&stats)];
        self.launch(Kernel::BnApply, op, n, &m, &inputs, n)
    }
}
