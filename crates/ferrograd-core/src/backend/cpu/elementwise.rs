//! Unary, binary and copy kernels over strided layouts. Contiguous rows of the common ops run
//! four lanes at a time through [`F32x4`]; the vector and scalar forms of each op perform the
//! same IEEE operations, so the split into vector body and scalar tail never shows in results.

use super::parallel::{for_each_chunk_mut, SendPtr};
use super::simd::F32x4;
use super::strided::Rows;
use crate::backend::optable::{BinaryMap, UnaryMap};
use crate::backend::{BinaryOp, UnaryOp};
use crate::shape::{contiguous_strides, Layout};

/// Elements per task of a contiguous elementwise op (a multiple of the vector step).
const TASK: usize = 1 << 15;

#[inline(always)]
fn map_row(src: &[f32], dst: &mut [f32], f: impl Fn(f32) -> f32, fv: impl Fn(F32x4) -> F32x4) {
    let n = dst.len().min(src.len());
    let (src, dst) = (&src[..n], &mut dst[..n]);
    let mut i = 0;
    {
        let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
        // SAFETY: every access is below `i + 16 <= n` (or `i + 4 <= n`), and both slices hold
        // n floats. Raw pointers keep per-vector bounds checks out of the loop, which V8 would
        // otherwise keep as compares and spills.
        unsafe {
            // Four independent vectors per step: the transcendental ops are long dependency
            // chains, and V8 does not reorder instructions to overlap them.
            while i + 16 <= n {
                let v: [F32x4; 4] = std::array::from_fn(|k| fv(F32x4::load(s.add(i + 4 * k))));
                for (k, v) in v.iter().enumerate() {
                    v.store(d.add(i + 4 * k));
                }
                i += 16;
            }
            while i + 4 <= n {
                fv(F32x4::load(s.add(i))).store(d.add(i));
                i += 4;
            }
        }
    }
    for (d, &s) in dst[i..].iter_mut().zip(&src[i..]) {
        *d = f(s);
    }
}

/// Applies `f` (or its vector form `fv`) elementwise; the output is contiguous. Generic over
/// the op so each gets its own monomorphised loop.
fn map(
    data: &[f32],
    l: &Layout,
    f: impl Fn(f32) -> f32 + Copy + Sync,
    fv: impl Fn(F32x4) -> F32x4 + Copy + Sync,
) -> Vec<f32> {
    let n = l.numel();
    // Every element is written below.
    let mut out = super::alloc::scratch(n);
    if let Some(r) = l.contiguous_range() {
        let src = &data[r];
        for_each_chunk_mut(&mut out, TASK, n, |t, o| map_row(&src[t * TASK..], o, f, fv));
        return out;
    }
    let out_strides = contiguous_strides(&l.shape);
    let rows = Rows::new(&l.shape, [&l.strides, &out_strides]);
    let (len, [s, _]) = (rows.inner_len(), rows.inner_strides());
    for_each_row(&rows, [l.offset, 0], &mut out, |[i, _], dst| {
        if s == 1 {
            map_row(&data[i..i + len], dst, f, fv);
        } else {
            for (j, d) in dst.iter_mut().enumerate() {
                *d = f(data[i + j * s]);
            }
        }
    });
    out
}

/// Calls `f(offsets, out_row)` for every row of `rows`, whose last layout is the contiguous
/// output `out`. Large tensors split on the outermost dimension: each task owns a contiguous
/// block of the output, and every row is computed the same way wherever it runs.
fn for_each_row<const K: usize>(
    rows: &Rows<K>,
    base: [usize; K],
    out: &mut [f32],
    f: impl Fn([usize; K], &mut [f32]) + Sync,
) {
    let len = rows.inner_len();
    let split = rows.split_first().filter(|_| out.len() >= 2 * TASK);
    let Some((outer, strides, inner)) = split else {
        rows.for_each(base, |off| f(off, &mut out[off[K - 1]..][..len]));
        return;
    };
    let block = out.len() / outer;
    let per_task = TASK.div_ceil(block);
    let total = out.len();
    let op = SendPtr(out.as_mut_ptr());
    super::parallel::for_each_task(outer.div_ceil(per_task), total, |t| {
        for i in t * per_task..((t + 1) * per_task).min(outer) {
            let b: [usize; K] = std::array::from_fn(|k| base[k] + i * strides[k]);
            inner.for_each(b, |off| {
                // SAFETY: rows of outer index i lie in the output block [i·block, (i+1)·block),
                // which only this task writes; `out` is borrowed mutably for the whole call.
                let row = unsafe { std::slice::from_raw_parts_mut(op.get().add(off[K - 1]), len) };
                f(off, row);
            });
        }
    });
}

