//! No allocation in the hot loop: after warm-up, a LeNet training step and a ResNet block's
//! step (batch norm, strided and 1x1 convolutions, max pooling) on 1 and 2 threads take
//! every tensor-sized buffer (activations, gradients, im2col columns, GEMM panels, per-task
//! partial sums) from the buffer pool or a thread's scratch, never from the allocator. A counting
//! global allocator (this test binary's own) watches allocations of 4 KiB and more.

mod common;

use common::nets;
use ferrograd_core::runtime::threads::with_threads;
use ferrograd_core::{Device, Tensor};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LARGE: AtomicUsize = AtomicUsize::new(0);
const LARGE_BYTES: usize = 4096;

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.size() >= LARGE_BYTES && COUNTING.load(Ordering::Relaxed) {
            LARGE.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
        if size >= LARGE_BYTES && COUNTING.load(Ordering::Relaxed) {
            LARGE.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(p, l, size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// One test at a time, setup included: the counter is process-wide.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn data(n: usize, seed: u32) -> Vec<f32> {
    (0..n).map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 2001) as f32 / 1000.0 - 1.0).collect()
}

fn t(shape: &[usize], seed: u32, grad: bool) -> Tensor {
    let x = Tensor::from_vec(data(shape.iter().product(), seed), shape, &Device::Cpu).unwrap();
    x.set_requires_grad(grad).unwrap();
    x
}

#[test]
fn lenet_steps_allocate_no_large_buffers_after_warm_up() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p: Vec<Tensor> = nets::LENET.iter().enumerate().map(|(i, s)| t(s, i as u32, true)).collect();
    let x = t(&[64, 1, 28, 28], 99, false);
    let labels = Tensor::from_vec((0..64).map(|i| (i % 10) as f32).collect(), &[64], &Device::Cpu).unwrap();
    let step = || nets::sgd_step(&p, &nets::lenet(&x, &p)?.cross_entropy(&labels)?, 0.1);
    no_large_allocations("LeNet", step);
}

#[test]
fn residual_block_steps_allocate_no_large_buffers_after_warm_up() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let x = t(&[8, 16, 24, 24], 7, false);
    let p: Vec<Tensor> = nets::residual_shapes(16).iter().enumerate().map(|(i, s)| t(s, 20 + i as u32, true)).collect();
    let (rm, rv) = (Tensor::zeros(&[32], &Device::Cpu).unwrap(), Tensor::ones(&[32], &Device::Cpu).unwrap());
    let labels = Tensor::from_vec((0..8).map(|i| i as f32).collect(), &[8], &Device::Cpu).unwrap();
    let step = || {
        // max pooling in front, as ResNet's stem has it
        let y = x.max_pool2d((3, 3), (1, 1), (1, 1))?;
        nets::sgd_step(&p, &nets::residual_block(&y, &p, &rm, &rv)?.cross_entropy(&labels)?, 0.1)
    };
    no_large_allocations("residual block", step);
}

/// Warm-up steps, then three counted ones, on 1 and 2 threads. Which pool thread runs which
/// task is up to the scheduler, and each thread grows its own scratch the first time it runs a
/// task that needs more: on a loaded machine a thread may sit out whole steps, so warm-up lasts
/// until three steps in a row allocate nothing (at most 30 steps), then three more are counted.
fn no_large_allocations(name: &str, step: impl Fn() -> ferrograd_core::Result<()>) {
    for threads in [1, 2] {
        with_threads(threads, || {
            let (mut quiet, mut warm) = (0, 0);
            while quiet < 3 && warm < 30 {
                LARGE.store(0, Ordering::Relaxed);
                COUNTING.store(true, Ordering::Relaxed);
                step().unwrap();
                COUNTING.store(false, Ordering::Relaxed);
                quiet = if LARGE.load(Ordering::Relaxed) == 0 { quiet + 1 } else { 0 };
                warm += 1;
            }
            LARGE.store(0, Ordering::Relaxed);
            COUNTING.store(true, Ordering::Relaxed);
            for _ in 0..3 {
                step().unwrap();
            }
            COUNTING.store(false, Ordering::Relaxed);
        });
        assert_eq!(
            LARGE.load(Ordering::Relaxed),
            0,
            "{name}, {threads} thread(s): allocations of >= 4 KiB in three warm steps"
        );
    }
}
