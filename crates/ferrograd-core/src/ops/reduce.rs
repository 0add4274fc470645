use crate::autograd::Op;
use crate::backend::ReduceOp;
use crate::shape::normalize_axis;
use crate::{bail, Result, Tensor};

impl Tensor {
    /// Sorted unique axes; an empty list means all axes (PyTorch's `sum()`).
    fn reduce_axes(&self, op: &'static str, axes: &[isize]) -> Result<Vec<usize>> {
        if axes.is_empty() {
            return Ok((0..self.rank()).collect());
        }
        let mut dims = Vec::with_capacity(axes.len());
        for &a in axes {
            let d = normalize_axis(op, a, self.rank())?;
            if dims.contains(&d) {
                bail!(op, "axis {a} appears twice in {axes:?} for shape {:?}", self.shape());
            }
            dims.push(d);
        }
        dims.retain(|&d| d < self.rank());
        dims.sort_unstable();
        Ok(dims)
    }

    fn reduce_impl(&self, op: &'static str, axes: &[isize], keepdim: bool, rop: ReduceOp) -> Result<Tensor> {
        let dims = self.reduce_axes(op, axes)?;
        if matches!(rop, ReduceOp::Max | ReduceOp::Min | ReduceOp::ArgMax) && dims.iter().any(|&d| self.shape()[d] == 0)
        {
            bail!(op, "cannot reduce over an empty dimension of shape {:?}", self.shape());
        }
        self.reduce_dims(&dims, rop, keepdim)
    }

    /// The recorded primitive; the output drops the reduced dims unless `keepdim`.
    pub(crate) fn reduce_dims(&self, dims: &[usize], rop: ReduceOp, keepdim: bool) -> Result<Tensor> {
        let s = self.storage().reduce(self.layout(), dims, rop)?;
        let shape: Vec<usize> = if keepdim {
            self.shape().iter().enumerate().map(|(d, &n)| if dims.contains(&d) { 1 } else { n }).collect()
        } else {
            self.shape().iter().enumerate().filter(|(d, _)| !dims.contains(d)).map(|(_, &n)| n).collect()
        };
        let rec = (rop != ReduceOp::ArgMax).then(|| Op::Reduce(self.clone(), dims.to_vec(), rop));
        Ok(Tensor::from_op(s, &shape, rec))
    }

    pub(crate) fn reduce_keepdim(&self, dims: &[usize], rop: ReduceOp) -> Result<Tensor> {
        self.reduce_dims(dims, rop, true)
    }

    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce_impl("sum", axes, keepdim, ReduceOp::Sum)
    }
    pub fn sum_all(&self) -> Result<Tensor> {
        self.sum(&[], false)
    }
    pub(crate) fn sum_keepdim(&self, dims: &[usize]) -> Result<Tensor> {
        self.reduce_keepdim(dims, ReduceOp::Sum)
    }
    pub fn mean(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        let dims = self.reduce_axes("mean", axes)?;
        let count: usize = dims.iter().map(|&d| self.shape()[d]).product();
        Ok(self.sum(axes, keepdim)?.mul_scalar(1.0 / count as f32)?.named("MeanBackward0"))
    }
    pub fn max(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce_impl("max", axes, keepdim, ReduceOp::Max)
    }
    pub fn min(&self, axes: &[isize], keepdim: bool) -> Result<Tensor> {
        self.reduce_impl("min", axes, keepdim, ReduceOp::Min)
    }
    /// Indices (as f32) of the first maximum along `axis`, or of the flattened tensor.
    pub fn argmax(&self, axis: Option<isize>, keepdim: bool) -> Result<Tensor> {
        match axis {
            Some(a) => self.reduce_impl("argmax", &[a], keepdim, ReduceOp::ArgMax),
            None => self.reshape(&[self.numel()])?.reduce_impl("argmax", &[0], false, ReduceOp::ArgMax),
        }
    }
    /// Variance over `axes` (`unbiased` divides by n - 1).
    pub fn var(&self, axes: &[isize], keepdim: bool, unbiased: bool) -> Result<Tensor> {
        let dims = self.reduce_axes("var", axes)?;
        let n: usize = dims.iter().map(|&d| self.shape()[d]).product();
        let mean = self.mean(axes, true)?;
        let sq = self.sub(&mean)?.pow_scalar(2.0)?.sum(axes, keepdim)?;
        // n - 1 = 0 gives inf * 0 = NaN, as torch.var of one element does
        let denom = if unbiased { n.saturating_sub(1) } else { n };
        sq.mul_scalar(1.0 / denom as f32)
    }

    /// Sums a broadcast result back to `shape` (the adjoint of broadcasting).
    pub fn sum_to(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape().as_slice() == shape {
            return Ok(self.clone());
        }
        let extra = self.rank() - shape.len();
        let dims: Vec<usize> =
            (0..self.rank()).filter(|&d| d < extra || (shape[d - extra] == 1 && self.shape()[d] != 1)).collect();
        self.sum_keepdim(&dims)?.reshape(shape)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Device, Tensor};

    #[test]
    fn unbiased_variance_of_one_element_is_nan_like_torch() {
        let x = Tensor::from_vec(vec![3.0], &[1], &Device::Cpu).unwrap();
        assert!(x.var(&[], false, true).unwrap().to_scalar().unwrap().is_nan());
        assert_eq!(x.var(&[], false, false).unwrap().to_scalar().unwrap(), 0.0);
        let y = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4], &Device::Cpu).unwrap();
        assert!((y.var(&[], false, true).unwrap().to_scalar().unwrap() - 5.0 / 3.0).abs() < 1e-6);
    }
}
