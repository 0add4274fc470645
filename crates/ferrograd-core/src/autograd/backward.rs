use super::Op;
use crate::backend::{Activation, BinaryOp, ReduceOp, UnaryOp};
use crate::tensor::{no_grad, TensorId};
use crate::{bail, Result, Tensor};
use std::collections::{HashMap, HashSet};

/// Nodes reachable from `root` through tensors that require grad, root first, every node
/// before its inputs.
fn topo_order(root: &Tensor) -> Result<Vec<Tensor>> {
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    // (node, children pushed?)
    let mut stack = vec![(root.clone(), false)];
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            order.push(t);
            continue;
        }
        if !seen.insert(t.id()) {
            continue;
        }
        stack.push((t.clone(), true));
        if t.is_leaf() {
            continue;
        }
        let op = t.op();
        let Some(op) = op.as_ref() else {
            bail!("backward", "trying to backward through the graph a second time: a tensor of shape {:?} was already used by an earlier backward() (its saved values are freed)", t.shape());
        };
        for i in op.inputs() {
            if i.requires_grad() && !seen.contains(&i.id()) {
                stack.push((i.clone(), false));
            }
        }
    }
    order.reverse();
    Ok(order)
}

/// Adds `g` to `t`'s pending gradient: in place when backward holds the only reference to the
/// pending one (a residual's two branches, a weight shared by two ops), else into a new tensor.
fn accumulate(grads: &mut HashMap<TensorId, Tensor>, t: &Tensor, g: Tensor) -> Result<()> {
    if !t.requires_grad() {
        return Ok(());
    }
    let g = match grads.remove(&t.id()) {
        // prev·1 + g·1 is prev + g bit for bit; a `g` that is a view (an expanded sum's
        // gradient) would first be copied whole, so it takes the one-pass `add`
        Some(prev) if prev.is_sole_owner() && g.owns_buffer() && prev.shape() == g.shape() => {
            prev.axpby_(1.0, &g, 1.0)?;
            prev
        }
        Some(prev) => prev.add(&g)?,
        None => g,
    };
    grads.insert(t.id(), g);
    Ok(())
}

/// Computes gradients of `root` (seeded with `grad`, or 1 for a scalar) and accumulates them
/// into the `.grad` of every leaf that requires grad. The graph's saved tensors are released
/// as it goes, as PyTorch does without `retain_graph`.
pub fn backward(root: &Tensor, grad: Option<Tensor>) -> Result<()> {
    if !root.requires_grad() {
        bail!("backward", "tensor of shape {:?} does not require grad and has no grad_fn", root.shape());
    }
    let seed = match grad {
        Some(g) => {
            if g.shape() != root.shape() {
                bail!(
                    "backward",
                    "gradient of shape {:?} does not match the tensor's shape {:?}",
                    g.shape(),
                    root.shape()
                );
            }
            g.detach()
        }
        None => {
            if root.numel() != 1 {
                bail!(
                    "backward",
                    "grad can be implicitly created only for scalar outputs, got shape {:?}",
                    root.shape()
                );
            }
            Tensor::ones(root.shape(), &root.device())?
        }
    };
    no_grad(|| {
        let order = topo_order(root)?;
        // A node whose whole subgraph reads no saved values (`x.sum()`, `(2 * x).mean()`) keeps
        // its ops, so a second backward through it works and accumulates, as in PyTorch; every
        // other op is freed as backward goes (no retain_graph), so a second backward fails
        // clearly instead of holding the step's activations alive.
        let mut keep: HashSet<TensorId> = HashSet::new();
        for t in order.iter().rev() {
            let pure = t.is_leaf()
                || t.op().as_ref().is_some_and(|op| {
                    !op.saves_values() && op.inputs().into_iter().all(|i| !i.requires_grad() || keep.contains(&i.id()))
                });
            if pure {
                keep.insert(t.id());
            }
        }
        let mut grads: HashMap<TensorId, Tensor> = HashMap::new();
        grads.insert(root.id(), seed);
        for node in order {
            let Some(g) = grads.remove(&node.id()) else {
                continue;
            };
            if node.is_leaf() {
                let total = match node.grad() {
                    Some(prev) => prev.add(&g)?,
                    None => g.contiguous()?,
                };
                node.set_grad(Some(total));
                continue;
            }
            let op = if keep.contains(&node.id()) { node.op().clone() } else { node.take_op() };
            let Some(op) = op else { continue };
            for (input, gi) in input_grads(&op, &node, &g)? {
                accumulate(&mut grads, input, gi)?;
            }
        }
        Ok(())
    })
}

