//! Shared helpers of the integration tests: the PyTorch golden fixtures and tolerant comparison.
#![allow(dead_code)]

pub mod fd;
pub mod nets;

use ferrograd_core::{Device, Tensor};
use serde_json::Value;
use std::path::PathBuf;

/// The tolerances for comparisons against PyTorch.
pub const RTOL: f32 = 1e-4;
pub const ATOL: f32 = 1e-5;

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/golden")
}

/// The cases of `test/fixtures/golden/<family>.json` (written by scripts/golden/generate.py).
pub fn cases(family: &str) -> Vec<Value> {
    let path = fixture_dir().join(format!("{family}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    let cases = doc["cases"].as_array().unwrap_or_else(|| panic!("{} has no cases", path.display())).clone();
    assert!(!cases.is_empty(), "{} has no cases", path.display());
    cases
}

pub fn shape_of(v: &Value) -> Vec<usize> {
    v["shape"].as_array().expect("shape").iter().map(|d| d.as_u64().expect("dim") as usize).collect()
}

pub fn data_of(v: &Value) -> Vec<f32> {
    // JSON has no infinities or NaN: the generator writes them as "inf", "-inf" and "nan"
    let value = |d: &Value| match d.as_str() {
        Some("inf") => f32::INFINITY,
        Some("-inf") => f32::NEG_INFINITY,
        Some("nan") => f32::NAN,
        _ => d.as_f64().expect("number") as f32,
    };
    v["data"].as_array().expect("data").iter().map(value).collect()
}

pub fn tensor(v: &Value) -> Tensor {
    Tensor::from_vec(data_of(v), &shape_of(v), &Device::Cpu).expect("fixture tensor")
}

pub fn pair(v: &Value) -> (usize, usize) {
    let a = v.as_array().expect("pair");
    (a[0].as_u64().unwrap() as usize, a[1].as_u64().unwrap() as usize)
}

/// Elementwise `|got - want| <= atol + rtol |want|`; the error names what was compared, the
/// worst element and how many elements are off.
pub fn close(what: &str, got: &[f32], got_shape: &[usize], want: &[f32], want_shape: &[usize]) -> Result<(), String> {
    close_tol(what, got, got_shape, want, want_shape, RTOL, ATOL)
}

pub fn close_tol(
    what: &str,
    got: &[f32],
    got_shape: &[usize],
    want: &[f32],
    want_shape: &[usize],
    rtol: f32,
    atol: f32,
) -> Result<(), String> {
    if got_shape != want_shape {
        return Err(format!("{what}: shape {got_shape:?}, expected {want_shape:?}"));
    }
    let mut bad = 0;
    let mut worst: Option<(usize, f32)> = None;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs();
        let ok = err <= atol + rtol * w.abs() || (g.is_nan() && w.is_nan()) || g == w;
        if !ok {
            bad += 1;
            let excess = if err.is_nan() { f32::INFINITY } else { err / (atol + rtol * w.abs()) };
            if worst.is_none_or(|(_, e)| excess > e) {
                worst = Some((i, excess));
            }
        }
    }
    match worst {
        None => Ok(()),
        Some((i, _)) => Err(format!(
            "{what}: {bad} of {} elements differ; worst at flat index {i}: got {}, expected {} (rtol {rtol}, atol {atol})",
            want.len(),
            got[i],
            want[i]
        )),
    }
}

pub fn close_to_fixture(what: &str, got: &Tensor, want: &Value) -> Result<(), String> {
    let g = got.to_vec().map_err(|e| format!("{what}: reading result: {e}"))?;
    close(what, &g, got.shape(), &data_of(want), &shape_of(want))
}

pub fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// Runs every case through `run`, then fails once, listing every failing case by name.
pub fn check_all(family: &str, run: impl Fn(&Value) -> Result<(), String>) {
    let cases = cases(family);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let name = c["name"].as_str().unwrap_or("?");
            let op = c["op"].as_str().unwrap_or("?");
            // a panicking case is reported with the others instead of hiding them
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(c)))
                .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(&p))));
            result.err().map(|e| format!("[{family}/{op}] {name}\n    {e}\n    torch: {}", c["torch"]))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} {family} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A tiny deterministic generator for the tests' own random shapes and values (independent of
/// the crate's RNG, so tests of the RNG cannot mask each other).
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..=hi`.
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
    /// Uniform in `[-1, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    pub fn normal(&mut self) -> f64 {
        let u1 = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let u2 = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    pub fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.normal() as f32).collect()
    }
    /// `n` shuffled values `spacing` apart: ties and kinks stay away from small perturbations.
    pub fn distinct(&mut self, n: usize, spacing: f32) -> Vec<f32> {
        let mut v: Vec<f32> = (0..n).map(|i| (i as f32 - n as f32 / 2.0 + 0.5) * spacing).collect();
        for i in (1..n).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
        v
    }
    pub fn tensor(&mut self, shape: &[usize]) -> Tensor {
        let n = shape.iter().product();
        Tensor::from_vec(self.vec(n), shape, &Device::Cpu).unwrap()
    }
}
