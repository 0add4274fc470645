//! Shapes and strided layouts. Views (transpose, slice, expand) only change the layout;
//! storage is shared. Kernels either take a layout or ask for a contiguous copy first.

use crate::{bail, Result};

pub type Shape = Vec<usize>;

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Largest tensor accepted from user input: 2^29 f32 = 2 GiB, half of wasm32's address space.
pub const MAX_ELEMENTS: usize = 1 << 29;

/// Validates a user-supplied shape: its element count must neither overflow nor exceed
/// [`MAX_ELEMENTS`] (an allocation that large would abort the wasm instance).
/// A tensor past the limit is memory that cannot be served: the error is an out-of-memory one
/// (a JS `RangeError`) naming the bytes.
pub fn check_shape(op: &'static str, shape: &[usize]) -> Result<usize> {
    let n = shape.iter().fold(1u128, |a, &d| a.saturating_mul(d as u128));
    if n > MAX_ELEMENTS as u128 {
        let bytes = u64::try_from(n.saturating_mul(4)).unwrap_or(u64::MAX);
        let live = crate::live_buffers().1 as u64;
        let limit = format!(" and one tensor holds at most 2 GiB ({MAX_ELEMENTS} elements; shape {shape:?})");
        return Err(crate::Error::out_of_memory(op, bytes, live, &limit));
    }
    Ok(n as usize)
}

pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i];
    }
    strides
}

/// Resolves a possibly negative axis (PyTorch style) against a rank.
pub fn normalize_axis(op: &'static str, axis: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    // A scalar still accepts axis 0 / -1, like PyTorch's wrap_dim for 0-d tensors.
    let bound = r.max(1);
    if axis < -bound || axis >= bound {
        bail!(op, "axis {axis} is out of range for a tensor of rank {rank} (expected {}..{})", -bound, bound - 1);
    }
    Ok(if axis < 0 { (axis + bound) as usize } else { axis as usize })
}

/// NumPy/PyTorch broadcasting of two shapes.
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Shape> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            bail!(op, "shapes {a:?} and {b:?} cannot be broadcast together (dimension {i}: {da} vs {db})");
        };
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub shape: Shape,
    pub strides: Vec<usize>,
    pub offset: usize,
}

impl Layout {
    pub fn contiguous(shape: &[usize]) -> Self {
        Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    pub fn is_contiguous(&self) -> bool {
        let mut acc = 1;
        for i in (0..self.shape.len()).rev() {
            if self.shape[i] != 1 && self.strides[i] != acc {
                return false;
            }
            acc *= self.shape[i];
        }
        true
    }

    /// Offsets of `[start, start+len)` when the layout is contiguous, for kernels with a fast path.
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        self.is_contiguous().then(|| self.offset..self.offset + self.numel())
    }

    /// A view of this layout broadcast to `shape` (expanded dims get stride 0).
    pub fn broadcast_to(&self, op: &'static str, shape: &[usize]) -> Result<Layout> {
        if shape.len() < self.rank() {
            bail!(op, "cannot broadcast shape {:?} to {:?}", self.shape, shape);
        }
        let extra = shape.len() - self.rank();
        let mut strides = vec![0; shape.len()];
        for i in 0..shape.len() {
            if i < extra {
                continue;
            }
            let (d, s) = (self.shape[i - extra], self.strides[i - extra]);
            if d == shape[i] {
                strides[i] = s;
            } else if d == 1 {
                strides[i] = 0;
            } else {
                bail!(op, "cannot broadcast shape {:?} to {:?}", self.shape, shape);
            }
        }
        Ok(Layout { shape: shape.to_vec(), strides, offset: self.offset })
    }

    pub fn permute(&self, op: &'static str, dims: &[usize]) -> Result<Layout> {
        let r = self.rank();
        let mut seen = vec![false; r];
        if dims.len() != r || dims.iter().any(|&d| d >= r || std::mem::replace(&mut seen[d], true)) {
            bail!(op, "dims {dims:?} are not a permutation of 0..{r} for shape {:?}", self.shape);
        }
        Ok(Layout {
            shape: dims.iter().map(|&d| self.shape[d]).collect(),
            strides: dims.iter().map(|&d| self.strides[d]).collect(),
            offset: self.offset,
        })
    }

    /// `start..end` with `step` along `dim` (bounds already validated by the caller).
    pub fn slice(&self, dim: usize, start: usize, len: usize, step: usize) -> Layout {
        let mut l = self.clone();
        l.offset += start * self.strides[dim];
        l.shape[dim] = len;
        l.strides[dim] *= step;
        l
    }

    /// Storage offset of every element in row-major order of the logical shape.
    pub fn offsets(&self) -> StridedOffsets<'_> {
        StridedOffsets::new(self)
    }
}

/// Iterator over storage offsets of a strided layout, innermost dimension fastest.
pub struct StridedOffsets<'a> {
    layout: &'a Layout,
    index: Vec<usize>,
    next: Option<usize>,
}

impl<'a> StridedOffsets<'a> {
    fn new(layout: &'a Layout) -> Self {
        let next = if layout.numel() == 0 { None } else { Some(layout.offset) };
        StridedOffsets { layout, index: vec![0; layout.rank()], next }
    }
}

impl Iterator for StridedOffsets<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        let cur = self.next?;
        let l = self.layout;
        let mut off = cur;
        let mut d = l.rank();
        loop {
            if d == 0 {
                self.next = None;
                break;
            }
            d -= 1;
            self.index[d] += 1;
            off += l.strides[d];
            if self.index[d] < l.shape[d] {
                self.next = Some(off);
                break;
            }
            off -= l.strides[d] * l.shape[d];
            self.index[d] = 0;
        }
        Some(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes("t", &[2, 1, 3], &[4, 1]).unwrap(), vec![2, 4, 3]);
        assert_eq!(broadcast_shapes("t", &[], &[5]).unwrap(), vec![5]);
        let e = broadcast_shapes("add", &[2, 3], &[4]).unwrap_err();
        assert!(e.to_string().contains("[2, 3]") && e.to_string().contains("add"));
    }

    #[test]
    fn strided_offsets_of_transpose() {
        let l = Layout::contiguous(&[2, 3]).permute("t", &[1, 0]).unwrap();
        assert_eq!(l.offsets().collect::<Vec<_>>(), vec![0, 3, 1, 4, 2, 5]);
        assert!(!l.is_contiguous());
        let b = Layout::contiguous(&[3]).broadcast_to("t", &[2, 3]).unwrap();
        assert_eq!(b.offsets().collect::<Vec<_>>(), vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn negative_axes() {
        assert_eq!(normalize_axis("sum", -1, 3).unwrap(), 2);
        assert!(normalize_axis("sum", 3, 3).is_err());
    }
}
