//! GPU benchmarks through wgpu (Vulkan natively): sgemm GFLOP/s, conv2d forward+backward for
//! LeNet's and ResNet-18@96's layers, and LeNet / small VGG@224 / ResNet-18@96 training images/s.
//! `scripts/bench/torch_ref.py --device cuda` times the same work with PyTorch CUDA (fp32, no
//! TF32) for the ratio; `scripts/bench/gpu-machine.sh` runs both.
//!
//! `cargo run --release -p ferrograd-core --features gpu --example gpu_bench [-- --quick]
//! [--full] [--json]`. This is what to run on a machine with a real GPU and a Vulkan driver.
//! On a CPU adapter (lavapipe, SwiftShader) the figures only show that it runs: those are
//! software rasterisers, and the 4096³ sgemm, VGG and ResNet-18 rows are skipped unless `--full`.

use ferrograd_core::backend::wgpu::GpuDevice;
use ferrograd_core::{Device, Result, Tensor};
use std::time::Instant;

struct Opts {
    quick: bool,
    full: bool,
    json: bool,
}

/// Seconds per call of `f`, after one warm-up call; each call ends with a one-element read,
/// which waits for everything submitted before it.
fn time(iters: usize, mut f: impl FnMut() -> Result<Tensor>) -> Result<f64> {
    let sync = |t: &Tensor| -> Result<()> {
        t.reshape(&[t.numel()])?.narrow(0, 0, 1)?.to_vec()?;
        Ok(())
    };
    sync(&f()?)?;
    let start = Instant::now();
    let mut last = None;
    for _ in 0..iters {
        last = Some(f()?);
    }
    if let Some(t) = last {
        sync(&t)?;
    }
    Ok(start.elapsed().as_secs_f64() / iters as f64)
}

fn param(shape: &[usize], fan_in: usize, dev: &Device) -> Result<Tensor> {
    let b = 1.0 / (fan_in as f32).sqrt();
    let p = Tensor::rand(shape, -b, b, dev)?;
    p.set_requires_grad(true)?;
    Ok(p)
}

fn sgd(params: &[Tensor], lr: f32) -> Result<()> {
    for p in params {
        if let Some(g) = p.grad() {
            p.axpby_(1.0, &g, -lr)?;
        }
        p.zero_grad();
    }
    Ok(())
}

struct LeNet(Vec<Tensor>);

impl LeNet {
    fn new(dev: &Device) -> Result<LeNet> {
        let s: [(&[usize], usize); 10] = [
            (&[6, 1, 5, 5], 25),
            (&[6], 25),
            (&[16, 6, 5, 5], 150),
            (&[16], 150),
            (&[120, 400], 400),
            (&[120], 400),
            (&[84, 120], 120),
            (&[84], 120),
            (&[10, 84], 84),
            (&[10], 84),
        ];
        Ok(LeNet(s.iter().map(|(sh, f)| param(sh, *f, dev)).collect::<Result<_>>()?))
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let p = &self.0;
        let x =
            x.conv2d(&p[0], Some(&p[1]), (1, 1), (2, 2), (1, 1), 1)?.sigmoid()?.avg_pool2d((2, 2), (2, 2), (0, 0))?;
        let x =
            x.conv2d(&p[2], Some(&p[3]), (1, 1), (0, 0), (1, 1), 1)?.sigmoid()?.avg_pool2d((2, 2), (2, 2), (0, 0))?;
        let x = x.flatten(1, -1)?.matmul(&p[4].t()?)?.add(&p[5])?.sigmoid()?;
        let x = x.matmul(&p[6].t()?)?.add(&p[7])?.sigmoid()?;
        x.matmul(&p[8].t()?)?.add(&p[9])
    }
}

/// d2l's small VGG (§8.2: VGG-11's blocks with a quarter of the channels) for 224×224 inputs.
struct Vgg(Vec<Tensor>);

const VGG_ARCH: [(usize, usize); 5] = [(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)];