/// The unary loop, run with an op's math from the table (`optable.rs`).
struct UnaryLoop<'a>(&'a [f32], &'a Layout);

impl UnaryMap for UnaryLoop<'_> {
    type Out = Vec<f32>;
    fn run(self, f: impl Fn(f32) -> f32 + Copy + Sync, v: impl Fn(F32x4) -> F32x4 + Copy + Sync) -> Vec<f32> {
        map(self.0, self.1, f, v)
    }
}

pub fn unary(data: &[f32], l: &Layout, op: UnaryOp) -> Vec<f32> {
    op.cpu(UnaryLoop(data, l))
}

/// The unary loop over a buffer it overwrites (a fused epilogue on a kernel's fresh output).
struct UnaryInPlace<'a>(&'a mut [f32]);

impl UnaryMap for UnaryInPlace<'_> {
    type Out = ();
    fn run(self, f: impl Fn(f32) -> f32 + Copy + Sync, fv: impl Fn(F32x4) -> F32x4 + Copy + Sync) {
        let n = self.0.len();
        for_each_chunk_mut(self.0, TASK, n, |_, o| {
            let len = o.len();
            let mut i = 0;
            let d = o.as_mut_ptr();
            // SAFETY: every access is below `i + 4 <= len`, within the task's chunk.
            unsafe {
                while i + 4 <= len {
                    fv(F32x4::load(d.add(i))).store(d.add(i));
                    i += 4;
                }
            }
            for v in &mut o[i..] {
                *v = f(*v);
            }
        });
    }
}

/// `data[i] = op(data[i])`: the same math as [`unary`], so the values are bit for bit its.
pub fn unary_in_place(data: &mut [f32], op: UnaryOp) {
    op.cpu(UnaryInPlace(data))
}

/// `dst[i] = f(a[i], b[i])` with `a`/`b` stepping by 0 or 1 (`STEP_A`, `STEP_B`).
#[inline(always)]
fn zip_row<const STEP_A: usize, const STEP_B: usize>(
    a: &[f32],
    b: &[f32],
    dst: &mut [f32],
    f: impl Fn(f32, f32) -> f32,
    fv: impl Fn(F32x4, F32x4) -> F32x4,
) {
    let n = dst.len();
    if n == 0 {
        return;
    }
    assert!(a.len() > (n - 1) * STEP_A && b.len() > (n - 1) * STEP_B);
    let mut i = 0;
    {
        let (pa, pb, d) = (a.as_ptr(), b.as_ptr(), dst.as_mut_ptr());
        // A stride-0 operand is one value for the whole row.
        let (sa, sb) = (F32x4::splat(a[0]), F32x4::splat(b[0]));
        // SAFETY: vector accesses stay below `i + 8 <= n` (or `i + 4 <= n`) on operands that
        // step by 1, which hold at least n floats (asserted above); stride-0 operands are not
        // read in the loop.
        unsafe {
            let va = |i: usize| if STEP_A == 0 { sa } else { F32x4::load(pa.add(i)) };
            let vb = |i: usize| if STEP_B == 0 { sb } else { F32x4::load(pb.add(i)) };
            while i + 8 <= n {
                let (x, y) = (fv(va(i), vb(i)), fv(va(i + 4), vb(i + 4)));
                x.store(d.add(i));
                y.store(d.add(i + 4));
                i += 8;
            }
            while i + 4 <= n {
                fv(va(i), vb(i)).store(d.add(i));
                i += 4;
            }
        }
    }
    for (k, d) in dst.iter_mut().enumerate().skip(i) {
        *d = f(a[k * STEP_A], b[k * STEP_B]);
    }
}

