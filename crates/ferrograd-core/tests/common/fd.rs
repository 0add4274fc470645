//! Finite-difference gradient checks. The ops are f32, so the numeric side evaluates the f32 op
//! at x ± h (h = 1e-2), but divides by the perturbation actually representable in f32 and
//! accumulates the scalar objective in f64: what is left is f32 rounding of the outputs that the
//! perturbation touches, far below the tolerance.

use super::TestRng;
use ferrograd_core::{no_grad, Device, Result, Tensor};

const H: f64 = 1e-2;
const RTOL: f64 = 1e-2;
const ATOL: f64 = 2e-3;
/// Inputs up to this size are checked element by element; larger ones along random directions.
const PER_ELEMENT_MAX: usize = 160;
const DIRECTIONS: usize = 6;

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Checks the gradients of `sum(f(inputs) * u)` (for a random `u`) with respect to every input
/// against central differences. `f` must be a pure function of its inputs (reseed inside it when
/// it draws random numbers). Errors name the check, the input and the element or direction.
pub fn gradcheck(
    name: &str,
    inputs: impl AsRef<[Tensor]>,
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
) -> std::result::Result<(), String> {
    let mut rng = TestRng::new(hash(name));
    let err = |e: ferrograd_core::Error| format!("{name}: {e}");
    let leaves: Vec<Tensor> = inputs
        .as_ref()
        .iter()
        .map(|t| {
            let l = Tensor::from_vec(t.to_vec()?, t.shape(), &Device::Cpu)?;
            l.set_requires_grad(true)?;
            Ok(l)
        })
        .collect::<Result<_>>()
        .map_err(err)?;
    let y = f(&leaves).map_err(err)?;
    let u: Vec<f64> = (0..y.numel()).map(|_| rng.normal()).collect();
    let ut = Tensor::from_vec(u.iter().map(|&v| v as f32).collect(), y.shape(), &Device::Cpu).map_err(err)?;
    // the objective, evaluated exactly as the numeric side does, but through autograd
    y.mul(&ut).and_then(|t| t.sum_all()).and_then(|l| l.backward()).map_err(err)?;
    let u: Vec<f64> = ut.to_vec().map_err(err)?.iter().map(|&v| v as f64).collect();

    let objective = |xs: &[Tensor]| -> std::result::Result<f64, String> {
        let y = no_grad(|| f(xs)).map_err(err)?;
        Ok(y.to_vec().map_err(err)?.iter().zip(&u).map(|(&a, &b)| a as f64 * b).sum())
    };
    let values: Vec<Vec<f32>> = leaves.iter().map(|t| t.to_vec()).collect::<Result<_>>().map_err(err)?;
    let with = |i: usize, v: Vec<f32>| -> std::result::Result<Vec<Tensor>, String> {
        let mut xs: Vec<Tensor> = values
            .iter()
            .zip(&leaves)
            .map(|(d, t)| Tensor::from_vec(d.clone(), t.shape(), &Device::Cpu))
            .collect::<Result<_>>()
            .map_err(err)?;
        xs[i] = Tensor::from_vec(v, leaves[i].shape(), &Device::Cpu).map_err(err)?;
        Ok(xs)
    };

    for (i, leaf) in leaves.iter().enumerate() {
        let n = leaf.numel();
        let grad = match leaf.grad() {
            Some(g) => g.to_vec().map_err(err)?,
            None => vec![0.0; n],
        };
        if grad.len() != n {
            return Err(format!("{name}: gradient of input {i} has {} elements, the input {n}", grad.len()));
        }
        // (direction, label): unit vectors for small inputs, random ones for large inputs
        let dirs: Vec<(Vec<f64>, String)> = if n <= PER_ELEMENT_MAX {
            (0..n)
                .map(|k| {
                    let mut d = vec![0.0; n];
                    d[k] = 1.0;
                    (d, format!("element {k}"))
                })
                .collect()
        } else {
            (0..DIRECTIONS).map(|k| ((0..n).map(|_| rng.normal()).collect(), format!("random direction {k}"))).collect()
        };
        for (d, label) in dirs {
            let shifted = |sign: f64| -> (Vec<f32>, Vec<f32>) {
                let v: Vec<f32> = values[i].iter().zip(&d).map(|(&x, &dk)| (x as f64 + sign * H * dk) as f32).collect();
                let step: Vec<f32> = v.iter().zip(&values[i]).map(|(a, b)| a - b).collect();
                (v, step)
            };
            let ((plus, sp), (minus, sm)) = (shifted(1.0), shifted(-1.0));
            // the perturbation actually applied, as a multiple of d
            let applied: f64 = sp.iter().zip(&sm).zip(&d).map(|((a, b), dk)| (*a as f64 - *b as f64) * dk).sum::<f64>()
                / d.iter().map(|v| v * v).sum::<f64>();
            let numeric = (objective(&with(i, plus)?)? - objective(&with(i, minus)?)?) / applied;
            let analytic: f64 = grad.iter().zip(&d).map(|(&g, &dk)| g as f64 * dk).sum();
            let scale = if n <= PER_ELEMENT_MAX { 1.0 } else { (n as f64).sqrt() };
            if (numeric - analytic).abs() > ATOL * scale + RTOL * numeric.abs().max(analytic.abs()) {
                return Err(format!(
                    "{name}: input {i} (shape {:?}), {label}: autograd {analytic:.6}, finite differences {numeric:.6}",
                    leaf.shape()
                ));
            }
        }
    }
    Ok(())
}

/// Runs several named checks and reports every failure at once.
pub fn all(results: Vec<std::result::Result<(), String>>) {
    let failures: Vec<String> = results.into_iter().filter_map(|r| r.err()).collect();
    assert!(failures.is_empty(), "{} gradient checks failed:\n{}", failures.len(), failures.join("\n"));
}

pub fn t(data: Vec<f32>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(data, shape, &Device::Cpu).unwrap()
}