impl Vgg {
    fn new(dev: &Device) -> Result<Vgg> {
        let mut p = Vec::new();
        let mut cin = 1;
        for (convs, cout) in VGG_ARCH {
            for _ in 0..convs {
                p.push(param(&[cout, cin, 3, 3], cin * 9, dev)?);
                p.push(param(&[cout], cin * 9, dev)?);
                cin = cout;
            }
        }
        for (fin, fout) in [(cin * 7 * 7, 4096), (4096, 4096), (4096, 10)] {
            p.push(param(&[fout, fin], fin, dev)?);
            p.push(param(&[fout], fin, dev)?);
        }
        Ok(Vgg(p))
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let p = &self.0;
        let mut x = x.clone();
        let mut i = 0;
        for (convs, _) in VGG_ARCH {
            for _ in 0..convs {
                x = x.conv2d(&p[i], Some(&p[i + 1]), (1, 1), (1, 1), (1, 1), 1)?.relu()?;
                i += 2;
            }
            x = x.max_pool2d((2, 2), (2, 2), (0, 0))?;
        }
        let mut x = x.flatten(1, -1)?;
        for layer in 0..3 {
            x = x.matmul(&p[i].t()?)?.add(&p[i + 1])?;
            if layer < 2 {
                x = x.relu()?.dropout(0.5, true)?;
            }
            i += 2;
        }
        Ok(x)
    }
}

/// d2l's ResNet-18 for 96×96 Fashion-MNIST: convolutions, batch-norm, residual additions.
struct ResNet18 {
    params: Vec<Tensor>,
}

impl ResNet18 {
    fn new(dev: &Device) -> Result<ResNet18> {
        let mut params = Vec::new();
        let mut conv_bn = |cin: usize, cout: usize, k: usize| -> Result<()> {
            params.push(param(&[cout, cin, k, k], cin * k * k, dev)?);
            params.push(Tensor::ones(&[cout], dev)?);
            params.push(Tensor::zeros(&[cout], dev)?);
            Ok(())
        };
        conv_bn(1, 64, 7)?;
        let mut cin = 64;
        for (i, cout) in [64, 128, 256, 512].into_iter().enumerate() {
            for b in 0..2 {
                let down = i > 0 && b == 0;
                conv_bn(cin, cout, 3)?;
                conv_bn(cout, cout, 3)?;
                if down {
                    conv_bn(cin, cout, 1)?;
                }
                cin = cout;
            }
        }
        params.push(param(&[10, 512], 512, dev)?);
        params.push(Tensor::zeros(&[10], dev)?);
        for p in &params {
            p.set_requires_grad(true)?;
        }
        Ok(ResNet18 { params })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut next = 0;
        let mut layer = |x: &Tensor, stride: usize, pad: usize| -> Result<Tensor> {
            let p = &self.params[next..next + 3];
            next += 3;
            x.conv2d(&p[0], None, (stride, stride), (pad, pad), (1, 1), 1)?.batch_norm(
                Some(&p[1]),
                Some(&p[2]),
                None,
                true,
                1e-5,
            )
        };
        let mut x = layer(x, 2, 3)?.relu()?.max_pool2d((3, 3), (2, 2), (1, 1))?;
        for i in 0..4 {
            for b in 0..2 {
                let down = i > 0 && b == 0;
                let s = if down { 2 } else { 1 };
                let y = layer(&x, s, 1)?.relu()?;
                let y = layer(&y, 1, 1)?;
                let short = if down { layer(&x, 2, 0)? } else { x.clone() };
                x = y.add(&short)?.relu()?;
            }
        }
        let n = self.params.len();
        let x = x.adaptive_avg_pool2d((1, 1))?.flatten(1, -1)?;
        x.matmul(&self.params[n - 2].t()?)?.add(&self.params[n - 1])
    }
}

fn labels(n: usize, dev: &Device) -> Result<Tensor> {
    Tensor::from_vec((0..n).map(|i| ((i * 7) % 10) as f32).collect(), &[n], dev)
}

