//! Neural-network functions composed from primitives (their gradients come for free).

use crate::autograd::Op;
use crate::backend::{Activation, BatchNormParams, UnaryOp};
use crate::shape::normalize_axis;
use crate::tensor::no_grad;
use crate::{bail, Result, Tensor};

/// Running statistics of a batch-norm layer, updated in place during training.
pub struct BatchNormState<'a> {
    pub running_mean: &'a Tensor,
    pub running_var: &'a Tensor,
    pub momentum: f32,
}

impl Tensor {
    pub fn log_softmax(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_axis("log_softmax", dim, self.rank())? as isize;
        if self.numel() == 0 {
            return self.mul_scalar(1.0);
        }
        // Shifting by the (constant) max keeps exp finite; it does not change the gradient.
        let m = self.detach().max(&[d], true)?;
        let z = self.sub(&m)?;
        let lse = z.exp()?.sum(&[d], true)?.log()?;
        z.sub(&lse)
    }

    pub fn softmax(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_axis("softmax", dim, self.rank())? as isize;
        if self.numel() == 0 {
            return self.mul_scalar(1.0);
        }
        let m = self.detach().max(&[d], true)?;
        let e = self.sub(&m)?.exp()?;
        e.div(&e.sum(&[d], true)?)
    }

    /// `x[i, idx[i]]` for a `[N, C]` matrix and `N` integer indices.
    pub fn gather_cols(&self, idx: &Tensor) -> Result<Tensor> {
        if self.rank() != 2 || idx.rank() != 1 || idx.shape()[0] != self.shape()[0] {
            bail!(
                "gather",
                "expects a [N, C] input and N indices, got shapes {:?} and {:?}",
                self.shape(),
                idx.shape()
            );
        }
        let (rows, cols) = (self.shape()[0], self.shape()[1]);
        let x = self.dense()?;
        let i = idx.detach().dense()?;
        let s = x.storage().gather_cols(&i.storage(), rows, cols)?;
        Ok(Tensor::from_op(s, &[rows], Some(Op::GatherCols(x.clone(), i))))
    }

    /// Mean cross-entropy of `[N, C]` logits against `N` integer class labels.
    pub fn cross_entropy(&self, labels: &Tensor) -> Result<Tensor> {
        if self.rank() != 2 {
            bail!("cross_entropy", "expects [N, C] logits, got shape {:?}", self.shape());
        }
        if labels.rank() != 1 || labels.shape()[0] != self.shape()[0] {
            bail!(
                "cross_entropy",
                "expects {} labels for logits of shape {:?}, got labels of shape {:?}",
                self.shape()[0],
                self.shape(),
                labels.shape()
            );
        }
        if self.shape()[1] == 0 {
            bail!("cross_entropy", "expects at least one class, got logits of shape {:?}", self.shape());
        }
        let picked = self.log_softmax(-1)?.gather_cols(labels).map_err(|e| crate::Error {
            op: "cross_entropy",
            ..e.map_msg(|m| format!("label {m} (logits of shape {:?})", self.shape()))
        })?;
        picked.mean(&[], false)?.neg()
    }

    pub fn mse_loss(&self, target: &Tensor) -> Result<Tensor> {
        if self.shape() != target.shape() {
            bail!("mse_loss", "input shape {:?} and target shape {:?} differ", self.shape(), target.shape());
        }
        self.sub(target)?.pow_scalar(2.0)?.mean(&[], false)
    }

    /// Inverted dropout: zeroes each element with probability `p` and scales the rest by
    /// `1/(1-p)`; the identity when not training.
    pub fn dropout(&self, p: f32, training: bool) -> Result<Tensor> {
        if !(0.0..=1.0).contains(&p) {
            bail!("dropout", "probability has to be between 0 and 1, but got {p}");
        }
        if !training || p == 0.0 {
            return Ok(self.clone());
        }
        if p == 1.0 {
            return self.mul_scalar(0.0);
        }
        let mask = no_grad(|| {
            Tensor::rand(self.shape(), 0.0, 1.0, &self.device())?
                .unary(UnaryOp::GtScalar(p))?
                .mul_scalar(1.0 / (1.0 - p))
        })?;
        self.mul(&mask)
    }

