//! Fused ops: the default bodies of the fused [`BackendStorage`] methods, composed of the
//! primitives every backend has (so a backend without its own kernels still works), and their
//! [`Storage`] dispatch.
//!
//! The defaults perform the primitives autograd used before these ops existed, in the same
//! order, so a backend that keeps them computes exactly what it computed then.

use super::{
    on_storage, one, three, two, Activation, BackendStorage, BatchNormParams, BinaryOp, Conv2dParams, ReduceOp,
    Storage, UnaryOp,
};
use crate::shape::Layout;
use crate::Result;

/// `grad · act'` composed of unary and binary ops (see [`BackendStorage::activation_backward`]).
pub fn activation_backward<S: BackendStorage>(s: &S, l: &Layout, g: &S, gl: &Layout, act: Activation) -> Result<S> {
    let cl = Layout::contiguous(&l.shape);
    let d = match act {
        // y(1 - y): (1 - y) as y·(-1) + 1, then y times it
        Activation::Sigmoid => s.binary(l, &s.unary(l, UnaryOp::Affine(-1.0, 1.0))?, &cl, BinaryOp::Mul)?,
        // 1 - y², as (y·y)·(-1) + 1
        Activation::Tanh => s.binary(l, s, l, BinaryOp::Mul)?.unary(&cl, UnaryOp::Affine(-1.0, 1.0))?,
        Activation::Relu => s.unary(l, UnaryOp::Step)?,
    };
    g.binary(gl, &d, &cl, BinaryOp::Mul)
}

/// The conv, then the activation as its own elementwise op.
pub fn conv2d_act<S: BackendStorage>(x: &S, w: &S, bias: Option<&S>, p: &Conv2dParams, act: Activation) -> Result<S> {
    x.conv2d(w, bias, p)?.unary(&Layout::contiguous(&p.output_shape()), act.unary())
}

/// Layouts of a `[n, c, s]` tensor, of `[c]` values broadcast over it, and of `[c]` itself.
fn layouts(p: &BatchNormParams) -> Result<(Layout, Layout, Layout)> {
    let shape = p.shape();
    let per_channel = Layout::contiguous(&[1, p.c, 1]);
    Ok((Layout::contiguous(&shape), per_channel.broadcast_to("batch_norm", &shape)?, Layout::contiguous(&[p.c])))
}

fn mean_of<S: BackendStorage>(sum: &S, p: &BatchNormParams) -> Result<S> {
    sum.unary(&Layout::contiguous(&[p.c]), UnaryOp::Affine(1.0 / p.count() as f32, 0.0))
}

pub fn batch_norm_stats<S: BackendStorage>(x: &S, p: &BatchNormParams) -> Result<(S, S)> {
    let (l, bl, _) = layouts(p)?;
    let mean = mean_of(&x.reduce(&l, &[0, 2], ReduceOp::Sum)?, p)?;
    let sq = x.binary(&l, &mean, &bl, BinaryOp::Sub)?.unary(&l, UnaryOp::PowScalar(2.0))?;
    let var = mean_of(&sq.reduce(&l, &[0, 2], ReduceOp::Sum)?, p)?;
    Ok((mean, var))
}

/// The normalisation as broadcast binary ops, then the activation as its own elementwise op.
pub fn batch_norm_apply<S: BackendStorage>(
    x: &S,
    mean: &S,
    inv_std: &S,
    weight: Option<&S>,
    bias: Option<&S>,
    p: &BatchNormParams,
    act: Option<Activation>,
) -> Result<S> {
    let (l, bl, _) = layouts(p)?;
    let mut y = x.binary(&l, mean, &bl, BinaryOp::Sub)?.binary(&l, inv_std, &bl, BinaryOp::Mul)?;
    if let Some(w) = weight {
        y = y.binary(&l, w, &bl, BinaryOp::Mul)?;
    }
    if let Some(b) = bias {
        y = y.binary(&l, b, &bl, BinaryOp::Add)?;
    }
    match act {
        Some(a) => y.unary(&l, a.unary()),
        None => Ok(y),
    }
}

