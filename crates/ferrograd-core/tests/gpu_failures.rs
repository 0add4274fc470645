//! Failure modes of the GPU backend: each must be a clear error (or NaN plus an error at the
//! next read), never a hang, a panic or a silent wrong answer; the device keeps working after.
#![cfg(feature = "gpu")]

use ferrograd_core::backend::wgpu::GpuDevice;
use ferrograd_core::{Device, Tensor};
use std::sync::OnceLock;

fn shared() -> GpuDevice {
    static DEV: OnceLock<std::result::Result<GpuDevice, String>> = OnceLock::new();
    DEV.get_or_init(|| GpuDevice::new_blocking().map_err(|e| e.to_string()))
        .clone()
        .unwrap_or_else(|e| panic!("no GPU adapter ({e}); install mesa-vulkan-drivers"))
}

fn still_works(d: &Device) {
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3], d).unwrap();
    assert_eq!(x.mul(&x).unwrap().sum_all().unwrap().to_vec().unwrap(), vec![14.0]);
}

#[test]
fn adapter_is_reported() {
    let d = shared();
    assert!(!d.info().is_empty());
    eprintln!("GPU adapter: {} (max buffer {} MiB)", d.info(), d.max_buffer_bytes() >> 20);
    d.warm_up().unwrap();
}

#[test]
fn mixed_devices_are_a_clear_error() {
    let g = Device::Gpu(shared());
    let a = Tensor::ones(&[2, 2], &g).unwrap();
    let b = Tensor::ones(&[2, 2], &Device::Cpu).unwrap();
    for e in [a.add(&b).unwrap_err(), a.matmul(&b).unwrap_err(), Tensor::cat(&[a.clone(), b.clone()], 0).unwrap_err()] {
        assert!(e.to_string().contains("different devices") || e.to_string().contains("is on"), "{e}");
    }
    still_works(&g);
}

#[test]
fn bad_labels_give_nan_and_an_error_at_the_next_read() {
    let g = Device::Gpu(shared());
    let logits = Tensor::from_vec(vec![0.5; 6], &[2, 3], &g).unwrap();
    let labels = Tensor::from_vec(vec![1.0, 3.0], &[2], &g).unwrap();
    let loss = logits.cross_entropy(&labels).unwrap();
    let e = loss.to_vec().unwrap_err().to_string();
    assert!(e.contains("class index was out of range"), "{e}");
    // reported once; the value itself is NaN, not a plausible number
    assert!(loss.to_vec().unwrap()[0].is_nan());
    let fractional = Tensor::from_vec(vec![0.5, 1.0], &[2], &g).unwrap();
    assert!(logits.gather_cols(&fractional).unwrap().to_vec().is_err());
    still_works(&g);
}

#[test]
fn too_large_allocation_is_a_clear_error() {
    let d = shared();
    let g = Device::Gpu(d.clone());
    // One float past the device's per-buffer limit, or past the crate's own limit.
    let n = ((d.max_buffer_bytes() / 4) as usize + 1).min(ferrograd_core::shape::MAX_ELEMENTS + 1);
    let e = Tensor::zeros(&[n], &g).unwrap_err().to_string();
    assert!(e.contains("limit") || e.contains("too many elements"), "{e}");
    still_works(&g);
}

#[test]
fn ops_are_batched_into_few_submits_and_buffers_are_reused() {
    let d = GpuDevice::new_blocking().unwrap();
    let g = Device::Gpu(d.clone());
    let mut x = Tensor::ones(&[1000], &g).unwrap();
    x.to_vec().unwrap();
    let before = d.stats();
    for _ in 0..320 {
        x = x.mul_scalar(1.001).unwrap().add_scalar(-0.001).unwrap();
    }
    let got = x.to_vec().unwrap();
    let after = d.stats();
    let submits = after.submits - before.submits;
    let created = after.buffers_created - before.buffers_created;
    // 640 kernels, at most 32 per submit; intermediates come back from the pool each submit
    assert!(submits <= 640 / 32 + 2, "{submits} submits for 640 kernels");
    assert!(created <= 70, "{created} buffers created for 640 results of one size");
    let want = (0..320).fold(1.0f32, |v, _| v * 1.001 - 0.001);
    assert!((got[0] - want).abs() < 1e-5 && got.iter().all(|&v| v == got[0]), "{} vs {want}", got[0]);
}

#[test]
fn a_released_device_fails_clearly_and_a_new_one_works() {
    let d = GpuDevice::new_blocking().unwrap();
    let g = Device::Gpu(d.clone());
    let x = Tensor::ones(&[4], &g).unwrap();
    d.release();
    assert!(d.is_lost());
    let e = x.add(&x).unwrap_err().to_string();
    assert!(e.contains("GPU device was lost") && e.contains("releaseGpu"), "{e}");
    assert!(x.to_vec().unwrap_err().to_string().contains("lost"));
    drop(x);
    let fresh = Device::Gpu(GpuDevice::new_blocking().unwrap());
    still_works(&fresh);
}
