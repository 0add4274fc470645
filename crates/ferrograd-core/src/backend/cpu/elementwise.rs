//! Unary, binary and copy kernels over strided layouts.

use super::math;
use super::strided::Rows;
use crate::backend::{BinaryOp, UnaryOp};
use crate::shape::{contiguous_strides, Layout};

#[inline(always)]
fn map_row(src: &[f32], dst: &mut [f32], f: impl Fn(f32) -> f32) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = f(s);
    }
}

/// Applies `f` elementwise; the output is contiguous. Generic over `f` so each op gets its own
/// monomorphised (vectorisable) loop.
fn map(data: &[f32], l: &Layout, f: impl Fn(f32) -> f32 + Copy) -> Vec<f32> {
    let n = l.numel();
    if let Some(r) = l.contiguous_range() {
        let mut out = super::alloc::zeroed(n);
        map_row(&data[r], &mut out, f);
        return out;
    }
    let out_strides = contiguous_strides(&l.shape);
    let rows = Rows::new(&l.shape, [&l.strides, &out_strides]);
    let (len, [s, _]) = (rows.inner_len(), rows.inner_strides());
    let mut out = super::alloc::zeroed(n);
    rows.for_each([l.offset, 0], |[i, o]| {
        let dst = &mut out[o..o + len];
        if s == 1 {
            map_row(&data[i..i + len], dst, f);
        } else {
            for (j, d) in dst.iter_mut().enumerate() {
                *d = f(data[i + j * s]);
            }
        }
    });
    out
}

pub fn unary(data: &[f32], l: &Layout, op: UnaryOp) -> Vec<f32> {
    use UnaryOp::*;
    match op {
        Neg => map(data, l, |x| -x),
        Exp => map(data, l, math::exp),
        Log => map(data, l, f32::ln),
        Sqrt => map(data, l, f32::sqrt),
        Abs => map(data, l, f32::abs),
        Recip => map(data, l, |x| 1.0 / x),
        Relu => map(data, l, |x| if x > 0.0 { x } else { 0.0 }),
        Sigmoid => map(data, l, math::sigmoid),
        Tanh => map(data, l, math::tanh),
        Step => map(data, l, |x| if x > 0.0 { 1.0 } else { 0.0 }),
        Sign => map(data, l, |x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }),
        Affine { mul, add } => map(data, l, move |x| x * mul + add),
        PowScalar(p) => {
            if p == 2.0 {
                map(data, l, |x| x * x)
            } else {
                map(data, l, move |x| x.powf(p))
            }
        }
        MaxScalar(v) => map(data, l, move |x| if x.is_nan() { x } else { x.max(v) }),
        MinScalar(v) => map(data, l, move |x| if x.is_nan() { x } else { x.min(v) }),
        GtScalar(v) => map(data, l, move |x| (x > v) as u8 as f32),
        LtScalar(v) => map(data, l, move |x| (x < v) as u8 as f32),
        EqScalar(v) => map(data, l, move |x| (x == v) as u8 as f32),
    }
}

fn zip(a: &[f32], al: &Layout, b: &[f32], bl: &Layout, f: impl Fn(f32, f32) -> f32 + Copy) -> Vec<f32> {
    let n = al.numel();
    let mut out = super::alloc::zeroed(n);
    if let (Some(ra), Some(rb)) = (al.contiguous_range(), bl.contiguous_range()) {
        for ((o, &x), &y) in out.iter_mut().zip(&a[ra]).zip(&b[rb]) {
            *o = f(x, y);
        }
        return out;
    }
    let out_strides = contiguous_strides(&al.shape);
    let rows = Rows::new(&al.shape, [&al.strides, &bl.strides, &out_strides]);
    let (len, [sa, sb, _]) = (rows.inner_len(), rows.inner_strides());
    rows.for_each([al.offset, bl.offset, 0], |[i, j, o]| {
        let dst = &mut out[o..o + len];
        match (sa, sb) {
            (1, 1) => {
                for ((d, &x), &y) in dst.iter_mut().zip(&a[i..i + len]).zip(&b[j..j + len]) {
                    *d = f(x, y);
                }
            }
            (1, 0) => {
                let y = b[j];
                for (d, &x) in dst.iter_mut().zip(&a[i..i + len]) {
                    *d = f(x, y);
                }
            }
            (0, 1) => {
                let x = a[i];
                for (d, &y) in dst.iter_mut().zip(&b[j..j + len]) {
                    *d = f(x, y);
                }
            }
            _ => {
                for (k, d) in dst.iter_mut().enumerate() {
                    *d = f(a[i + k * sa], b[j + k * sb]);
                }
            }
        }
    });
    out
}

pub fn binary(a: &[f32], al: &Layout, b: &[f32], bl: &Layout, op: BinaryOp) -> Vec<f32> {
    use BinaryOp::*;
    match op {
        Add => zip(a, al, b, bl, |x, y| x + y),
        Sub => zip(a, al, b, bl, |x, y| x - y),
        Mul => zip(a, al, b, bl, |x, y| x * y),
        Div => zip(a, al, b, bl, |x, y| x / y),
        Pow => zip(a, al, b, bl, f32::powf),
        // NaN-propagating, like torch.maximum / torch.minimum.
        Maximum => zip(a, al, b, bl, |x, y| if x.is_nan() || y.is_nan() { f32::NAN } else { x.max(y) }),
        Minimum => zip(a, al, b, bl, |x, y| if x.is_nan() || y.is_nan() { f32::NAN } else { x.min(y) }),
        Gt => zip(a, al, b, bl, |x, y| (x > y) as u8 as f32),
        Lt => zip(a, al, b, bl, |x, y| (x < y) as u8 as f32),
        Ge => zip(a, al, b, bl, |x, y| (x >= y) as u8 as f32),
        Le => zip(a, al, b, bl, |x, y| (x <= y) as u8 as f32),
        Eq => zip(a, al, b, bl, |x, y| (x == y) as u8 as f32),
    }
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
    map(src, l, |x| x)
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
    fn transposed_copy() {
        let a: Vec<f32> = (0..6).map(|x| x as f32).collect();
        let l = Layout::contiguous(&[2, 3]).permute("t", &[1, 0]).unwrap();
        assert_eq!(contiguous(&a, &l), vec![0., 3., 1., 4., 2., 5.]);
    }
}
