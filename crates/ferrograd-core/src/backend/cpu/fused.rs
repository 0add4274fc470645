//! One-pass kernels for the fused ops (`backend/fused.rs` has their composed defaults). Each
//! performs the same IEEE operations, in the same order, as the default composition does on the
//! CPU, so fusing changes speed, not values: the unit tests compare them bit for bit.
//!
//! Batch-norm statistics and gradient sums are per channel: a task owns whole channels and sums
//! them in the reduction kernel's blocked pairwise order (`reduce::Plan`), so no cross-task
//! reduction (and no thread-count dependence) exists.

use super::parallel::{for_each_chunk_mut, for_each_plane};
use super::reduce::Plan;
use super::simd::F32x4;
use crate::backend::{Activation, BatchNormParams};

/// Elements per task of the elementwise passes.
const TASK: usize = 1 << 15;

/// `g · act'(y)` for contiguous operands of equal length.
pub fn activation_backward(y: &[f32], g: &[f32], act: Activation) -> Vec<f32> {
    let mut out = super::alloc::scratch(y.len());
    activation_backward_to(y, Some(g), &mut out, act);
    out
}

/// [`activation_backward`] written over `g` itself (a gradient nothing else holds).
pub fn activation_backward_in_place(y: &[f32], g: &mut [f32], act: Activation) {
    activation_backward_to(y, None, g, act);
}

/// `out = g · act'(y)`, with `g` read from `out` when `None`.
fn activation_backward_to(y: &[f32], g: Option<&[f32]>, out: &mut [f32], act: Activation) {
    let n = y.len();
    assert!(out.len() == n && g.is_none_or(|g| g.len() == n));
    let (one, neg, zero) = (F32x4::splat(1.0), F32x4::splat(-1.0), F32x4::zero());
    // The default's steps: Affine{-1, 1} is `y·(-1) + 1`; Step is `x > 0 ? 1 : 0`.
    let lanes = move |y: F32x4| match act {
        Activation::Sigmoid => y.mul(y.mul(neg).add(one)),
        Activation::Tanh => y.mul(y).mul(neg).add(one),
        Activation::Relu => y.gt(zero).and(one),
    };
    // Written as the default's Affine computes it (`y·mul + add`), not as `-y`.
    #[allow(clippy::neg_multiply)]
    let scalar = move |y: f32| match act {
        Activation::Sigmoid => y * (y * -1.0 + 1.0),
        Activation::Tanh => (y * y) * -1.0 + 1.0,
        Activation::Relu => {
            if y > 0.0 {
                1.0
            } else {
                0.0
            }
        }
    };
    for_each_chunk_mut(out, TASK, n, |t, o| {
        let y = &y[t * TASK..][..o.len()];
        let g = g.map(|g| &g[t * TASK..][..o.len()]);
        let mut i = 0;
        // SAFETY: every vector access is below i + 4 <= o.len(), the length of all three (g is
        // o itself when None).
        unsafe {
            let (yp, op) = (y.as_ptr(), o.as_mut_ptr());
            let gp = g.map_or(op.cast_const(), <[f32]>::as_ptr);
            while i + 4 <= o.len() {
                F32x4::load(gp.add(i)).mul(lanes(F32x4::load(yp.add(i)))).store(op.add(i));
                i += 4;
            }
        }
        for k in i..o.len() {
            o[k] = g.map_or(o[k], |g| g[k]) * scalar(y[k]);
        }
    });
}

/// Per channel `Σ f(i)` over the channel's elements `i`, in the order of the composed
/// reduction (`reduce` of `[N, C, S]` over N and S: a cascade sum per plane, the planes combined
/// by the same pairwise tree; `Plan` also covers the shapes where size-1 dims merge runs).
#[inline(always)]
fn channel_sum(plan: &Plan, c: usize, f: impl Fn(usize) -> f32) -> f32 {
    plan.sum_at(c, f)
}

/// The composed reduction's plan: sums over N and S of `[N, C, S]`.
fn plan(p: &BatchNormParams) -> Plan {
    Plan::new(&p.shape(), &[0, 2])
}

/// `sum · (1/count) + 0`: the composed mean (`Affine`).
fn mean_of(sum: f32, p: &BatchNormParams) -> f32 {
    sum * (1.0 / p.count() as f32) + 0.0
}

/// Channels per task, so each task sums a few thousand values.
fn channels_per_task(p: &BatchNormParams) -> usize {
    (4096 / p.count().max(1)).max(1)
}

