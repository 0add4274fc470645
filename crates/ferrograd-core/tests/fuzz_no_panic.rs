//! Random ops with random (often invalid) arguments, the way user code from JS can call them:
//! every call must return `Ok` or `Err`, never panic (a panic aborts the wasm instance).

use ferrograd_core::{Device, Tensor};
use std::panic::{catch_unwind, AssertUnwindSafe};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn shape(&mut self) -> Vec<usize> {
        let rank = self.below(5) as usize;
        (0..rank).map(|_| self.below(5) as usize).collect()
    }
}

fn tensor(r: &mut Rng) -> Tensor {
    let shape = r.shape();
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect();
    Tensor::from_vec(data, &shape, &Device::Cpu).unwrap()
}

fn pair(r: &mut Rng, lo: i64) -> (usize, usize) {
    (r.int(lo, 3).max(0) as usize, r.int(lo, 3).max(0) as usize)
}

/// One random op (and its backward); results and errors are ignored, only a panic fails.
fn step(r: &mut Rng, desc: &mut String) {
    let a = tensor(r);
    let b = tensor(r);
    let ax = r.int(-5, 5) as isize;
    let op = r.below(30);
    *desc = format!("op {op} on {:?} and {:?} (axis {ax})", a.shape(), b.shape());
    if r.below(2) == 0 {
        let _ = a.set_requires_grad(true);
    }
    let out = match op {
        0 => a.add(&b),
        1 => a.matmul(&b),
        2 => a.sum(&[ax], r.below(2) == 0),
        3 => a.max(&[ax], false),
        4 => a.argmax(Some(ax), false),
        5 => a.reshape_infer(&[r.int(-1, 4) as isize, r.int(-1, 6) as isize]),
        6 => a.permute(&[r.below(4) as usize, r.below(4) as usize]),
        7 => a.transpose(ax, r.int(-5, 5) as isize),
        8 => a.expand(&r.shape()),
        9 => a.slice(ax, Some(r.int(-6, 6) as isize), Some(r.int(-6, 6) as isize), r.below(3) as usize),
        10 => a.select(ax, r.int(-5, 5) as isize),
        11 => a.squeeze(Some(ax)),
        12 => a.unsqueeze(ax),
        13 => a.flatten(ax, r.int(-5, 5) as isize),
        14 => Tensor::cat(&[a.clone(), b.clone()], ax),
        15 => Tensor::stack(&[a.clone(), b.clone()], ax),
        16 => a.pad(&[pair(r, 0), pair(r, 0)][..r.below(3) as usize]),
        17 => a.conv2d(&b, None, pair(r, -1), pair(r, 0), pair(r, -1), r.below(4) as usize),
        18 => a.max_pool2d(pair(r, -1), pair(r, -1), pair(r, 0)),
        19 => a.avg_pool2d(pair(r, -1), pair(r, -1), pair(r, 0)),
        20 => a.adaptive_avg_pool2d(pair(r, -1)),
        21 => a.resize_bilinear(pair(r, -1)),
        22 => a.softmax(ax),
        23 => a.log_softmax(ax),
        24 => a.cross_entropy(&b),
        25 => a.mse_loss(&b),
        26 => a.batch_norm(None, None, None, r.below(2) == 0, 1e-5),
        27 => a.convolve1d_same(&b),
        28 => a.gather_cols(&b),
        _ => a.assign(&b).map(|_| a.clone()),
    };
    // and backward through whatever came out
    if let Ok(t) = out {
        if t.requires_grad() {
            let _ = t.sum_all().and_then(|l| l.backward());
        }
    }
}

#[test]
fn random_ops_never_panic() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..100_000 {
        let mut desc = String::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| step(&mut r, &mut desc)));
        assert!(outcome.is_ok(), "call {i} panicked: {desc}");
    }
}
