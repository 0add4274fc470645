use crate::autograd::Op;
use crate::backend::{MatStrides, MatmulParams};
use crate::shape::{broadcast_shapes, check_shape};
use crate::{bail, Result, Tensor};

fn strides(t: &Tensor) -> MatStrides {
    let l = t.layout();
    let r = l.rank();
    MatStrides {
        offset: l.offset,
        batch: if r == 3 { l.strides[0] } else { 0 },
        row: l.strides[r - 2],
        col: l.strides[r - 1],
    }
}

impl Tensor {
    /// `torch.matmul`: 1-D operands are promoted and squeezed back, batch dims broadcast.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        if self.rank() == 0 || rhs.rank() == 0 {
            bail!(
                "matmul",
                "both arguments need at least 1 dimension, got shapes {:?} and {:?}",
                self.shape(),
                rhs.shape()
            );
        }
        if self.rank() == 1 && rhs.rank() == 1 {
            // the dot product: a 0-d result, as torch.matmul gives
            return self.unsqueeze(0)?.matmul(&rhs.unsqueeze(1)?)?.reshape(&[]);
        }
        if self.rank() == 1 {
            let r = self.unsqueeze(0)?.matmul(rhs)?;
            return r.squeeze(Some(-2));
        }
        if rhs.rank() == 1 {
            let r = self.matmul(&rhs.unsqueeze(1)?)?;
            return r.squeeze(Some(-1));
        }
        let (m, k) = (self.shape()[self.rank() - 2], self.shape()[self.rank() - 1]);
        let (k2, n) = (rhs.shape()[rhs.rank() - 2], rhs.shape()[rhs.rank() - 1]);
        if k != k2 {
            bail!(
                "matmul",
                "shapes {:?} and {:?} cannot be multiplied ({m}x{k} and {k2}x{n})",
                self.shape(),
                rhs.shape()
            );
        }
        if self.device() != rhs.device() {
            bail!("matmul", "operands are on different devices ({:?} and {:?})", self.device(), rhs.device());
        }
        let batch = broadcast_shapes("matmul", &self.shape()[..self.rank() - 2], &rhs.shape()[..rhs.rank() - 2])
            .map_err(|e| {
                crate::Error::new("matmul", format!("{} (shapes {:?} and {:?})", e.msg, self.shape(), rhs.shape()))
            })?;
        check_shape("matmul", &[batch.clone(), vec![m, n]].concat()).map_err(|e| {
            e.map_msg(|msg| format!("{msg} (the product of shapes {:?} and {:?})", self.shape(), rhs.shape()))
        })?;
        if self.rank() == 2 && rhs.rank() == 2 {
            return mm(self, rhs);
        }
        let b: usize = batch.iter().product();
        let a = self.expand(&[batch.clone(), vec![m, k]].concat())?;
        let r = rhs.expand(&[batch.clone(), vec![k, n]].concat())?;
        // One batch stride per operand: a single batch dim keeps its (possibly 0) stride,
        // several are flattened (a copy when they are not contiguous).
        let (a, r) = if batch.len() == 1 { (a, r) } else { (a.reshape(&[b, m, k])?, r.reshape(&[b, k, n])?) };
        let out = mm(&a, &r)?;
        out.reshape(&[batch, vec![m, n]].concat())
    }
}

/// The recorded primitive: rank-2 or rank-3 (one batch dim) operands.
fn mm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let r = a.rank();
    let (m, k, n) = (a.shape()[r - 2], a.shape()[r - 1], b.shape()[r - 1]);
    let batch = if r == 3 { a.shape()[0] } else { 1 };
    let p = MatmulParams { batch, m, n, k, lhs: strides(a), rhs: strides(b) };
    let s = a.storage().matmul(&b.storage(), &p)?;
    let shape = if r == 3 { vec![batch, m, n] } else { vec![m, n] };
    Ok(Tensor::from_op(s, &shape, Some(Op::Matmul(a.clone(), b.clone()))))
}