    /// Batch normalisation over every dim but 1 (NCHW or NC). In training it normalises with the
    /// batch statistics and updates the running ones (momentum, unbiased variance, as PyTorch);
    /// otherwise it uses the running statistics.
    pub fn batch_norm(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        state: Option<BatchNormState>,
        training: bool,
        eps: f32,
    ) -> Result<Tensor> {
        self.batch_norm_impl(weight, bias, state, training, eps, None)
    }

    /// `act(batch_norm(...))` in one op (d2l's BN + ReLU): backward keeps the output instead
    /// of the normalised pre-activation, so the pair holds one map fewer; values and gradients
    /// are bit for bit those of the two ops.
    pub fn batch_norm_act(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        state: Option<BatchNormState>,
        training: bool,
        eps: f32,
        act: Activation,
    ) -> Result<Tensor> {
        self.batch_norm_impl(weight, bias, state, training, eps, Some(act))
    }

    fn batch_norm_impl(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        state: Option<BatchNormState>,
        training: bool,
        eps: f32,
        act: Option<Activation>,
    ) -> Result<Tensor> {
        if self.rank() < 2 {
            bail!("batch_norm", "expected an input of at least 2 dims (N, C, ...), got shape {:?}", self.shape());
        }
        let c = self.shape()[1];
        for (name, t) in [
            ("weight", weight),
            ("bias", bias),
            ("running_mean", state.as_ref().map(|s| s.running_mean)),
            ("running_var", state.as_ref().map(|s| s.running_var)),
        ] {
            if let Some(t) = t {
                if t.shape().as_slice() != [c] {
                    bail!(
                        "batch_norm",
                        "{name} of shape {:?} does not match {c} channels of input {:?}",
                        t.shape(),
                        self.shape()
                    );
                }
            }
        }
        let shape = self.shape();
        let p = BatchNormParams { n: shape[0], c, s: shape[2..].iter().product() };
        let count = p.count();
        if training && count <= 1 {
            bail!(
                "batch_norm",
                "expected more than 1 value per channel when training, got input of shape {:?}",
                self.shape()
            );
        }
        // One fused op (statistics, normalisation, and a one-pass backward) in place of a
        // dozen primitives; the statistics and the output are the same values those gave.
        let x = self.dense()?;
        let (mean, inv_std) = no_grad(|| -> Result<(Tensor, Tensor)> {
            let (mean, var) = if training {
                let (m, v) = x.storage().batch_norm_stats(&p)?;
                let (mean, var) = (Tensor::from_storage(m, &[c])?, Tensor::from_storage(v, &[c])?);
                if let Some(st) = &state {
                    let m = st.momentum;
                    st.running_mean.axpby_(1.0 - m, &mean, m)?;
                    let unbiased = var.mul_scalar(count as f32 / (count - 1) as f32)?;
                    st.running_var.axpby_(1.0 - m, &unbiased, m)?;
                }
                (mean, var)
            } else {
                let Some(st) = &state else {
                    bail!("batch_norm", "evaluation mode needs running statistics (input shape {:?})", self.shape())
                };
                (st.running_mean.dense()?.detach(), st.running_var.dense()?.detach())
            };
            Ok((mean, var.add_scalar(eps)?.pow_scalar(-0.5)?.dense()?))
        })?;
        let (weight, bias) = (weight.map(Tensor::dense).transpose()?, bias.map(Tensor::dense).transpose()?);
        let y = {
            let (w, b) = (weight.as_ref().map(|w| w.storage()), bias.as_ref().map(|b| b.storage()));
            x.storage().batch_norm_apply(&mean.storage(), &inv_std.storage(), w.as_deref(), b.as_deref(), &p, act)?
        };
        let op = |act| Op::BatchNorm { x, weight, bias, mean, inv_std, p, batch_stats: training, act };
        Ok(match act {
            Some(a) => Tensor::from_op_saving_output(y, shape, |out| op(Some((a, out)))),
            None => Tensor::from_op(y, shape, Some(op(None))),
        })
    }
}