pub fn batch_norm_stats(x: &[f32], p: &BatchNormParams) -> (Vec<f32>, Vec<f32>) {
    let mut mv = vec![[0.0f32; 2]; p.c];
    let (per, plan) = (channels_per_task(p), &plan(p));
    for_each_chunk_mut(&mut mv, per, 2 * x.len(), |t, chunk| {
        for (j, slot) in chunk.iter_mut().enumerate() {
            let c = t * per + j;
            let m = mean_of(channel_sum(plan, c, |i| x[i]), p);
            let v = mean_of(
                channel_sum(plan, c, |i| {
                    let d = x[i] - m;
                    d * d
                }),
                p,
            );
            *slot = [m, v];
        }
    });
    (
        super::alloc::copied(&mv.iter().map(|v| v[0]).collect::<Vec<_>>()),
        super::alloc::copied(&mv.iter().map(|v| v[1]).collect::<Vec<_>>()),
    )
}

/// Per-channel constants of the apply pass.
struct Affine<'a> {
    mean: &'a [f32],
    inv: &'a [f32],
    weight: Option<&'a [f32]>,
    bias: Option<&'a [f32]>,
}

pub fn batch_norm_apply(
    x: &[f32],
    mean: &[f32],
    inv_std: &[f32],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    p: &BatchNormParams,
) -> Vec<f32> {
    let a = Affine { mean, inv: inv_std, weight, bias };
    let mut out = super::alloc::scratch(x.len());
    for_each_plane(&mut out, p.s, x.len(), |i, o| {
        let c = i % p.c;
        let src = &x[i * p.s..][..p.s];
        apply_plane(src, o, &a, c);
    });
    out
}

/// `((x - m)·inv)·w + b` over one plane, the default's operations in its order.
fn apply_plane(x: &[f32], o: &mut [f32], a: &Affine, c: usize) {
    let (m, inv) = (a.mean[c], a.inv[c]);
    let (w, b) = (a.weight.map(|w| w[c]), a.bias.map(|b| b[c]));
    let (mv, iv) = (F32x4::splat(m), F32x4::splat(inv));
    let (wv, bv) = (w.map(F32x4::splat), b.map(F32x4::splat));
    let mut i = 0;
    while i + 4 <= x.len() {
        let mut v = F32x4::from_slice(&x[i..]).sub(mv).mul(iv);
        if let Some(wv) = wv {
            v = v.mul(wv);
        }
        if let Some(bv) = bv {
            v = v.add(bv);
        }
        v.write_to(&mut o[i..]);
        i += 4;
    }
    for (o, &x) in o[i..].iter_mut().zip(&x[i..]) {
        let mut v = (x - m) * inv;
        if let Some(w) = w {
            v *= w;
        }
        if let Some(b) = b {
            v += b;
        }
        *o = v;
    }
}

/// `(dx, dweight, dbias)`; see `backend/fused.rs` for the formula and its operation order.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_backward(
    x: &[f32],
    g: &[f32],
    mean: &[f32],
    inv_std: &[f32],
    weight: Option<&[f32]>,
    p: &BatchNormParams,
    batch_stats: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    // Per channel: Σg, Σg·x̂ (x̂ = (x - m)·inv), and the dx constants.
    let mut sums = vec![[0.0f32; 2]; p.c];
    let (per, plan) = (channels_per_task(p), &plan(p));
    for_each_chunk_mut(&mut sums, per, 2 * x.len(), |t, chunk| {
        for (j, slot) in chunk.iter_mut().enumerate() {
            let c = t * per + j;
            let (m, inv) = (mean[c], inv_std[c]);
            *slot = [channel_sum(plan, c, |i| g[i]), channel_sum(plan, c, |i| g[i] * ((x[i] - m) * inv))];
        }
    });
    let k: Vec<f32> = (0..p.c).map(|c| weight.map_or(inv_std[c], |w| w[c] * inv_std[c])).collect();
    let ab: Vec<[f32; 2]> = sums.iter().map(|s| [mean_of(s[0], p), mean_of(s[1], p)]).collect();
    let mut dx = super::alloc::scratch(x.len());
    for_each_plane(&mut dx, p.s, 2 * x.len(), |i, o| {
        let c = i % p.c;
        let (xs, gs) = (&x[i * p.s..][..p.s], &g[i * p.s..][..p.s]);
        let (m, inv, k, [a, b]) = (mean[c], inv_std[c], k[c], ab[c]);
        if batch_stats {
            for ((o, &x), &g) in o.iter_mut().zip(xs).zip(gs) {
                *o = ((g - a) - ((x - m) * inv) * b) * k;
            }
        } else {
            for (o, &g) in o.iter_mut().zip(gs) {
                *o = g * k;
            }
        }
    });
    let dweight = super::alloc::copied(&sums.iter().map(|s| s[1]).collect::<Vec<_>>());
    let dbias = super::alloc::copied(&sums.iter().map(|s| s[0]).collect::<Vec<_>>());
    (dx, dweight, dbias)
}

