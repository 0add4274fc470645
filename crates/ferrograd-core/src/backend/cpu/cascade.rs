//! Blocked pairwise (cascade) summation, the one summation order of the CPU reductions and of
//! the fused batch-norm sums.
//!
//! A contiguous run is cut into [`BLOCK`]-element blocks; a block is summed with 8 running
//! sums (vectorisable, and a block is short), and the block sums are combined by a binary
//! counter: a stack of partial sums where the `i`-th leaf merges with the top of the stack once
//! for each trailing one bit of `i`, so equal-sized subtrees pair up as leaves arrive. At the
//! end the stack is folded from its top (the smallest, newest subtree) down. Rows combined into
//! one output (outer reduced dims) are leaves of the same kind of tree: `group` rows summed in
//! order per leaf ([`ROW_BLOCK`] single values, or 1 row of a whole contiguous run). The error
//! then grows with log(n), not n, and the order depends on the shape only, never on how the
//! work is split into tasks.

use std::marker::PhantomData;

/// Elements per leaf block of a contiguous run.
pub(crate) const BLOCK: usize = 256;
/// Rows per leaf when each row adds a single value per output (the last run is kept).
pub(crate) const ROW_BLOCK: usize = 16;
/// Stack entries: one per set bit of the leaf count, plus the leaf being filled.
const STACK: usize = 65;

/// How two partial results combine, and a contiguous run's own result.
pub(crate) trait Combine {
    const INIT: f32;
    fn add(a: f32, b: f32) -> f32;
    fn slice(x: &[f32]) -> f32;
}

pub(crate) struct Sum;
pub(crate) struct Max;
pub(crate) struct Min;

impl Combine for Sum {
    const INIT: f32 = 0.0;
    #[inline(always)]
    fn add(a: f32, b: f32) -> f32 {
        a + b
    }
    #[inline]
    fn slice(x: &[f32]) -> f32 {
        sum_slice(x)
    }
}

// NaN wins max and min (as PyTorch): a NaN `a` is kept, a NaN `b` is taken.
impl Combine for Max {
    const INIT: f32 = f32::NEG_INFINITY;
    #[inline(always)]
    fn add(a: f32, b: f32) -> f32 {
        if b > a || b.is_nan() {
            b
        } else {
            a
        }
    }
    #[inline]
    fn slice(x: &[f32]) -> f32 {
        lanes8::<Self>(x)
    }
}

impl Combine for Min {
    const INIT: f32 = f32::INFINITY;
    #[inline(always)]
    fn add(a: f32, b: f32) -> f32 {
        if b < a || b.is_nan() {
            b
        } else {
            a
        }
    }
    #[inline]
    fn slice(x: &[f32]) -> f32 {
        lanes8::<Self>(x)
    }
}

/// Max or min of a slice with 8 lanes (vectorisable compare-and-select); order-free in value.
#[inline(always)]
fn lanes8<C: Combine>(x: &[f32]) -> f32 {
    let mut acc = [C::INIT; 8];
    let chunks = x.chunks_exact(8);
    let rem = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] = C::add(acc[k], c[k]);
        }
    }
    let mut m = acc.iter().fold(C::INIT, |m, &v| C::add(m, v));
    for &v in rem {
        m = C::add(m, v);
    }
    m
}

