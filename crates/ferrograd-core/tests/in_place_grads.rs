//! Backward writes an activation's gradient over the incoming one, and adds a second gradient
//! into a pending one, when it holds the only reference (autograd/backward.rs): one gradient
//! map fewer per activation, the same values bit for bit.

use ferrograd_core::{live_buffers, peak_buffer_bytes, Device, Tensor};
use std::sync::Mutex;

// the memory counters are per process: one measuring test at a time
static LOCK: Mutex<()> = Mutex::new(());

fn data(n: usize, seed: usize) -> Vec<f32> {
    (0..n).map(|i| (((i + seed) * 7919 % 1009) as f32 - 504.0) / 97.0).collect()
}

fn leaf(v: Vec<f32>, shape: &[usize]) -> Tensor {
    let t = Tensor::from_vec(v, shape, &Device::Cpu).unwrap();
    t.set_requires_grad(true).unwrap();
    t
}

#[test]
fn an_activation_chain_backward_holds_one_gradient_map() {
    let _l = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let n = 1 << 16;
    let x = leaf(data(n, 1), &[n]);
    // four sigmoids, every output kept alive so backward frees none of them
    let mut ys = vec![x.sigmoid().unwrap()];
    for _ in 0..3 {
        ys.push(ys.last().unwrap().sigmoid().unwrap());
    }
    let loss = ys[3].sum_all().unwrap();
    let before = live_buffers().1;
    peak_buffer_bytes(true);
    loss.backward().unwrap();
    let during = peak_buffer_bytes(false) - before;
    // the sum's gradient (one map), written over by each sigmoid's; two maps would be 512 KiB
    let map = n * 4;
    assert!(during < map + map / 2, "backward held {during} B over the graph, one gradient map is {map} B");

    // the same values as the rule computes them: g · y(1 - y) with (1 - y) as y·(-1) + 1
    let ys: Vec<Vec<f32>> = ys.iter().map(|y| y.to_vec().unwrap()).collect();
    let mut want = vec![1.0f32; n];
    #[allow(clippy::neg_multiply)]
    for y in ys.iter().rev() {
        for (g, &y) in want.iter_mut().zip(y) {
            *g *= y * (y * -1.0 + 1.0);
        }
    }
    let got = x.grad().unwrap().to_vec().unwrap();
    assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn a_weight_used_twice_accumulates_both_gradients_exactly() {
    let _l = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (a, b) = (
        Tensor::from_vec(data(12, 3), &[3, 4], &Device::Cpu).unwrap(),
        Tensor::from_vec(data(20, 4), &[5, 4], &Device::Cpu).unwrap(),
    );
    let grad_of = |xs: &[&Tensor]| {
        let w = leaf(data(8, 5), &[4, 2]);
        let mut total: Option<Tensor> = None;
        for x in xs {
            let s = x.matmul(&w).unwrap().relu().unwrap().sum_all().unwrap();
            total = Some(match total {
                Some(t) => t.add(&s).unwrap(),
                None => s,
            });
        }
        total.unwrap().backward().unwrap();
        w.grad().unwrap().to_vec().unwrap()
    };
    let (ga, gb, both) = (grad_of(&[&a]), grad_of(&[&b]), grad_of(&[&a, &b]));
    for ((x, y), z) in ga.iter().zip(&gb).zip(&both) {
        assert_eq!((x + y).to_bits(), z.to_bits());
    }
}
