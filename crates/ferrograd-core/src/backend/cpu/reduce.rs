//! Reductions over any set of axes. The (contiguous) input is viewed as alternating runs of kept
//! and reduced dimensions, so e.g. batch-norm's sum over (N, H, W) of NCHW is `[R, K, R]` and
//! every innermost loop is a contiguous slice.

use crate::backend::ReduceOp;

#[derive(Clone, Copy)]
struct Run {
    size: usize,
    reduced: bool,
}

fn runs(shape: &[usize], dims: &[usize]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for (d, &size) in shape.iter().enumerate() {
        if size == 1 {
            continue;
        }
        let reduced = dims.contains(&d);
        match out.last_mut() {
            Some(r) if r.reduced == reduced => r.size *= size,
            _ => out.push(Run { size, reduced }),
        }
    }
    if out.is_empty() {
        out.push(Run { size: 1, reduced: false });
    }
    out
}

/// Sum of a contiguous slice with 8 independent accumulators: vectorisable, and a shorter
/// dependency chain means less rounding error than one running sum.
#[inline]
fn sum_slice(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = x.chunks_exact(8);
    let rem = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &v in rem {
        s += v;
    }
    s
}

#[inline]
fn max_slice(x: &[f32]) -> f32 {
    x.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m || v.is_nan() { v } else { m })
}

#[inline]
fn min_slice(x: &[f32]) -> f32 {
    x.iter().fold(f32::INFINITY, |m, &v| if v < m || v.is_nan() { v } else { m })
}

/// Reduces contiguous `data` of `shape` over `dims` (keepdim layout, contiguous output).
///
/// Each output element combines its input elements in row-major order, whatever the split:
/// tasks own disjoint ranges of the outermost kept dimension.
pub fn reduce(data: &[f32], shape: &[usize], dims: &[usize], op: ReduceOp) -> Vec<f32> {
    if op == ReduceOp::ArgMax {
        return argmax(data, shape, dims);
    }
    let runs = runs(shape, dims);
    let out_len: usize = runs.iter().filter(|r| !r.reduced).map(|r| r.size).product();
    let init = match op {
        ReduceOp::Sum => 0.0,
        ReduceOp::Max => f32::NEG_INFINITY,
        _ => f32::INFINITY,
    };
    let mut out = super::alloc::filled(out_len, init);
    if data.is_empty() {
        return out;
    }
    // [K, rest]: each kept index owns a contiguous input and output block.
    // [R, K, rest]: each kept index of the second run gathers blocks from every reduced index.
    let (reduced_outer, kept) = match runs.as_slice() {
        [k, ..] if !k.reduced && runs.len() > 1 => (1, k.size),
        [r, k, ..] if r.reduced => (r.size, k.size),
        _ => {
            accumulate(data, &runs, &mut out, op);
            return out;
        }
    };
    let rest = &runs[if runs[0].reduced { 2 } else { 1 }..];
    let in_blk = data.len() / (reduced_outer * kept);
    let out_blk = out_len / kept;
    let per_task = (super::parallel::MIN_PARALLEL_WORK / 4 / (in_blk * reduced_outer).max(1)).max(1);
    super::parallel::for_each_chunk_mut(&mut out, per_task * out_blk, data.len(), |t, o| {
        let k0 = t * per_task;
        for r in 0..reduced_outer {
            for (j, ob) in o.chunks_exact_mut(out_blk).enumerate() {
                let x = &data[(r * kept + k0 + j) * in_blk..][..in_blk];
                accumulate(x, rest, ob, op);
            }
        }
    });
    out
}

fn combine(op: ReduceOp, a: f32, b: f32) -> f32 {
    match op {
        ReduceOp::Sum => a + b,
        ReduceOp::Max => {
            if b > a || b.is_nan() {
                b
            } else {
                a
            }
        }
        _ => {
            if b < a || b.is_nan() {
                b
            } else {
                a
            }
        }
    }
}