fn zip(
    a: &[f32],
    al: &Layout,
    b: &[f32],
    bl: &Layout,
    f: impl Fn(f32, f32) -> f32 + Copy + Sync,
    fv: impl Fn(F32x4, F32x4) -> F32x4 + Copy + Sync,
) -> Vec<f32> {
    let n = al.numel();
    // Every element is written below.
    let mut out = super::alloc::scratch(n);
    if n == 0 {
        return out;
    }
    if let (Some(ra), Some(rb)) = (al.contiguous_range(), bl.contiguous_range()) {
        let (a, b) = (&a[ra], &b[rb]);
        for_each_chunk_mut(&mut out, TASK, n, |t, o| zip_row::<1, 1>(&a[t * TASK..], &b[t * TASK..], o, f, fv));
        return out;
    }
    let out_strides = contiguous_strides(&al.shape);
    let rows = Rows::new(&al.shape, [&al.strides, &bl.strides, &out_strides]);
    let (len, [sa, sb, _]) = (rows.inner_len(), rows.inner_strides());
    for_each_row(&rows, [al.offset, bl.offset, 0], &mut out, |[i, j, _], dst| match (sa, sb) {
        (1, 1) => zip_row::<1, 1>(&a[i..i + len], &b[j..j + len], dst, f, fv),
        (1, 0) => zip_row::<1, 0>(&a[i..i + len], &b[j..j + 1], dst, f, fv),
        (0, 1) => zip_row::<0, 1>(&a[i..i + 1], &b[j..j + len], dst, f, fv),
        _ => {
            for (k, d) in dst.iter_mut().enumerate() {
                *d = f(a[i + k * sa], b[j + k * sb]);
            }
        }
    });
    out
}

/// The binary loop, run with an op's math from the table (`optable.rs`).
struct BinaryLoop<'a>(&'a [f32], &'a Layout, &'a [f32], &'a Layout);

impl BinaryMap for BinaryLoop<'_> {
    type Out = Vec<f32>;
    fn run(
        self,
        f: impl Fn(f32, f32) -> f32 + Copy + Sync,
        v: impl Fn(F32x4, F32x4) -> F32x4 + Copy + Sync,
    ) -> Vec<f32> {
        zip(self.0, self.1, self.2, self.3, f, v)
    }
}

pub fn binary(a: &[f32], al: &Layout, b: &[f32], bl: &Layout, op: BinaryOp) -> Vec<f32> {
    op.cpu(BinaryLoop(a, al, b, bl))
}

/// `dst[dl] = src[sl]`; both layouts have the same shape.
pub fn copy_into(dst: &mut [f32], dl: &Layout, src: &[f32], sl: &Layout) {
    if let (Some(rd), Some(rs)) = (dl.contiguous_range(), sl.contiguous_range()) {
        dst[rd].copy_from_slice(&src[rs]);
        return;
    }
    let rows = Rows::new(&dl.shape, [&dl.strides, &sl.strides]);
    let (len, [sd, ss]) = (rows.inner_len(), rows.inner_strides());
    rows.for_each([dl.offset, sl.offset], |[d, s]| {
        if sd == 1 && ss == 1 {
            dst[d..d + len].copy_from_slice(&src[s..s + len]);
        } else {
            for k in 0..len {
                dst[d + k * sd] = src[s + k * ss];
            }
        }
    });
}