/// Sum of one block (at most [`BLOCK`] values): 8 running sums over the whole 8-chunks,
/// combined pairwise, then the tail in order.
#[inline(always)]
fn block_sum(x: &[f32]) -> f32 {
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

/// [`block_sum`] of `f(start + i)` for `i < n`, the same operations in the same order.
#[inline(always)]
fn block_sum_by(start: usize, n: usize, f: &impl Fn(usize) -> f32) -> f32 {
    let mut acc = [0.0f32; 8];
    let full = n / 8 * 8;
    for c in (0..full).step_by(8) {
        for (k, a) in acc.iter_mut().enumerate() {
            *a += f(start + c + k);
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for i in full..n {
        s += f(start + i);
    }
    s
}

/// Cascade sum of a contiguous slice.
#[inline]
pub(crate) fn sum_slice(x: &[f32]) -> f32 {
    if x.len() <= BLOCK {
        // a tree of one leaf: the leaf starts from 0
        return 0.0 + block_sum(x);
    }
    let mut t = Tree::<Sum>::new(1);
    for b in x.chunks(BLOCK) {
        t.add(block_sum(b));
    }
    t.finish()
}

/// [`sum_slice`] of the values `f(0..n)`, bit for bit (fused kernels sum computed values).
#[inline(always)]
pub(crate) fn pairwise_sum(n: usize, f: impl Fn(usize) -> f32) -> f32 {
    if n <= BLOCK {
        return 0.0 + block_sum_by(0, n, &f);
    }
    let mut t = Tree::<Sum>::new(1);
    for b in (0..n).step_by(BLOCK) {
        t.add(block_sum_by(b, BLOCK.min(n - b), &f));
    }
    t.finish()
}

/// The binary-counter tree over scalar values: `group` values per leaf, summed in order from
/// [`Combine::INIT`]; leaves merge pairwise.
pub(crate) struct Tree<C> {
    stack: [f32; STACK],
    /// Complete entries on the stack.
    top: usize,
    leaves: u64,
    fill: usize,
    group: usize,
    _op: PhantomData<C>,
}

impl<C: Combine> Tree<C> {
    #[inline(always)]
    pub(crate) fn new(group: usize) -> Self {
        Tree { stack: [C::INIT; STACK], top: 0, leaves: 0, fill: 0, group, _op: PhantomData }
    }

    #[inline(always)]
    pub(crate) fn add(&mut self, v: f32) {
        let leaf = &mut self.stack[self.top];
        *leaf = C::add(if self.fill == 0 { C::INIT } else { *leaf }, v);
        self.fill += 1;
        if self.fill == self.group {
            self.close();
        }
    }

    /// Pushes the leaf in slot `top`, merging it with one entry per trailing one of the count.
    #[inline(always)]
    fn close(&mut self) {
        let mut k = self.leaves;
        while k & 1 == 1 {
            self.top -= 1;
            self.stack[self.top] = C::add(self.stack[self.top], self.stack[self.top + 1]);
            k >>= 1;
        }
        self.top += 1;
        self.leaves += 1;
        self.fill = 0;
    }

    /// The total: a last partial leaf is pushed, then the stack folds from the top down.
    #[inline(always)]
    pub(crate) fn finish(mut self) -> f32 {
        if self.fill > 0 {
            self.close();
        }
        if self.top == 0 {
            return C::INIT;
        }
        let mut acc = self.stack[self.top - 1];
        for i in (0..self.top - 1).rev() {
            acc = C::add(self.stack[i], acc);
        }
        acc
    }
}

/// [`Tree`] over rows of `width` values, one tree per column, each performing exactly the
/// scalar tree's operations; the stack lives in `buf` (`slots(rows, group)` slots of `stride`).
pub(crate) struct RowTree<'a, C> {
    buf: &'a mut [f32],
    stride: usize,
    width: usize,
    top: usize,
    leaves: u64,
    fill: usize,
    group: usize,
    _op: PhantomData<C>,
}

/// Buffer slots a [`RowTree`] over `rows` rows needs.
pub(crate) fn slots(rows: usize, group: usize) -> usize {
    let leaves = rows.div_ceil(group.max(1));
    (usize::BITS - leaves.leading_zeros()) as usize + 1
}

impl<'a, C: Combine> RowTree<'a, C> {
    pub(crate) fn new(buf: &'a mut [f32], stride: usize, width: usize, group: usize) -> Self {
        debug_assert!(width <= stride);
        RowTree { buf, stride, width, top: 0, leaves: 0, fill: 0, group, _op: PhantomData }
    }

    #[inline(always)]
    pub(crate) fn add_row(&mut self, row: &[f32]) {
        let leaf = &mut self.buf[self.top * self.stride..][..self.width];
        let row = &row[..self.width];
        if self.fill == 0 {
            for (d, &v) in leaf.iter_mut().zip(row) {
                *d = C::add(C::INIT, v);
            }
        } else {
            for (d, &v) in leaf.iter_mut().zip(row) {
                *d = C::add(*d, v);
            }
        }
        self.fill += 1;
        if self.fill == self.group {
            self.close();
        }
    }

    #[inline(always)]
    fn close(&mut self) {
        let mut k = self.leaves;
        while k & 1 == 1 {
            self.top -= 1;
            let (lo, hi) = self.buf.split_at_mut((self.top + 1) * self.stride);
            let (a, b) = (&mut lo[self.top * self.stride..][..self.width], &hi[..self.width]);
            for (a, &b) in a.iter_mut().zip(b) {
                *a = C::add(*a, b);
            }
            k >>= 1;
        }
        self.top += 1;
        self.leaves += 1;
        self.fill = 0;
    }

    /// Writes the per-column totals to `out` (`width` values).
    pub(crate) fn finish(mut self, out: &mut [f32]) {
        if self.fill > 0 {
            self.close();
        }
        let out = &mut out[..self.width];
        if self.top == 0 {
            out.fill(C::INIT);
            return;
        }
        out.copy_from_slice(&self.buf[(self.top - 1) * self.stride..][..self.width]);
        for i in (0..self.top - 1).rev() {
            for (o, &s) in out.iter_mut().zip(&self.buf[i * self.stride..][..self.width]) {
                *o = C::add(s, *o);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree by recursion: leaves of `group`, split at the largest power of two below.
    fn reference(v: &[f32], group: usize) -> f32 {
        let leaves: Vec<f32> = v.chunks(group).map(|c| c.iter().fold(0.0, |s, &x| s + x)).collect();
        // a complete subtree (a power-of-two count of leaves): left half + right half
        fn tree(l: &[f32]) -> f32 {
            if l.len() == 1 {
                return l[0];
            }
            tree(&l[..l.len() / 2]) + tree(&l[l.len() / 2..])
        }
        // the binary counter equals: complete subtrees of the binary digits of the leaf count,
        // largest first, folded from the smallest
        let mut parts = Vec::new();
        let mut at = 0;
        for bit in (0..64).rev() {
            let size = 1usize << bit;
            if leaves.len() - at >= size && (leaves.len() >> bit) & 1 == 1 {
                parts.push(tree(&leaves[at..at + size]));
                at += size;
            }
        }
        let mut acc = *parts.last().unwrap();
        for p in parts.iter().rev().skip(1) {
            acc += p; // commutative: the same bits as p + acc
        }
        acc
    }

    fn data(n: usize) -> Vec<f32> {
        (0..n).map(|i| ((i * 7919 % 1013) as f32 - 500.0) * 1e-3).collect()
    }

    #[test]
    fn the_counter_builds_the_pairwise_tree() {
        for n in [1, 2, 3, 5, 16, 17, 100, 255, 256, 1000, 4097] {
            let v = data(n);
            for group in [1, 3, 16] {
                let mut t = Tree::<Sum>::new(group);
                v.iter().for_each(|&x| t.add(x));
                assert_eq!(t.finish().to_bits(), reference(&v, group).to_bits(), "{n} {group}");
                // the row tree does the same per column
                let width = 3;
                let rows: Vec<f32> = v.iter().flat_map(|&x| [x, -x, x * 0.5]).collect();
                let mut buf = vec![f32::NAN; slots(n, group) * 4];
                let mut rt = RowTree::<Sum>::new(&mut buf, 4, width, group);
                rows.chunks(width).for_each(|r| rt.add_row(r));
                let mut out = [0.0; 3];
                rt.finish(&mut out);
                assert_eq!(out[0].to_bits(), reference(&v, group).to_bits());
                assert_eq!(out[1].to_bits(), (-reference(&v, group)).to_bits());
            }
        }
    }

    #[test]
    fn slices_and_computed_values_sum_alike() {
        for n in [0, 1, 7, 8, 9, 255, 256, 257, 784, 5000, 70_001] {
            let v = data(n);
            let a = sum_slice(&v);
            assert_eq!(a.to_bits(), pairwise_sum(n, |i| v[i]).to_bits(), "{n}");
            let blocks: Vec<f32> = v.chunks(BLOCK).map(block_sum).collect();
            if n > 0 {
                assert_eq!(a.to_bits(), reference(&blocks, 1).to_bits(), "{n}");
            }
        }
        // 2^28 ones are exact; 8 running sums alone stop growing at 2^24 each (2^27 in all)
        assert_eq!(pairwise_sum(1 << 28, |_| 1.0), (1u32 << 28) as f32);
    }

    #[test]
    fn max_and_min_let_nan_win() {
        let mut v = data(1000);
        assert_eq!(Max::slice(&v), v.iter().cloned().fold(f32::MIN, f32::max));
        assert_eq!(Min::slice(&v), v.iter().cloned().fold(f32::MAX, f32::min));
        for at in [0, 3, 500, 999] {
            let old = std::mem::replace(&mut v[at], f32::NAN);
            assert!(Max::slice(&v).is_nan() && Min::slice(&v).is_nan(), "{at}");
            v[at] = old;
        }
        assert_eq!(Max::slice(&[]), f32::NEG_INFINITY);
    }
}