/// `g · act'` from the activation's output (sigmoid, tanh) or input (relu), in one pass:
/// written over `g` when backward holds the only reference to it, else into a new buffer.
fn activation_grad(y: &Tensor, g: &Tensor, act: Activation) -> Result<Tensor> {
    if g.is_sole_owner() && g.shape() == y.shape() {
        let done = y.storage().activation_backward_in_place(y.layout(), &mut g.storage_mut(), act)?;
        if done {
            return Ok(g.clone());
        }
    }
    let s = y.storage().activation_backward(y.layout(), &g.storage(), g.layout(), act)?;
    Tensor::from_storage(s, y.shape())
}

/// The gradient rules: one arm per primitive.
fn input_grads<'a>(op: &'a Op, out: &Tensor, g: &Tensor) -> Result<Vec<(&'a Tensor, Tensor)>> {
    Ok(match op {
        Op::Unary(x, u) => {
            let d = match *u {
                UnaryOp::Neg => g.neg()?,
                UnaryOp::Exp => g.mul(out)?,
                UnaryOp::Log => g.div(x)?,
                UnaryOp::Sqrt => g.div(out)?.affine(0.5, 0.0)?,
                UnaryOp::Abs => g.mul(&x.unary(UnaryOp::Sign)?)?,
                UnaryOp::Recip => g.mul(&out.mul(out)?)?.neg()?,
                // g·step(x), g·y(1-y), g·(1-y²): one fused pass each
                UnaryOp::Relu => activation_grad(x, g, Activation::Relu)?,
                UnaryOp::Sigmoid => activation_grad(out, g, Activation::Sigmoid)?,
                UnaryOp::Tanh => activation_grad(out, g, Activation::Tanh)?,
                UnaryOp::Affine(mul, _) => g.affine(mul, 0.0)?,
                UnaryOp::PowScalar(p) => g.mul(&x.unary(UnaryOp::PowScalar(p - 1.0))?.affine(p, 0.0)?)?,
                // clamp passes the gradient where the bound is not active (x >= min / x <= max)
                UnaryOp::MaxScalar(v) => g.mul(&x.unary(UnaryOp::LtScalar(v))?.affine(-1.0, 1.0)?)?,
                UnaryOp::MinScalar(v) => g.mul(&x.unary(UnaryOp::GtScalar(v))?.affine(-1.0, 1.0)?)?,
                // g where x > 0, else g · slope
                UnaryOp::LeakyRelu(slope) => g.mul(&x.unary(UnaryOp::GtScalar(0.0))?.affine(1.0 - slope, slope)?)?,
                // piecewise constant: zero almost everywhere, as PyTorch's FloorBackward0 etc.
                UnaryOp::Step
                | UnaryOp::Sign
                | UnaryOp::GtScalar(_)
                | UnaryOp::LtScalar(_)
                | UnaryOp::EqScalar(_)
                | UnaryOp::Floor
                | UnaryOp::Ceil
                | UnaryOp::Trunc
                | UnaryOp::Round => g.zeros_like()?,
            };
            vec![(x, d)]
        }
        Op::Binary(a, b, bop) => match bop {
            BinaryOp::Add => vec![(a, g.clone()), (b, g.clone())],
            BinaryOp::Sub => vec![(a, g.clone()), (b, g.neg()?)],
            BinaryOp::Mul => vec![(a, g.mul(b)?), (b, g.mul(a)?)],
            BinaryOp::Div => {
                let ga = g.div(b)?;
                let gb = ga.mul(out)?.neg()?;
                vec![(a, ga), (b, gb)]
            }
            BinaryOp::Pow => {
                // d/da a^b = b a^(b-1); d/db a^b = a^b ln a (0 where a == 0, as PyTorch masks it)
                let ga = g.mul(&b.mul(&a.pow(&b.affine(1.0, -1.0)?)?)?)?;
                let ln_a = a.add(&a.unary(UnaryOp::EqScalar(0.0))?)?.log()?;
                let gb = g.mul(&out.mul(&ln_a)?)?;
                vec![(a, ga), (b, gb)]
            }
            // d/da = 1; d/db = -(the quotient the remainder was taken of), as PyTorch's
            // FmodBackward1 (trunc(a / b)) and RemainderBackward1 (a // b)
            BinaryOp::Fmod => vec![(a, g.clone()), (b, g.mul(&a.div(b)?.unary(UnaryOp::Trunc)?)?.neg()?)],
            BinaryOp::Remainder => vec![(a, g.clone()), (b, g.mul(&a.binary(b, BinaryOp::FloorDivide)?)?.neg()?)],
            BinaryOp::Maximum | BinaryOp::Minimum => {
                // ties split the gradient evenly, like torch.maximum
                let (win, lose) =
                    if *bop == BinaryOp::Maximum { (BinaryOp::Gt, BinaryOp::Lt) } else { (BinaryOp::Lt, BinaryOp::Gt) };
                let tie = a.binary(b, BinaryOp::Eq)?.affine(0.5, 0.0)?;
                let ma = a.binary(b, win)?.add(&tie)?;
                let mb = a.binary(b, lose)?.add(&tie)?;
                vec![(a, g.mul(&ma)?), (b, g.mul(&mb)?)]
            }
            // not differentiable: never recorded
            BinaryOp::FloorDivide | BinaryOp::Gt | BinaryOp::Lt | BinaryOp::Ge | BinaryOp::Le | BinaryOp::Eq => vec![],
        },
        Op::Reduce(x, dims, rop) => {
            // back to the keepdim shape, then broadcast over the reduced dims
            let kshape: Vec<usize> =
                x.shape().iter().enumerate().map(|(d, &n)| if dims.contains(&d) { 1 } else { n }).collect();
            let g = g.reshape(&kshape)?;
            match rop {
                ReduceOp::Sum => vec![(x, g.expand(x.shape())?)],
                ReduceOp::Max | ReduceOp::Min => {
                    // evenly among ties (amax semantics)
                    let o = out.reshape(&kshape)?;
                    let mask = x.binary(&o.expand(x.shape())?, BinaryOp::Eq)?;
                    let count = mask.sum_keepdim(dims)?;
                    vec![(x, mask.mul(&g.div(&count)?.expand(x.shape())?)?)]
                }
                ReduceOp::ArgMax => vec![],
            }
        }
        Op::Matmul(a, b) => {
            // On the CPU, a matrix operand that is a transposed view (a linear layer's `w.t()`)
            // gets its gradient as the transpose of `gᵀ · a` (or `b · gᵀ`): the transpose's own
            // backward then hands the leaf a contiguous gradient, where `aᵀ · g` would be copied
            // across later (a 4096 × 6272 weight: 100 MB, ~150 ms in wasm). GPU kernels read
            // strided gradients at full speed, so the GPU keeps the plain form.
            let transposed =
                |t: &Tensor| t.rank() == 2 && !t.is_contiguous() && t.transpose(0, 1).is_ok_and(|v| v.is_contiguous());
            let plain = a.rank() == 2 && g.rank() == 2 && b.rank() == 2 && g.device() == crate::Device::Cpu;
            let ga = if plain && transposed(a) {
                b.matmul(&g.transpose(0, 1)?)?.transpose(0, 1)?
            } else {
                g.matmul(&b.transpose(-1, -2)?)?
            };
            let gb = if plain && transposed(b) {
                g.transpose(0, 1)?.matmul(a)?.transpose(0, 1)?
            } else {
                a.transpose(-1, -2)?.matmul(g)?
            };
            vec![(a, ga), (b, gb)]
        }
        Op::Reshape(x) => vec![(x, g.reshape(x.shape())?)],
        Op::Permute(x, dims) => {
            let mut inv = vec![0; dims.len()];
            for (i, &d) in dims.iter().enumerate() {
                inv[d] = i;
            }
            vec![(x, g.permute(&inv)?)]
        }
        Op::Expand(x) => vec![(x, g.sum_to(x.shape())?)],
        Op::Slice(x, dim, start, step) => vec![(x, g.unslice(x.shape(), *dim, *start, *step)?)],
        Op::Cat(ts, dim) => {
            let mut start = 0;
            let mut v = Vec::with_capacity(ts.len());
            for t in ts {
                let len = t.shape()[*dim];
                v.push((t, g.narrow(*dim, start, len)?));
                start += len;
            }
            v
        }
        Op::Pad(x, pads) => {
            let mut r = g.clone();
            let first = x.rank() - pads.len();
            for (i, &(before, _)) in pads.iter().enumerate() {
                r = r.narrow(first + i, before, x.shape()[first + i])?;
            }
            vec![(x, r)]
        }
        // The kernels below index bare storages from 0, so every operand is made dense: an
        // incoming gradient can be an offset view (a later channel block of a batch-1 concat).
        Op::Conv2d { input, weight, bias, p, act } => {
            let g = match act {
                Some((a, out)) => activation_grad(out, g, *a)?,
                None => g.dense()?,
            };
            // Only the gradients someone needs: a network's input (LeNet's first layer) has no
            // use for its input gradient, which costs as much as the forward pass.
            let mut v = Vec::with_capacity(3);
            if input.requires_grad() {
                let gi = g.storage().conv2d_backward_input(&weight.dense()?.storage(), p)?;
                v.push((input, Tensor::from_storage(gi, &p.input_shape())?));
            }
            if weight.requires_grad() {
                let gw = input.dense()?.storage().conv2d_backward_weight(&g.storage(), p)?;
                v.push((weight, Tensor::from_storage(gw, &p.weight_shape())?));
            }
            if let Some(b) = bias.as_ref().filter(|b| b.requires_grad()) {
                v.push((b, g.sum_keepdim(&[0, 2, 3])?.reshape(&[p.c_out])?));
            }
            v
        }
        // The transposed conv is conv2d's input-gradient (see `Tensor::conv_transpose2d`), so
        // its input-gradient is that conv2d's forward and its weight-gradient the same
        // conv2d's, with roles swapped: `g` is the conv's input, the op's input its grad_out.
        Op::ConvTranspose2d { input, weight, p } => {
            let g = g.dense()?;
            let mut v = Vec::with_capacity(2);
            if input.requires_grad() {
                let gi = g.storage().conv2d(&weight.dense()?.storage(), None, p)?;
                v.push((input, Tensor::from_storage(gi, &p.output_shape())?));
            }
            if weight.requires_grad() {
                let gw = g.storage().conv2d_backward_weight(&input.dense()?.storage(), p)?;
                v.push((weight, Tensor::from_storage(gw, &p.weight_shape())?));
            }
            v
        }
        Op::Pool2d(x, p) => {
            let g = g.dense()?;
            let s = x.dense()?.storage().pool2d_backward(&g.storage(), p)?;
            vec![(x, Tensor::from_storage(s, x.shape())?)]
        }
        Op::MaxUnpool2d(x, idx, p) => {
            let s = g.dense()?.storage().max_unpool2d_backward(&idx.storage(), p)?;
            vec![(x, Tensor::from_storage(s, x.shape())?)]
        }
        Op::AdaptiveAvgPool2d(x, p) => {
            let s = g.dense()?.storage().adaptive_avg_pool2d_backward(p)?;
            vec![(x, Tensor::from_storage(s, x.shape())?)]
        }
        Op::ResizeBilinear(x, p) => {
            let s = g.dense()?.storage().resize_bilinear_backward(p)?;
            vec![(x, Tensor::from_storage(s, x.shape())?)]
        }
        Op::BatchNorm { x, weight, bias, mean, inv_std, p, batch_stats, act } => {
            let g = match act {
                Some((a, out)) => activation_grad(out, g, *a)?,
                None => g.dense()?,
            };
            let w = weight.as_ref().map(|w| w.storage());
            let (dx, dw, db) = x.storage().batch_norm_backward(
                &g.storage(),
                &mean.storage(),
                &inv_std.storage(),
                w.as_deref(),
                p,
                *batch_stats,
            )?;
            let mut v = Vec::with_capacity(3);
            if x.requires_grad() {
                v.push((x, Tensor::from_storage(dx, x.shape())?));
            }
            if let Some(w) = weight.as_ref().filter(|w| w.requires_grad()) {
                v.push((w, Tensor::from_storage(dw, w.shape())?));
            }
            if let Some(b) = bias.as_ref().filter(|b| b.requires_grad()) {
                v.push((b, Tensor::from_storage(db, b.shape())?));
            }
            v
        }
        Op::GatherCols(x, idx) => {
            let (rows, cols) = (x.shape()[0], x.shape()[1]);
            let s = g.dense()?.storage().scatter_cols(&idx.dense()?.storage(), rows, cols)?;
            vec![(x, Tensor::from_storage(s, x.shape())?)]
        }
    })
}
