//! Reductions over any set of axes. The (contiguous) input is viewed as alternating runs of kept
//! and reduced dimensions, so e.g. batch-norm's sum over (N, H, W) of NCHW is `[R, K, R]` and
//! every innermost loop is a contiguous slice. Sums use the blocked pairwise order of
//! `cascade.rs`, within a run and across the rows of outer reduced runs.

use super::cascade::{pairwise_sum, slots, Combine, Max, Min, RowTree, Sum, Tree, ROW_BLOCK};
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

/// Input elements per task (about): each task owns whole output elements or column tiles.
const TASK_WORK: usize = super::parallel::MIN_PARALLEL_WORK / 4;
/// Output columns one row tree handles at a time when the last run is kept.
const COLS: usize = 256;

/// The iteration of a reduction: every output element combines `rows` rows (one per index of
/// the outer reduced runs, row-major) of the last run, `len` long, as leaves of a cascade tree
/// (`cascade.rs`). A reduced last run makes each row one value (its cascade sum), a kept one
/// gives one value per column. This is the order of every output element, whatever the split.
pub(crate) struct Plan {
    /// Outer reduced runs: (size, stride in rows).
    red: Vec<(usize, usize)>,
    /// Outer kept runs: (size, stride in rows).
    kept: Vec<(usize, usize)>,
    len: usize,
    last_reduced: bool,
    rows: usize,
    /// Product of the outer kept sizes.
    outer: usize,
}

impl Plan {
    pub(crate) fn new(shape: &[usize], dims: &[usize]) -> Plan {
        let runs = runs(shape, dims);
        let (last, outer_runs) = runs.split_last().expect("runs() returns at least one run");
        let (mut red, mut kept) = (Vec::new(), Vec::new());
        let mut stride = 1;
        for r in outer_runs.iter().rev() {
            let to = if r.reduced { &mut red } else { &mut kept };
            to.push((r.size, stride));
            stride *= r.size;
        }
        red.reverse();
        kept.reverse();
        let rows = red.iter().map(|r| r.0).product();
        let outer = kept.iter().map(|r| r.0).product();
        Plan { red, kept, len: last.size, last_reduced: last.reduced, rows, outer }
    }

    pub(crate) fn out_len(&self) -> usize {
        if self.last_reduced {
            self.outer
        } else {
            self.outer * self.len
        }
    }

    /// Rows per leaf of the tree over rows.
    fn group(&self) -> usize {
        if self.last_reduced {
            1
        } else {
            ROW_BLOCK
        }
    }

    /// First row of the `k`-th outer kept index.
    fn kept_base(&self, mut k: usize) -> usize {
        let mut base = 0;
        for &(size, stride) in self.kept.iter().rev() {
            base += k % size * stride;
            k /= size;
        }
        base
    }

    /// Calls `f(row)` for the rows of one output, from `base`, in row-major order.
    #[inline(always)]
    fn for_each_row(&self, base: usize, mut f: impl FnMut(usize)) {
        let Some((&(n, s), outer)) = self.red.split_last() else {
            f(base);
            return;
        };
        let mut idx = vec![0usize; outer.len()];
        let mut b = base;
        loop {
            for r in 0..n {
                f(b + r * s);
            }
            let mut d = outer.len();
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                idx[d] += 1;
                b += outer[d].1;
                if idx[d] < outer[d].0 {
                    break;
                }
                b -= outer[d].1 * outer[d].0;
                idx[d] = 0;
            }
        }
    }

    /// Output element `o` of the sum of `f(i)` over the input elements `i` (contiguous
    /// indices), in the order of [`reduce`]: the fused kernels sum computed values with it.
    pub(crate) fn sum_at(&self, o: usize, f: impl Fn(usize) -> f32) -> f32 {
        let (k, col) = if self.last_reduced { (o, 0) } else { (o / self.len, o % self.len) };
        let mut t = Tree::<Sum>::new(self.group());
        let len = self.len;
        self.for_each_row(self.kept_base(k), |r| {
            let at = r * len;
            t.add(if self.last_reduced { pairwise_sum(len, |i| f(at + i)) } else { f(at + col) });
        });
        t.finish()
    }
}

/// Reduces contiguous `data` of `shape` over `dims` (keepdim layout, contiguous output).
///
/// Each output element combines its input in the order [`Plan`] describes, whatever the split:
/// tasks own disjoint output elements (or column tiles of them).
pub fn reduce(data: &[f32], shape: &[usize], dims: &[usize], op: ReduceOp) -> Vec<f32> {
    match op {
        ReduceOp::ArgMax => argmax(data, shape, dims),
        ReduceOp::Sum => reduce_with::<Sum>(data, shape, dims),
        ReduceOp::Max => reduce_with::<Max>(data, shape, dims),
        ReduceOp::Min => reduce_with::<Min>(data, shape, dims),
    }
}

