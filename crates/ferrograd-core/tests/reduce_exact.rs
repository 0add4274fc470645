//! Long reductions are accurate: sums use a blocked pairwise (cascade) order, within a
//! contiguous run and across the rows of outer reduced dims, so the error grows with log(n).
//! The sizes go past 2^24 values per running sum, where the former kernels (8 running sums
//! per run, rows added one after another) lost every further 1.0; `old_sum` re-enacts that
//! order to show each case would have failed. Results are also the same bits on any number of
//! threads, and batch-norm's fused statistics are those of the composed reduction.

use ferrograd_core::runtime::threads::{set_num_threads, with_threads};
use ferrograd_core::{BatchNormState, Device, Tensor};

fn cpu(data: Vec<f32>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(data, shape, &Device::Cpu).unwrap()
}

fn values(x: &Tensor) -> Vec<f32> {
    x.to_vec().unwrap()
}

/// Deterministic data in [lo, lo + spread).
fn data(n: usize, seed: u64, lo: f32, spread: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lo + spread * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

/// The former order of one run: 8 running sums, combined pairwise, then the tail.
fn old_sum(x: impl Iterator<Item = f32> + Clone, n: usize) -> f32 {
    let mut acc = [0.0f32; 8];
    let full = n / 8 * 8;
    for (i, v) in x.clone().take(full).enumerate() {
        acc[i % 8] += v;
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for v in x.skip(full) {
        s += v;
    }
    s
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn a_quarter_billion_ones_sum_exactly() {
    let n = 1usize << 28;
    // formerly 134217728: each of the 8 running sums stops at 2^24
    assert_eq!(old_sum(std::iter::repeat_n(1.0, n), n), (n / 2) as f32);
    let x = Tensor::ones(&[n], &Device::Cpu).unwrap();
    assert_eq!(values(&x.sum_all().unwrap()), vec![268435456.0]);
    assert_eq!(values(&x.mean(&[], false).unwrap()), vec![1.0]);
    drop(x);
    let n = 1usize << 26;
    let x = Tensor::ones(&[n], &Device::Cpu).unwrap();
    assert_eq!(values(&x.sum_all().unwrap()), vec![67108864.0]);
    // 2^25 + 3 ones as [2^24 + 1, 2] (+ 1): a column of 2^24 + 1 rows, formerly stuck at 2^24
    let x = Tensor::ones(&[(1 << 24) + 1, 2], &Device::Cpu).unwrap();
    assert_eq!(values(&x.sum(&[0], false).unwrap()), vec![16777217.0; 2]);
}

#[test]
fn the_mean_of_many_tenths_is_a_tenth() {
    let n = 1usize << 25;
    let tenth = 0.1f32;
    let want = tenth as f64; // the mean of n copies of the f32 value, in exact arithmetic
    let old = old_sum(std::iter::repeat_n(tenth, n), n) * (1.0 / n as f32);
    assert!(rel(old as f64, want) > 1e-3, "the former order was off by {}", rel(old as f64, want));
    let x = Tensor::full(&[n], tenth, &Device::Cpu).unwrap();
    let got = values(&x.mean(&[], false).unwrap())[0] as f64;
    eprintln!("mean of tenths off by {:e} (formerly {:e})", rel(got, want), rel(old as f64, want));
    assert!(rel(got, want) < 1e-6, "mean {got} vs {want}");
    // the same as an [n/8, 8] sum over dim 0 (a tree over rows) and over dim 1 then 0
    let x = x.reshape(&[n / 8, 8]).unwrap();
    for got in values(&x.mean(&[0], false).unwrap()) {
        assert!(rel(got as f64, want) < 1e-6, "column mean {got}");
    }
}

#[test]
fn column_sums_over_a_long_outer_dim() {
    // ones: exact
    let x = Tensor::ones(&[1 << 20, 4], &Device::Cpu).unwrap();
    assert_eq!(values(&x.sum(&[0], false).unwrap()), vec![1048576.0; 4]);
    // mean and variance of long columns against f64
    let (rows, cols) = (1usize << 22, 3);
    let v = data(rows * cols, 1, 1.0, 1.0);
    let x = cpu(v.clone(), &[rows, cols]);
    let (mean, var) = (values(&x.mean(&[0], false).unwrap()), values(&x.var(&[0], false, false).unwrap()));
    for c in 0..cols {
        let col = || v.iter().skip(c).step_by(cols).map(|&x| x as f64);
        let m = col().sum::<f64>() / rows as f64;
        let s2 = col().map(|x| (x - m) * (x - m)).sum::<f64>() / rows as f64;
        // rows added one after another, as before
        let old = v.iter().skip(c).step_by(cols).fold(0.0f32, |s, &x| s + x) / rows as f32;
        eprintln!("column {c}: mean off by {:e} (formerly {:e})", rel(mean[c] as f64, m), rel(old as f64, m));
        assert!(rel(old as f64, m) > 2e-6, "the former order was off by only {}", rel(old as f64, m));
        assert!(rel(mean[c] as f64, m) < 2e-7, "column {c}: mean {} vs {m}", mean[c]);
        eprintln!("column {c}: var off by {:e}", rel(var[c] as f64, s2));
        assert!(rel(var[c] as f64, s2) < 1e-6, "column {c}: var {} vs {s2}", var[c]);
    }
}

#[test]
fn batch_norm_statistics_of_a_large_channel() {
    let (n, c, hw) = (4096, 2, 32 * 32);
    // activations near a per-image level (1.1 to 1.16) plus a little noise: rounding a running
    // total of the planes is then biased, and the former order drifts
    let noise = data(n * c * hw, 2, 0.0, 1e-3);
    let v: Vec<f32> = noise.iter().enumerate().map(|(i, e)| 1.1 + 0.01 * (i / (c * hw) % 7) as f32 + e).collect();
    let x = cpu(v.clone(), &[n, c, 32, 32]);
    // momentum 1: the running statistics become the batch's (the variance unbiased)
    let (rm, rv) = (Tensor::zeros(&[c], &Device::Cpu).unwrap(), Tensor::zeros(&[c], &Device::Cpu).unwrap());
    let st = BatchNormState { running_mean: &rm, running_var: &rv, momentum: 1.0 };
    x.batch_norm(None, None, Some(st), true, 1e-5).unwrap();
    let (mean, var) = (values(&rm), values(&rv));
    let count = (n * hw) as f64;
    for ch in 0..c {
        let at = |i: usize| (i / hw * c + ch) * hw + i % hw;
        let m = (0..n * hw).map(|i| v[at(i)] as f64).sum::<f64>() / count;
        let s2 = (0..n * hw).map(|i| (v[at(i)] as f64 - m).powi(2)).sum::<f64>() / (count - 1.0);
        // the former order: 8 running sums per plane, planes added in order
        let old = (0..n).fold(0.0f32, |s, i| s + old_sum(v[(i * c + ch) * hw..][..hw].iter().copied(), hw));
        let old = old * (1.0 / count as f32);
        eprintln!("channel {ch}: mean off by {:e} (formerly {:e})", rel(mean[ch] as f64, m), rel(old as f64, m));
        assert!(rel(old as f64, m) > 2e-6, "the former order was off by only {}", rel(old as f64, m));
        assert!(rel(mean[ch] as f64, m) < 2e-7, "channel {ch}: mean {} vs {m}", mean[ch]);
        eprintln!("channel {ch}: var off by {:e}", rel(var[ch] as f64, s2));
        assert!(rel(var[ch] as f64, s2) < 1e-6, "channel {ch}: var {} vs {s2}", var[ch]);
    }
    // the fused statistics are the composed reduction's, bit for bit
    let composed = values(&x.mean(&[0, 2, 3], false).unwrap());
    assert_eq!(
        composed.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        mean.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn sums_are_the_same_bits_on_any_thread_count() {
    let cases: Vec<(Vec<usize>, Vec<isize>)> = vec![
        (vec![1 << 22], vec![]),
        (vec![1 << 18, 16], vec![0]),
        (vec![1 << 12, 1000], vec![0]),
        (vec![1 << 12, 1000], vec![1]),
        (vec![64, 32, 28, 28], vec![0, 2, 3]),
        (vec![8, 300, 5, 70], vec![1, 3]),
        (vec![8, 300, 5, 70], vec![0, 2]),
        (vec![3, 5000, 130], vec![0, 2]),
    ];
    for (i, (shape, axes)) in cases.iter().enumerate() {
        let x = cpu(data(shape.iter().product(), 10 + i as u64, -0.5, 1.0), shape);
        let bits = |t: usize| {
            with_threads(t, || {
                let s = values(&x.sum(axes, false).unwrap());
                s.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            })
        };
        let one = bits(1);
        for t in [2, 3, 4] {
            assert_eq!(bits(t), one, "{shape:?} over {axes:?} on {t} threads");
        }
    }
}

#[cfg(feature = "gpu")]
mod gpu {
    use super::*;

    fn dev() -> Device {
        let d = ferrograd_core::backend::wgpu::GpuDevice::new_blocking()
            .expect("no GPU adapter (install mesa-vulkan-drivers for lavapipe)");
        eprintln!("adapter: {}", d.info());
        Device::Gpu(d)
    }

    #[test]
    fn long_gpu_sums_are_exact() {
        let dev = dev();
        // past 2^24 in one reduction (a buffer holds at most 128 MiB on lavapipe)
        let n = (1usize << 25) - 8;
        let x = Tensor::ones(&[n], &dev).unwrap();
        assert_eq!(values(&x.sum_all().unwrap()), vec![n as f32]);
        drop(x);
        let x = Tensor::ones(&[(1 << 24) - 1, 2], &dev).unwrap();
        assert_eq!(values(&x.sum(&[0], false).unwrap()), vec![16777215.0; 2]);
        drop(x);
        // tenths: each thread's running sum is short, and the partials combine pairwise
        let tenth = 0.1f32 as f64;
        let x = Tensor::full(&[1 << 25], 0.1, &dev).unwrap();
        let got = values(&x.mean(&[], false).unwrap())[0] as f64;
        eprintln!("GPU mean of 2^25 tenths off by {:e}", rel(got, tenth));
        assert!(rel(got, tenth) < 1e-6, "mean {got}");
        drop(x);
        // many long reductions at once (one thread per output)
        let x = Tensor::full(&[1 << 12, 4096], 0.1, &dev).unwrap();
        let worst = values(&x.mean(&[0], false).unwrap()).iter().map(|&v| rel(v as f64, tenth)).fold(0.0, f64::max);
        eprintln!("GPU column means of 4096 tenths off by {worst:e}");
        assert!(worst < 1e-6, "column means off by {worst}");
        // a long column of varied values against f64 (workgroup reduction over 2^22 rows)
        let v = data(1 << 23, 5, 1.0, 1.0);
        let x = Tensor::from_vec(v.clone(), &[1 << 22, 2], &dev).unwrap();
        let got = values(&x.mean(&[0], false).unwrap());
        for (c, got) in got.iter().enumerate() {
            let m = v.iter().skip(c).step_by(2).map(|&x| x as f64).sum::<f64>() / (1 << 22) as f64;
            eprintln!("GPU column {c} mean off by {:e}", rel(*got as f64, m));
            assert!(rel(*got as f64, m) < 2e-7, "column {c}: {got} vs {m}");
        }
    }
}

/// `cargo test -p ferrograd-core --release --test reduce_exact -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_reductions() {
    fn time(name: &str, reps: usize, f: impl Fn() -> f32) {
        let mut best = f64::INFINITY;
        let mut v = 0.0;
        for _ in 0..reps {
            let t0 = std::time::Instant::now();
            v = f();
            best = best.min(t0.elapsed().as_secs_f64());
        }
        println!("{name}: best of {reps} {:.3} ms (first value {v})", best * 1e3);
    }
    for threads in [1, 2] {
        set_num_threads(threads);
        println!("threads {threads}");
        let x = cpu((0..1 << 24).map(|i| (i % 1000) as f32 * 1e-3).collect(), &[1 << 24]);
        time("sum 2^24", 20, || values(&x.sum_all().unwrap())[0]);
        let bn = cpu((0..128 * 64 * 784).map(|i| (i % 997) as f32 * 1e-3).collect(), &[128, 64, 28, 28]);
        time("sum [128,64,28,28] over (0,2,3)", 20, || values(&bn.sum(&[0, 2, 3], false).unwrap())[0]);
        let col = cpu((0..(1 << 20) * 16).map(|i| (i % 991) as f32 * 1e-3).collect(), &[1 << 20, 16]);
        time("sum [2^20,16] over 0", 20, || values(&col.sum(&[0], false).unwrap())[0]);
        let rows = cpu((0..(1 << 14) * 1000).map(|i| (i % 991) as f32 * 1e-3).collect(), &[1 << 14, 1000]);
        time("sum [2^14,1000] over 1", 20, || values(&rows.sum(&[1], false).unwrap())[0]);
        time("sum [2^14,1000] over 0", 20, || values(&rows.sum(&[0], false).unwrap())[0]);
        time("max [2^14,1000] over 1", 20, || values(&rows.max(&[1], false).unwrap())[0]);
        let (rm, rv) = (Tensor::zeros(&[64], &Device::Cpu).unwrap(), Tensor::ones(&[64], &Device::Cpu).unwrap());
        time("batch_norm train [128,64,28,28]", 10, || {
            let st = BatchNormState { running_mean: &rm, running_var: &rv, momentum: 0.1 };
            bn.batch_norm(None, None, Some(st), true, 1e-5).unwrap();
            0.0
        });
    }
    set_num_threads(1);
}
