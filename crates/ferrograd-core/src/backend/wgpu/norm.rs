//! Batch norm's normalisation on the GPU: one pass with the activation as its epilogue
//! (shaders/bn.wgsl), where the default composite makes four broadcast passes and a fifth for
//! the activation. Statistics and the backward stay the composites (reductions and
//! elementwise kernels).

use super::kernels::{act_code, Kernel};
use super::{u32_of, GpuStorage};
use crate::backend::{Activation, BatchNormParams};
use crate::Result;

impl GpuStorage {
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
