//! Small networks written with core ops, and a plain SGD step: what several tests train
//! (thread-count independence, no allocation in the hot loop, GPU against CPU).

use ferrograd_core::{BatchNormState, Result, Tensor};

/// d2l's LeNet (§7.6). Parameter shapes in order: conv1 weight/bias, conv2 weight/bias, then three linear layers.
pub const LENET: [&[usize]; 10] =
    [&[6, 1, 5, 5], &[6], &[16, 6, 5, 5], &[16], &[120, 400], &[120], &[84, 120], &[84], &[10, 84], &[10]];

/// Logits of a `[n, 1, 28, 28]` batch, with the parameters in [`LENET`] order.
pub fn lenet(x: &Tensor, p: &[Tensor]) -> Result<Tensor> {
    let h = x.conv2d(&p[0], Some(&p[1]), (1, 1), (2, 2), (1, 1), 1)?.sigmoid()?.avg_pool2d((2, 2), (2, 2), (0, 0))?;
    let h = h.conv2d(&p[2], Some(&p[3]), (1, 1), (0, 0), (1, 1), 1)?.sigmoid()?.avg_pool2d((2, 2), (2, 2), (0, 0))?;
    let h = h.flatten(1, -1)?.matmul(&p[4].t()?)?.add(&p[5])?.sigmoid()?;
    let h = h.matmul(&p[6].t()?)?.add(&p[7])?.sigmoid()?;
    h.matmul(&p[8].t()?)?.add(&p[9])
}

/// Clears the gradients, back-propagates `loss` and takes one SGD step of rate `lr`.
pub fn sgd_step(params: &[Tensor], loss: &Tensor, lr: f32) -> Result<()> {
    for q in params {
        q.set_grad(None);
    }
    loss.backward()?;
    for q in params {
        q.axpby_(1.0, &q.grad().expect("grad"), -lr)?;
    }
    Ok(())
}

/// Parameter shapes of [`residual_block`] for `c` input and `2c` output channels.
pub fn residual_shapes(c: usize) -> [Vec<usize>; 6] {
    [vec![2 * c, c, 3, 3], vec![2 * c, 2 * c, 3, 3], vec![2 * c, c, 1, 1], vec![2 * c], vec![2 * c], vec![10, 2 * c]]
}

/// A ResNet step's layers: conv-bn-relu-conv-bn plus a 1x1 stride-2 shortcut, relu, global
/// average pool and a linear layer to 10 logits (one batch-norm's parameters serve both).
pub fn residual_block(x: &Tensor, p: &[Tensor], running_mean: &Tensor, running_var: &Tensor) -> Result<Tensor> {
    let st = || Some(BatchNormState { running_mean, running_var, momentum: 0.1 });
    let y = x
        .conv2d(&p[0], None, (2, 2), (1, 1), (1, 1), 1)?
        .batch_norm(Some(&p[3]), Some(&p[4]), st(), true, 1e-5)?
        .relu()?;
    let y = y.conv2d(&p[1], None, (1, 1), (1, 1), (1, 1), 1)?.batch_norm(Some(&p[3]), Some(&p[4]), st(), true, 1e-5)?;
    let y = y.add(&x.conv2d(&p[2], None, (2, 2), (0, 0), (1, 1), 1)?)?.relu()?;
    y.adaptive_avg_pool2d((1, 1))?.flatten(1, -1)?.matmul(&p[5].t()?)
}