/// Training images/s of one SGD step (forward, cross-entropy, backward, update) on a random
/// `[batch, 1, size, size]` batch.
fn images_per_s(
    iters: usize,
    [batch, size]: [usize; 2],
    params: &[Tensor],
    lr: f32,
    dev: &Device,
    forward: impl Fn(&Tensor) -> Result<Tensor>,
) -> Result<f64> {
    let x = Tensor::rand(&[batch, 1, size, size], 0.0, 1.0, dev)?;
    let y = labels(batch, dev)?;
    let step = time(iters, || {
        let loss = forward(&x)?.cross_entropy(&y)?;
        loss.backward()?;
        sgd(params, lr)?;
        Ok(loss)
    })?;
    Ok(batch as f64 / step)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let o = Opts {
        quick: args.iter().any(|a| a == "--quick"),
        full: args.iter().any(|a| a == "--full"),
        json: args.iter().any(|a| a == "--json"),
    };
    let gpu = GpuDevice::new_blocking()?;
    let cpu_adapter =
        gpu.info().contains("Cpu") || gpu.info().contains("llvmpipe") || gpu.info().contains("SwiftShader");
    let dev = Device::Gpu(gpu.clone());
    let mut rows: Vec<(String, String, f64)> = Vec::new();
    let mut row = |name: String, unit: &str, v: f64| {
        if !o.json {
            println!("{name:<40}{v:>12.2} {unit}");
        }
        rows.push((name, unit.to_string(), v));
    };
    if !o.json {
        println!("ferrograd GPU bench — {}", gpu.info());
        if cpu_adapter {
            println!("NOTE: a CPU adapter (software Vulkan): these figures are for correctness only and say nothing about GPU speed");
        }
    }
    let big = !cpu_adapter || o.full;
    let iters = |n: usize| if o.quick || cpu_adapter { 1.max(n / 4) } else { n };

    for n in [1024usize, 4096] {
        if n == 4096 && !big {
            continue;
        }
        let a = Tensor::rand(&[n, n], -1.0, 1.0, &dev)?;
        let b = Tensor::rand(&[n, n], -1.0, 1.0, &dev)?;
        let s = time(iters(if n == 1024 { 20 } else { 4 }), || a.matmul(&b))?;
        row(format!("sgemm {n}³"), "GFLOP/s", 2.0 * (n as f64).powi(3) / s / 1e9);
    }

    // name, then [batch, c_in, h, w, c_out, k, stride, pad], as scripts/bench/kernels.mjs
    let convs: [(&str, [usize; 8]); 5] = [
        ("LeNet conv1 1→6 28² k5 p2", [128, 1, 28, 28, 6, 5, 1, 2]),
        ("LeNet conv2 6→16 14² k5", [128, 6, 14, 14, 16, 5, 1, 0]),
        ("R18 64→64 24² 3×3", [32, 64, 24, 24, 64, 3, 1, 1]),
        ("R18 128→256 12²→6² s2", [32, 128, 12, 12, 256, 3, 2, 1]),
        ("R18 512→512 3² 3×3", [32, 512, 3, 3, 512, 3, 1, 1]),
    ];
    for (name, [n, cin, h, w, cout, k, s, p]) in convs {
        let x = Tensor::rand(&[n, cin, h, w], -1.0, 1.0, &dev)?;
        x.set_requires_grad(true)?;
        let wt = param(&[cout, cin, k, k], cin * k * k, &dev)?;
        let oh = (h + 2 * p - k) / s + 1;
        let flop = 2.0 * (n * cout * oh * oh * cin * k * k) as f64;
        let fwd = time(iters(10), || x.conv2d(&wt, None, (s, s), (p, p), (1, 1), 1))?;
        row(format!("conv fwd {name}"), "GFLOP/s", flop / fwd / 1e9);
        let fb = time(iters(10), || {
            let y = x.conv2d(&wt, None, (s, s), (p, p), (1, 1), 1)?;
            y.sum_all()?.backward()?;
            Ok(wt.grad().expect("weight grad"))
        })?;
        row(format!("conv fwd+bwd {name}"), "GFLOP/s", 3.0 * flop / fb / 1e9);
    }

    let batch = if cpu_adapter { 64 } else { 256 };
    let net = LeNet::new(&dev)?;
    let rate = images_per_s(iters(20), [batch, 28], &net.0, 0.1, &dev, |x| net.forward(x))?;
    row(format!("LeNet training, batch {batch}"), "img/s", rate);

    if big {
        let batch = 32;
        let net = Vgg::new(&dev)?;
        let rate = images_per_s(iters(10), [batch, 224], &net.0, 0.01, &dev, |x| net.forward(x))?;
        row(format!("small VGG@224 training, batch {batch}"), "img/s", rate);
        let net = ResNet18::new(&dev)?;
        let rate = images_per_s(iters(10), [batch, 96], &net.params, 0.05, &dev, |x| net.forward(x))?;
        row(format!("ResNet-18@96 training, batch {batch}"), "img/s", rate);
    }

    if o.json {
        let items: Vec<String> =
            rows.iter().map(|(n, u, v)| format!("{{\"name\":{:?},\"unit\":{:?},\"value\":{v:.3}}}", n, u)).collect();
        println!("{{\"adapter\":{:?},\"cpuAdapter\":{cpu_adapter},\"rows\":[{}]}}", gpu.info(), items.join(","));
    }
    gpu.release();
    Ok(())
}