/// Combines contiguous `data`, viewed as `runs`, into `out` (one element per kept index),
/// innermost row by row in row-major order. No runs: `data` is one element.
fn accumulate(data: &[f32], runs: &[Run], out: &mut [f32], op: ReduceOp) {
    let Some(&last) = runs.last() else {
        out[0] = combine(op, out[0], data[0]);
        return;
    };
    let outer = &runs[..runs.len() - 1];
    // output stride of each outer run (0 for reduced runs)
    let mut out_strides = vec![0usize; outer.len()];
    let mut acc = if last.reduced { 1 } else { last.size };
    for (i, r) in outer.iter().enumerate().rev() {
        if !r.reduced {
            out_strides[i] = acc;
            acc *= r.size;
        }
    }
    let total: usize = outer.iter().map(|r| r.size).product();
    let mut idx = vec![0usize; outer.len()];
    let mut o = 0usize;
    let len = last.size;
    for row in 0..total {
        let x = &data[row * len..(row + 1) * len];
        if last.reduced {
            let v = match op {
                ReduceOp::Sum => sum_slice(x),
                ReduceOp::Max => max_slice(x),
                _ => min_slice(x),
            };
            out[o] = combine(op, out[o], v);
        } else {
            for (d, &v) in out[o..o + len].iter_mut().zip(x) {
                *d = combine(op, *d, v);
            }
        }
        let mut d = outer.len();
        while d > 0 {
            d -= 1;
            idx[d] += 1;
            o += out_strides[d];
            if idx[d] < outer[d].size {
                break;
            }
            o -= out_strides[d] * outer[d].size;
            idx[d] = 0;
        }
    }
}

/// Index of the first maximum along the single dim in `dims` (or over everything when all
/// dims are listed), like `torch.argmax`.
fn argmax(data: &[f32], shape: &[usize], dims: &[usize]) -> Vec<f32> {
    let (outer, n, inner) = if dims.len() == 1 {
        let d = dims[0];
        (shape[..d].iter().product::<usize>(), shape[d], shape[d + 1..].iter().product::<usize>())
    } else {
        (1, data.len(), 1)
    };
    let mut out = super::alloc::zeroed(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let mut best = f32::NEG_INFINITY;
            let mut arg = 0usize;
            for k in 0..n {
                let v = data[(o * n + k) * inner + i];
                if v > best || (v.is_nan() && !best.is_nan()) {
                    best = v;
                    arg = k;
                }
            }
            out[o * inner + i] = arg as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_over_axis_sets() {
        let x: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let s = [2, 3, 4];
        assert_eq!(reduce(&x, &s, &[0, 1, 2], ReduceOp::Sum), vec![276.0]);
        assert_eq!(reduce(&x, &s, &[2], ReduceOp::Sum), vec![6., 22., 38., 54., 70., 86.]);
        assert_eq!(reduce(&x, &s, &[0, 2], ReduceOp::Sum), vec![60., 92., 124.]);
        assert_eq!(reduce(&x, &s, &[1], ReduceOp::Max), vec![8., 9., 10., 11., 20., 21., 22., 23.]);
        assert_eq!(reduce(&x, &s, &[1], ReduceOp::ArgMax), vec![2.0; 8]);
    }

    #[test]
    fn split_reductions_match_the_serial_order() {
        // Big enough for several tasks; sums in f32 depend on the order, so a different
        // per-element order would show in the bits.
        let x: Vec<f32> = (0..4 * 37 * 29 * 3).map(|v| ((v * 7919 % 1013) as f32 - 500.0) * 1e-3).collect();
        let s = [4, 37, 29, 3];
        for dims in [vec![0, 2, 3], vec![0], vec![1], vec![3], vec![0, 2], vec![1, 3], vec![0, 1, 2, 3]] {
            for op in [ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min] {
                let mut want = vec![0.0; 0];
                let runs = runs(&s, &dims);
                let out_len: usize = runs.iter().filter(|r| !r.reduced).map(|r| r.size).product();
                let init = match op {
                    ReduceOp::Sum => 0.0,
                    ReduceOp::Max => f32::NEG_INFINITY,
                    _ => f32::INFINITY,
                };
                want.resize(out_len, init);
                accumulate(&x, &runs, &mut want, op);
                for threads in [1, 2, 4] {
                    let got = crate::backend::cpu::parallel::with_threads(threads, || reduce(&x, &s, &dims, op));
                    assert!(
                        got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
                        "{dims:?} {op:?} {threads}"
                    );
                }
            }
        }
    }
}