fn reduce_with<C: Combine>(data: &[f32], shape: &[usize], dims: &[usize]) -> Vec<f32> {
    let plan = Plan::new(shape, dims);
    let mut out = super::alloc::filled(plan.out_len(), C::INIT);
    if data.is_empty() {
        return out;
    }
    let (len, rows) = (plan.len, plan.rows);
    if plan.last_reduced {
        // one tree per output over its rows' cascade sums
        let per_task = (TASK_WORK / (rows * len)).max(1);
        let plan = &plan;
        super::parallel::for_each_chunk_mut(&mut out, per_task, data.len(), |t, o| {
            for (j, o) in o.iter_mut().enumerate() {
                let mut tree = Tree::<C>::new(1);
                plan.for_each_row(plan.kept_base(t * per_task + j), |r| tree.add(C::slice(&data[r * len..][..len])));
                *o = tree.finish();
            }
        });
        return out;
    }
    // Kept last run: row trees over column tiles. A task owns `per` whole outer indices, or
    // one outer index's columns `cols` at a time.
    let (per, cols) = if rows * len >= TASK_WORK {
        (1, (TASK_WORK / rows).max(1).next_multiple_of(COLS).min(len))
    } else {
        ((TASK_WORK / (rows * len)).max(1), len)
    };
    let chunks = len.div_ceil(cols);
    let tasks = plan.outer.div_ceil(per) * chunks;
    let (group, width) = (plan.group(), COLS.min(len));
    let slots = slots(rows, group);
    let (plan, base_ptr, out_len) = (&plan, super::parallel::SendPtr(out.as_mut_ptr()), out.len());
    super::parallel::for_each_task(tasks, data.len(), |t| {
        let (k0, c0) = (t / chunks * per, t % chunks * cols);
        let (k1, c1) = ((k0 + per).min(plan.outer), (c0 + cols).min(len));
        let (start, end) = (k0 * len + c0, (k1 - 1) * len + c1);
        debug_assert!(end <= out_len);
        // SAFETY: task t owns outputs [start, end): outer indices k0..k1 with every column when
        // per > 1 (then c0 = 0, c1 = len), or one outer index's columns c0..c1; the tasks'
        // ranges are disjoint, and `out` is exclusively borrowed for the whole region.
        let o = unsafe { std::slice::from_raw_parts_mut(base_ptr.get().add(start), end - start) };
        let mut buf = super::alloc::scratch(slots * width);
        for k in k0..k1 {
            let base = plan.kept_base(k);
            for c in (c0..c1).step_by(width) {
                let w = width.min(c1 - c);
                let mut tree = RowTree::<C>::new(&mut buf, width, w, group);
                plan.for_each_row(base, |r| tree.add_row(&data[r * len + c..][..w]));
                tree.finish(&mut o[k * len + c - start..][..w]);
            }
        }
        super::alloc::recycle(buf);
    });
    out
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

    /// Max or min by the plain rule, any order (NaN wins).
    fn naive(x: &[f32], shape: &[usize], dims: &[usize], op: ReduceOp) -> Vec<f32> {
        let out_shape: Vec<usize> =
            shape.iter().enumerate().map(|(d, &n)| if dims.contains(&d) { 1 } else { n }).collect();
        let (mut out, pick): (Vec<f32>, fn(f32, f32) -> f32) = match op {
            ReduceOp::Max => (vec![f32::NEG_INFINITY; out_shape.iter().product()], Max::add),
            ReduceOp::Min => (vec![f32::INFINITY; out_shape.iter().product()], Min::add),
            ReduceOp::Sum | ReduceOp::ArgMax => unreachable!("naive covers max and min"),
        };
        for (i, &v) in x.iter().enumerate() {
            let (mut rem, mut o, mut stride) = (i, 0, 1);
            for d in (0..shape.len()).rev() {
                let idx = rem % shape[d];
                rem /= shape[d];
                o += if dims.contains(&d) { 0 } else { idx * stride };
                stride *= out_shape[d];
            }
            out[o] = pick(out[o], v);
        }
        out
    }

    #[test]
    fn split_reductions_match_the_canonical_order() {
        // Big enough for several tasks; sums in f32 depend on the order, so a different
        // per-element order would show in the bits. `Plan::sum_at` is the order, element by
        // element with scalar code; the kernel's trees over rows and tiles must equal it.
        let shapes: [&[usize]; 4] = [&[4, 37, 29, 3], &[3000, 5, 2], &[2, 300, 600], &[70, 3, 50, 7, 2]];
        for s in shapes {
            let n: usize = s.iter().product();
            let mut x: Vec<f32> = (0..n).map(|v| ((v * 7919 % 1013) as f32 - 500.0) * 1e-3).collect();
            let rank = s.len();
            let all_dims: Vec<Vec<usize>> =
                (1..1usize << rank).map(|m| (0..rank).filter(|d| m >> d & 1 == 1).collect()).collect();
            for dims in &all_dims {
                let plan = Plan::new(s, dims);
                let want: Vec<f32> = (0..plan.out_len()).map(|o| plan.sum_at(o, |i| x[i])).collect();
                for threads in [1, 2, 3, 4] {
                    let got =
                        crate::backend::cpu::parallel::with_threads(threads, || reduce(&x, s, dims, ReduceOp::Sum));
                    assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{s:?} {dims:?} {threads}");
                }
                for op in [ReduceOp::Max, ReduceOp::Min] {
                    let got = crate::backend::cpu::parallel::with_threads(3, || reduce(&x, s, dims, op));
                    assert_eq!(got, naive(&x, s, dims, op), "{s:?} {dims:?} {op:?}");
                }
            }
            x[n / 3] = f32::NAN;
            for dims in &all_dims {
                for op in [ReduceOp::Max, ReduceOp::Min, ReduceOp::Sum] {
                    let got = reduce(&x, s, dims, op);
                    assert_eq!(got.iter().filter(|v| v.is_nan()).count(), 1, "{s:?} {dims:?} {op:?}");
                }
            }
        }
    }

    #[test]
    fn long_sums_are_exact() {
        // 8 running sums of ones stop at 2^24 each; 2^25 ones in [R, K] rows and in one run
        let n = 1 << 25;
        let ones = vec![1.0f32; n];
        assert_eq!(reduce(&ones, &[n], &[0], ReduceOp::Sum), vec![n as f32]);
        assert_eq!(reduce(&ones, &[n / 4, 4], &[0], ReduceOp::Sum), vec![(n / 4) as f32; 4]);
        assert_eq!(reduce(&ones, &[n / 64, 2, 32], &[0, 2], ReduceOp::Sum), vec![(n / 2) as f32; 2]);
    }
}