pub fn contiguous(src: &[f32], l: &Layout) -> Vec<f32> {
    if let Some(r) = l.contiguous_range() {
        return super::alloc::copied(&src[r]);
    }
    map(src, l, |x| x, |x| x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_add_over_channels() {
        // [2,3,2] + [1,3,1]
        let a: Vec<f32> = (0..12).map(|x| x as f32).collect();
        let b = [100.0, 200.0, 300.0];
        let al = Layout::contiguous(&[2, 3, 2]);
        let bl = Layout::contiguous(&[1, 3, 1]).broadcast_to("t", &[2, 3, 2]).unwrap();
        let out = binary(&a, &al, &b, &bl, BinaryOp::Add);
        assert_eq!(out, vec![100., 101., 202., 203., 304., 305., 106., 107., 208., 209., 310., 311.]);
    }

    #[test]
    fn vector_body_and_scalar_tail_agree() {
        // The same values at a vector position and in the scalar tail must map identically.
        let vals = [-3.5f32, -0.0, 0.7, f32::NAN, 12.0, -90.0, 0.01];
        for &v in &vals {
            let data = [v, 1.0, 2.0, 3.0, v];
            let l = Layout::contiguous(&[5]);
            // every row of the op table, with parameters that exercise both branches
            let ops = (0..UnaryOp::VARIANTS.len() as u32).filter_map(|c| UnaryOp::from_code(c, [0.5, 0.25]));
            for op in ops.chain([UnaryOp::PowScalar(2.0), UnaryOp::MinScalar(-0.0), UnaryOp::Affine(-1.5, 0.25)]) {
                let out = unary(&data, &l, op);
                assert_eq!(out[0].to_bits(), out[4].to_bits(), "{op:?}({v}): {} vs {}", out[0], out[4]);
            }
        }
        // PyTorch's relu: NaN stays NaN, -0.0 stays -0.0 (in the vector body and the tail).
        for n in [5, 9] {
            let x: Vec<f32> = [-1.0, 0.0, 2.0, f32::NAN, -0.0, -3.0, f32::NAN, -0.0, 7.0][..n].to_vec();
            let y: Vec<u32> = unary(&x, &Layout::contiguous(&[n]), UnaryOp::Relu).iter().map(|v| v.to_bits()).collect();
            let want: Vec<u32> = x.iter().map(|&v| if v < 0.0 { 0.0f32.to_bits() } else { v.to_bits() }).collect();
            assert_eq!(y, want);
            assert!(f32::from_bits(y[3]).is_nan() && y[4] == (-0.0f32).to_bits());
        }
    }

    #[test]
    fn binary_vector_body_and_scalar_tail_agree() {
        let vals = [-3.5f32, -0.0, 0.0, 0.7, f32::NAN, 12.0, 1.0, 2.0];
        for &x in &vals {
            for &y in &vals {
                let a = [x, 1.0, 2.0, 3.0, x];
                let b = [y, 0.5, -1.0, 4.0, y];
                let l = Layout::contiguous(&[5]);
                for op in (0..BinaryOp::VARIANTS.len() as u32).filter_map(|c| BinaryOp::from_code(c, [0.0; 2])) {
                    let out = binary(&a, &l, &b, &l, op);
                    assert_eq!(out[0].to_bits(), out[4].to_bits(), "{op:?}({x}, {y}): {} vs {}", out[0], out[4]);
                }
            }
        }
    }

    #[test]
    fn broadcast_rows_of_every_length() {
        for len in [1usize, 3, 4, 5, 9, 16] {
            let a: Vec<f32> = (0..2 * 3 * len).map(|x| x as f32 * 0.5 - 3.0).collect();
            let b = [2.0f32, -1.0, 0.5];
            let al = Layout::contiguous(&[2, 3, len]);
            let bl = Layout::contiguous(&[1, 3, 1]).broadcast_to("t", &[2, 3, len]).unwrap();
            let at = |i: usize| a[i];
            let bt = |i: usize| b[i / len % 3];
            for (op, f) in [(BinaryOp::Sub, (|x, y| x - y) as fn(f32, f32) -> f32), (BinaryOp::Div, |x, y| x / y)] {
                let ab = binary(&a, &al, &b, &bl, op);
                let ba = binary(&b, &bl, &a, &al, op);
                for i in 0..a.len() {
                    assert_eq!(ab[i], f(at(i), bt(i)), "{op:?} len {len} at {i}");
                    assert_eq!(ba[i], f(bt(i), at(i)), "{op:?} len {len} at {i}");
                }
            }
        }
    }

    #[test]
    fn transposed_copy() {
        let a: Vec<f32> = (0..6).map(|x| x as f32).collect();
        let l = Layout::contiguous(&[2, 3]).permute("t", &[1, 0]).unwrap();
        assert_eq!(contiguous(&a, &l), vec![0., 3., 1., 4., 2., 5.]);
    }
}