/// `dx = ((g - Σg/count) - x̂·Σ(g·x̂)/count) · weight·inv_std` with batch statistics, else
/// `g · weight·inv_std`; `dweight = Σ g·x̂`, `dbias = Σ g`.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_backward<S: BackendStorage>(
    x: &S,
    g: &S,
    mean: &S,
    inv_std: &S,
    weight: Option<&S>,
    p: &BatchNormParams,
    batch_stats: bool,
) -> Result<(S, S, S)> {
    let (l, bl, cl) = layouts(p)?;
    let xhat = x.binary(&l, mean, &bl, BinaryOp::Sub)?.binary(&l, inv_std, &bl, BinaryOp::Mul)?;
    let dbias = g.reduce(&l, &[0, 2], ReduceOp::Sum)?;
    let dweight = g.binary(&l, &xhat, &l, BinaryOp::Mul)?.reduce(&l, &[0, 2], ReduceOp::Sum)?;
    let k = match weight {
        Some(w) => w.binary(&cl, inv_std, &cl, BinaryOp::Mul)?,
        None => inv_std.contiguous(&cl)?,
    };
    let dx = if batch_stats {
        let a = mean_of(&dbias, p)?;
        let b = mean_of(&dweight, p)?;
        let centred = g.binary(&l, &a, &bl, BinaryOp::Sub)?;
        let v = centred.binary(&l, &xhat.binary(&l, &b, &bl, BinaryOp::Mul)?, &l, BinaryOp::Sub)?;
        v.binary(&l, &k, &bl, BinaryOp::Mul)?
    } else {
        g.binary(&l, &k, &bl, BinaryOp::Mul)?
    };
    Ok((dx, dweight, dbias))
}

impl Storage {
    pub fn activation_backward(&self, l: &Layout, grad: &Storage, gl: &Layout, act: Activation) -> Result<Storage> {
        let (y, g) = (self, grad);
        on_storage!("activation_backward", (y, g), [], y.activation_backward(l, g, gl, act), one)
    }
    /// `Ok(false)` when the backend cannot, or the operands are on different devices.
    pub fn activation_backward_in_place(&self, l: &Layout, grad: &mut Storage, act: Activation) -> Result<bool> {
        match (self, grad) {
            (Storage::Cpu(y), Storage::Cpu(g)) => y.activation_backward_in_place(l, g, act),
            #[cfg(feature = "gpu")]
            (Storage::Gpu(y), Storage::Gpu(g)) => y.activation_backward_in_place(l, g, act),
            #[cfg(feature = "gpu")]
            (Storage::Cpu(_), Storage::Gpu(_)) | (Storage::Gpu(_), Storage::Cpu(_)) => Ok(false),
        }
    }
    pub fn batch_norm_stats(&self, p: &BatchNormParams) -> Result<(Storage, Storage)> {
        let x = self;
        on_storage!((x), x.batch_norm_stats(p), two)
    }
    #[allow(clippy::too_many_arguments)]
    pub fn batch_norm_apply(
        &self,
        mean: &Storage,
        inv_std: &Storage,
        weight: Option<&Storage>,
        bias: Option<&Storage>,
        p: &BatchNormParams,
        act: Option<Activation>,
    ) -> Result<Storage> {
        let x = self;
        on_storage!(
            "batch_norm",
            (x, mean, inv_std),
            [weight, bias],
            x.batch_norm_apply(mean, inv_std, weight, bias, p, act),
            one
        )
    }
    pub fn batch_norm_backward(
        &self,
        grad: &Storage,
        mean: &Storage,
        inv_std: &Storage,
        weight: Option<&Storage>,
        p: &BatchNormParams,
        batch_stats: bool,
    ) -> Result<(Storage, Storage, Storage)> {
        let x = self;
        on_storage!(
            "batch_norm_backward",
            (x, grad, mean, inv_std),
            [weight],
            x.batch_norm_backward(grad, mean, inv_std, weight, p, batch_stats),
            three
        )
    }
}
