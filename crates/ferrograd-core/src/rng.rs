//! A counter-based generator: sample `i` of the stream is a pure function of `(seed, i)`.
//! That makes results independent of how a kernel is split across threads, and makes the
//! whole RNG state two integers, so a checkpoint can save and restore it exactly.

use std::cell::Cell;

thread_local! {
    static STATE: Cell<RngState> = const { Cell::new(RngState { seed: 0x5EED, counter: 0 }) };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngState {
    pub seed: u64,
    pub counter: u64,
}

pub fn manual_seed(seed: u64) {
    STATE.with(|s| s.set(RngState { seed, counter: 0 }));
}

pub fn get_state() -> RngState {
    STATE.with(|s| s.get())
}

pub fn set_state(state: RngState) {
    STATE.with(|s| s.set(state));
}

/// Reserves `n` consecutive counters and returns the first.
fn reserve(n: u64) -> RngState {
    STATE.with(|s| {
        let st = s.get();
        s.set(RngState { seed: st.seed, counter: st.counter.wrapping_add(n) });
        st
    })
}

#[inline]
fn mix(mut z: u64) -> u64 {
    // splitmix64 finaliser: a bijection with full avalanche.
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[inline]
fn bits(st: RngState, i: u64) -> u64 {
    mix(mix(st.seed ^ 0x9E37_79B9_7F4A_7C15)
        .wrapping_add(st.counter.wrapping_add(i).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
}

/// Uniform in `[0, 1)` with 24 bits of precision (every value exactly representable).
#[inline]
fn unit(b: u64) -> f32 {
    (b >> 40) as f32 * (1.0 / 16_777_216.0)
}

pub fn fill_uniform(out: &mut [f32], lo: f32, hi: f32) {
    let st = reserve(out.len() as u64);
    for (i, o) in out.iter_mut().enumerate() {
        *o = lo + (hi - lo) * unit(bits(st, i as u64));
    }
}

pub fn fill_normal(out: &mut [f32], mean: f32, std: f32) {
    // Box–Muller on pairs; each pair uses one counter (64 bits → two 24-bit uniforms).
    let pairs = out.len().div_ceil(2);
    let st = reserve(pairs as u64);
    for p in 0..pairs {
        let b = bits(st, p as u64);
        let u1 = 1.0 - unit(b); // (0, 1]: log is finite
        let u2 = unit(b << 24);
        let r = (-2.0 * (u1 as f64).ln()).sqrt();
        let t = std::f64::consts::TAU * u2 as f64;
        out[2 * p] = mean + std * (r * t.cos()) as f32;
        if 2 * p + 1 < out.len() {
            out[2 * p + 1] = mean + std * (r * t.sin()) as f32;
        }
    }
}

/// A uniformly random permutation of `0..n` (Fisher–Yates), for data shuffling.
pub fn permutation(n: usize) -> Vec<u32> {
    let mut v: Vec<u32> = (0..n as u32).collect();
    let st = reserve(n as u64);
    for i in (1..n).rev() {
        let j = (bits(st, i as u64) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_streams_repeat_and_differ() {
        manual_seed(42);
        let mut a = vec![0.0; 1000];
        fill_uniform(&mut a, 0.0, 1.0);
        manual_seed(42);
        let mut b = vec![0.0; 1000];
        fill_uniform(&mut b, 0.0, 1.0);
        assert_eq!(a, b);
        let mut c = vec![0.0; 1000];
        fill_uniform(&mut c, 0.0, 1.0);
        assert_ne!(a, c);
        let mean = a.iter().sum::<f32>() / 1000.0;
        assert!((mean - 0.5).abs() < 0.05, "mean {mean}");
        assert!(a.iter().all(|&x| (0.0..1.0).contains(&x)));
    }

    #[test]
    fn normal_moments() {
        manual_seed(7);
        let mut a = vec![0.0; 20000];
        fill_normal(&mut a, 1.0, 2.0);
        let mean = a.iter().map(|&x| x as f64).sum::<f64>() / a.len() as f64;
        let var = a.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / a.len() as f64;
        assert!((mean - 1.0).abs() < 0.05, "mean {mean}");
        assert!((var.sqrt() - 2.0).abs() < 0.05, "std {}", var.sqrt());
    }

    #[test]
    fn permutation_is_a_permutation() {
        manual_seed(1);
        let mut p = permutation(100);
        assert_ne!(p, (0..100).collect::<Vec<u32>>());
        p.sort();
        assert_eq!(p, (0..100).collect::<Vec<u32>>());
    }
}