#[cfg(test)]
mod tests {
    use super::super::CpuStorage;
    use super::*;
    use crate::backend::{fused, BackendStorage};
    use crate::shape::Layout;

    fn data(n: usize, seed: usize) -> Vec<f32> {
        (0..n).map(|i| (((i + seed) * 7919 % 1009) as f32 - 504.0) / 97.0).collect()
    }
    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn fused_kernels_equal_the_composed_defaults_bit_for_bit() {
        for act in [Activation::Sigmoid, Activation::Tanh, Activation::Relu] {
            for n in [1, 7, 70_001] {
                let (y, g) = (data(n, 1), data(n, 2));
                let l = Layout::contiguous(&[n]);
                let want =
                    fused::activation_backward(&CpuStorage(y.clone()), &l, &CpuStorage(g.clone()), &l, act).unwrap();
                assert_eq!(bits(&activation_backward(&y, &g, act)), bits(&want.0), "{act:?} {n}");
                let mut in_place = g.clone();
                activation_backward_in_place(&y, &mut in_place, act);
                assert_eq!(bits(&in_place), bits(&want.0), "{act:?} {n} in place");
            }
        }
        // every run structure of [N, C, S] over (N, S): size-1 dims merge runs; long planes
        // (several blocks) and many planes (several tree levels over them)
        for p in [
            BatchNormParams { n: 3, c: 4, s: 37 },
            BatchNormParams { n: 5, c: 3, s: 1 },
            BatchNormParams { n: 1, c: 2, s: 9 },
            BatchNormParams { n: 37, c: 1, s: 70 },
            BatchNormParams { n: 1, c: 1, s: 1 },
            BatchNormParams { n: 100, c: 3, s: 1 },
            BatchNormParams { n: 1, c: 1, s: 600 },
            BatchNormParams { n: 19, c: 2, s: 600 },
        ] {
            let len = p.n * p.c * p.s;
            let (x, g) = (CpuStorage(data(len, 3)), CpuStorage(data(len, 4)));
            let (m, v) = fused::batch_norm_stats(&x, &p).unwrap();
            let (fm, fv) = batch_norm_stats(&x.0, &p);
            assert_eq!((bits(&fm), bits(&fv)), (bits(&m.0), bits(&v.0)), "stats {p:?}");
            let inv = CpuStorage(v.0.iter().map(|v| (v + 1e-5).powf(-0.5)).collect());
            let (w, b) = (CpuStorage(data(p.c, 5)), CpuStorage(data(p.c, 6)));
            for (wo, bo) in [(Some(&w), Some(&b)), (None, None), (Some(&w), None)] {
                let want = fused::batch_norm_apply(&x, &m, &inv, wo, bo, &p, None).unwrap();
                let got = batch_norm_apply(&x.0, &m.0, &inv.0, wo.map(|w| &w.0[..]), bo.map(|b| &b.0[..]), &p);
                assert_eq!(bits(&got), bits(&want.0), "apply {p:?}");
                for stats in [true, false] {
                    let want = fused::batch_norm_backward(&x, &g, &m, &inv, wo, &p, stats).unwrap();
                    let got = batch_norm_backward(&x.0, &g.0, &m.0, &inv.0, wo.map(|w| &w.0[..]), &p, stats);
                    assert_eq!(bits(&got.0), bits(&want.0 .0), "dx {p:?} {stats}");
                    assert_eq!(bits(&got.1), bits(&want.1 .0), "dweight {p:?}");
                    assert_eq!(bits(&got.2), bits(&want.2 .0), "dbias {p:?}");
                }
            }
        }
        // the CPU backend's overrides are these kernels
        let y = CpuStorage(data(10, 9));
        let l = Layout::contiguous(&[10]);
        let via_trait = y.activation_backward(&l, &y, &l, Activation::Tanh).unwrap();
        assert_eq!(bits(&via_trait.0), bits(&activation_backward(&y.0, &y.0, Activation::Tanh)));
    }
}
