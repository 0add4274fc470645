use crate::autograd::Op;
use crate::shape::{check_shape, normalize_axis, numel, Layout};
use crate::{bail, Result, Tensor};

impl Tensor {
    /// A view when the layout allows it, else a contiguous copy (like `torch.reshape`).
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        if crate::shape::check_shape("reshape", shape)? != self.numel() {
            bail!(
                "reshape",
                "shape {:?} is invalid for input of shape {:?} ({} elements)",
                shape,
                self.shape(),
                self.numel()
            );
        }
        if shape == self.shape().as_slice() {
            return Ok(self.clone());
        }
        let src = self.contiguous()?;
        let layout = Layout {
            shape: shape.to_vec(),
            strides: crate::shape::contiguous_strides(shape),
            offset: src.layout().offset,
        };
        Ok(src.view(layout, Some(Op::Reshape(src.clone()))))
    }

    /// `reshape` with at most one `-1` to infer.
    pub fn reshape_infer(&self, shape: &[isize]) -> Result<Tensor> {
        let mut infer = None;
        let mut known = 1usize;
        for (i, &d) in shape.iter().enumerate() {
            if d == -1 {
                if infer.replace(i).is_some() {
                    bail!("reshape", "only one dimension can be inferred in {shape:?}");
                }
            } else if d < 0 {
                bail!("reshape", "invalid dimension {d} in {shape:?}");
            } else {
                known *= d as usize;
            }
        }
        let mut out: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
        if let Some(i) = infer {
            if known == 0 || !self.numel().is_multiple_of(known) {
                bail!(
                    "reshape",
                    "shape {:?} is invalid for input of shape {:?} ({} elements)",
                    shape,
                    self.shape(),
                    self.numel()
                );
            }
            out[i] = self.numel() / known;
        }
        self.reshape(&out)
    }

    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        let s = self.storage().contiguous(self.layout())?;
        Ok(Tensor::from_op(s, self.shape(), Some(Op::Reshape(self.clone()))))
    }

    /// A contiguous tensor that starts at the beginning of its buffer and spans all of it: what
    /// the kernels that take bare storages (conv, pooling, resize, gather) index from 0.
    /// `contiguous()` is not enough: a leading-dim view such as `x.narrow(0, i, 1)` or `x[i]` is
    /// contiguous but starts at an offset into a larger buffer.
    pub(crate) fn dense(&self) -> Result<Tensor> {
        if self.owns_buffer() {
            return Ok(self.clone());
        }
        let s = self.storage().contiguous(self.layout())?;
        Ok(Tensor::from_op(s, self.shape(), Some(Op::Reshape(self.clone()))))
    }

    pub fn permute(&self, dims: &[usize]) -> Result<Tensor> {
        let layout = self.layout().permute("permute", dims)?;
        Ok(self.view(layout, Some(Op::Permute(self.clone(), dims.to_vec()))))
    }

    pub fn transpose(&self, d0: isize, d1: isize) -> Result<Tensor> {
        let r = self.rank();
        if r < 2 {
            return Ok(self.clone());
        }
        let (a, b) = (normalize_axis("transpose", d0, r)?, normalize_axis("transpose", d1, r)?);
        let mut dims: Vec<usize> = (0..r).collect();
        dims.swap(a, b);
        self.permute(&dims)
    }

    /// `t()`: transposes a 2-D tensor; 0-D and 1-D tensors are returned as is.
    pub fn t(&self) -> Result<Tensor> {
        if self.rank() > 2 {
            bail!("t", "expects a tensor with <= 2 dimensions, but got shape {:?}", self.shape());
        }
        self.transpose(0, 1)
    }

    /// Broadcasts to `shape` without copying.
    pub fn expand(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape().as_slice() == shape {
            return Ok(self.clone());
        }
        crate::shape::check_shape("expand", shape)?;
        let layout = self.layout().broadcast_to("expand", shape)?;
        Ok(self.view(layout, Some(Op::Expand(self.clone()))))
    }

    /// `x[.., start:end:step, ..]` along `dim`, with Python's negative indices. Unlike Python,
    /// out-of-range bounds are an error (they are almost always a bug in tensor code).
    pub fn slice(&self, dim: isize, start: Option<isize>, end: Option<isize>, step: usize) -> Result<Tensor> {
        let d = normalize_axis("slice", dim, self.rank())?;
        if self.rank() == 0 {
            bail!("slice", "cannot slice a 0-d tensor");
        }
        let size = self.shape()[d] as isize;
        if step == 0 {
            bail!("slice", "step must be positive, got 0");
        }
        // Python's slice bounds: negative counts from the end, then clamped to the dimension.
        let fix = |v: isize| -> usize { (if v < 0 { v + size } else { v }).clamp(0, size) as usize };
        let s = fix(start.unwrap_or(0));
        let e = fix(end.unwrap_or(size)).max(s);
        let len = (e - s).div_ceil(step);
        let layout = self.layout().slice(d, s, len, step);
        Ok(self.view(layout, Some(Op::Slice(self.clone(), d, s, step))))
    }

    pub fn narrow(&self, dim: usize, start: usize, len: usize) -> Result<Tensor> {
        if dim >= self.rank() || start + len > self.shape()[dim] {
            bail!(
                "narrow",
                "range {start}..{} is out of bounds for dimension {dim} of shape {:?}",
                start + len,
                self.shape()
            );
        }
        let layout = self.layout().slice(dim, start, len, 1);
        Ok(self.view(layout, Some(Op::Slice(self.clone(), dim, start, 1))))
    }

    /// Selects index `i` of `dim` and drops that dimension (`x[i]`).
    pub fn select(&self, dim: isize, index: isize) -> Result<Tensor> {
        let d = normalize_axis("select", dim, self.rank())?;
        let size = self.shape().get(d).copied().unwrap_or(0) as isize;
        let i = if index < 0 { index + size } else { index };
        if i < 0 || i >= size {
            bail!(
                "select",
                "index {index} is out of range for dimension {d} of size {size} (shape {:?})",
                self.shape()
            );
        }
        let mut shape = self.shape().clone();
        shape.remove(d);
        self.narrow(d, i as usize, 1)?.reshape(&shape)
    }

    /// Adjoint of a strided slice: `g` placed into zeros of `shape` (not recorded).
    pub(crate) fn unslice(&self, shape: &[usize], dim: usize, start: usize, step: usize) -> Result<Tensor> {
        let mut out = self.device().zeros(numel(shape))?;
        let dst = Layout::contiguous(shape).slice(dim, start, self.shape()[dim], step);
        out.copy_into(&dst, &self.storage(), self.layout())?;
        Tensor::from_storage(out, shape)
    }

    pub fn unsqueeze(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_axis("unsqueeze", dim, self.rank() + 1)?;
        let mut shape = self.shape().clone();
        shape.insert(d, 1);
        self.reshape(&shape)
    }

    /// Drops `dim` if it has size 1 (or every size-1 dim when `None`).
    pub fn squeeze(&self, dim: Option<isize>) -> Result<Tensor> {
        let shape: Vec<usize> = match dim {
            Some(a) => {
                let d = normalize_axis("squeeze", a, self.rank())?;
                let mut s = self.shape().clone();
                if d < s.len() && s[d] == 1 {
                    s.remove(d);
                }
                s
            }
            None => self.shape().iter().copied().filter(|&s| s != 1).collect(),
        };
        self.reshape(&shape)
    }

    pub fn flatten(&self, start: isize, end: isize) -> Result<Tensor> {
        if self.rank() == 0 {
            return self.reshape(&[1]);
        }
        let (s, e) = (normalize_axis("flatten", start, self.rank())?, normalize_axis("flatten", end, self.rank())?);
        if s > e {
            bail!("flatten", "start dim {start} comes after end dim {end} for shape {:?}", self.shape());
        }
        let mut shape: Vec<usize> = self.shape()[..s].to_vec();
        shape.push(self.shape()[s..=e].iter().product());
        shape.extend_from_slice(&self.shape()[e + 1..]);
        self.reshape(&shape)
    }

    pub fn cat(tensors: &[Tensor], dim: isize) -> Result<Tensor> {
        let Some(first) = tensors.first() else { bail!("cat", "expected a non-empty list of tensors") };
        let d = normalize_axis("cat", dim, first.rank())?;
        if first.rank() == 0 {
            bail!("cat", "zero-dimensional tensors cannot be concatenated");
        }
        let mut shape = first.shape().clone();
        shape[d] = 0;
        for (i, t) in tensors.iter().enumerate() {
            let ok = t.rank() == first.rank() && (0..t.rank()).all(|k| k == d || t.shape()[k] == first.shape()[k]);
            if !ok {
                bail!(
                    "cat",
                    "tensor {i} has shape {:?}, which does not match {:?} outside dimension {d}",
                    t.shape(),
                    first.shape()
                );
            }
            if t.device() != first.device() {
                bail!("cat", "tensor {i} is on {:?}, tensor 0 on {:?}", t.device(), first.device());
            }
            shape[d] += t.shape()[d];
        }
        let mut s = first.device().zeros(numel(&shape))?;
        let full = Layout::contiguous(&shape);
        let mut start = 0;
        for t in tensors {
            let dl = full.slice(d, start, t.shape()[d], 1);
            s.copy_into(&dl, &t.storage(), t.layout())?;
            start += t.shape()[d];
        }
        Ok(Tensor::from_op(s, &shape, Some(Op::Cat(tensors.to_vec(), d))))
    }

    pub fn stack(tensors: &[Tensor], dim: isize) -> Result<Tensor> {
        let Some(first) = tensors.first() else { bail!("stack", "expected a non-empty list of tensors") };
        let d = normalize_axis("stack", dim, first.rank() + 1)?;
        for (i, t) in tensors.iter().enumerate() {
            if t.shape() != first.shape() {
                bail!(
                    "stack",
                    "expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {i}",
                    first.shape(),
                    t.shape()
                );
            }
        }
        let parts: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(d as isize)).collect::<Result<_>>()?;
        Tensor::cat(&parts, d as isize)
    }

    /// Zero padding of the trailing dims: `pads[i] = (before, after)` for dim `rank - pads.len() + i`.
    pub fn pad(&self, pads: &[(usize, usize)]) -> Result<Tensor> {
        if pads.len() > self.rank() {
            bail!("pad", "{} padded dims for a tensor of shape {:?}", pads.len(), self.shape());
        }
        let first = self.rank() - pads.len();
        let mut shape = self.shape().clone();
        for (i, &(b, a)) in pads.iter().enumerate() {
            match shape[first + i].checked_add(b).and_then(|v| v.checked_add(a)) {
                Some(v) => shape[first + i] = v,
                None => bail!("pad", "padding {pads:?} is too large for shape {:?}", self.shape()),
            }
        }
        check_shape("pad", &shape)
            .map_err(|e| e.map_msg(|m| format!("{m} (input shape {:?}, padding {pads:?})", self.shape())))?;
        let mut s = self.device().zeros(numel(&shape))?;
        let mut dl = Layout::contiguous(&shape);
        for (i, &(b, _)) in pads.iter().enumerate() {
            dl = dl.slice(first + i, b, self.shape()[first + i], 1);
        }
        s.copy_into(&dl, &self.storage(), self.layout())?;
        Ok(Tensor::from_op(s, &shape, Some(Op::Pad(self.clone(), pads.to_vec()))))
    }

    /// Reverses the order of elements along the last dim. Composed of matmuls with exchange
    /// matrices, so it needs no kernel of its own on any backend and autograd comes for free. A
    /// long row is not multiplied by an n×n matrix (quadratic memory: a 50k-tap kernel would need
    /// 10 GB): it is zero-padded in front to p·q, viewed as [p, q] and flipped along both axes.
    pub fn flip_last(&self) -> Result<Tensor> {
        const DIRECT: usize = 64;
        let r = self.rank();
        if r == 0 {
            bail!("flip", "expects at least one dimension, got a 0-d tensor");
        }
        let n = self.shape()[r - 1];
        if n <= DIRECT {
            let mut j = vec![0.0; n * n];
            for i in 0..n {
                j[i * n + (n - 1 - i)] = 1.0;
            }
            let j = Tensor::from_vec(j, &[n, n], &self.device())?;
            return self.matmul(&j);
        }
        let q = n.isqrt() + 1;
        let p = n.div_ceil(q);
        let lead = &self.shape()[..r - 1];
        let grid = self.pad(&[(p * q - n, 0)])?.reshape(&[lead, &[p, q]].concat())?;
        let flipped = grid.flip_last()?.transpose(-1, -2)?.flip_last()?.transpose(-1, -2)?;
        flipped.reshape(&[lead, &[p * q]].concat())?.narrow(r - 1, 0, n)
    }

    /// In-place `self[...] = src` (no autograd), for `weight.data[:] = ...` style updates and
    /// loading state. `src` broadcasts to `self`'s shape.
    pub fn assign(&self, src: &Tensor) -> Result<()> {
        let src = src.expand(self.shape()).map_err(|_| {
            crate::Error::new(
                "assign",
                format!("cannot assign a tensor of shape {:?} to one of shape {:?}", src.shape(), self.shape()),
            )
        })?;
        if src.same_buffer(self) {
            if src.layout() == self.layout() {
                return Ok(()); // `x.assign_(x)`, e.g. loading a module's own state dict
            }
            // A fresh copy first: the source and destination overlap, and the buffer cannot be
            // borrowed for reading and writing at once.
            let tmp = src.storage().contiguous(src.layout())?;
            return self.storage_mut().copy_into(self.layout(), &tmp, &crate::shape::Layout::contiguous(src.shape()));
        }
        let s = src.storage();
        self.storage_mut().copy_into(self.layout(), &s, src.layout())
    }

    /// In-place `self = self * alpha + other * beta` over a whole parameter buffer (optimizers).
    pub fn axpby_(&self, alpha: f32, other: &Tensor, beta: f32) -> Result<()> {
        if other.shape() != self.shape() {
            bail!("axpby_", "shapes {:?} and {:?} differ", self.shape(), other.shape());
        }
        if !self.owns_buffer() {
            bail!("axpby_", "in-place update needs a tensor that owns its buffer (shape {:?})", self.shape());
        }
        // The kernel walks whole buffers: give it one that is exactly `other`, never `self`'s.
        let other = if other.owns_buffer() && !other.same_buffer(self) {
            other.detach()
        } else {
            other.detach().affine(1.0, 0.0)?
        };
        let o = other.storage();
        self.storage_mut().axpby_inplace(alpha, &o, beta)
    }
}
