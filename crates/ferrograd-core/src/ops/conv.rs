use crate::autograd::Op;
use crate::backend::{Activation, Conv2dParams};
use crate::shape::check_shape;
use crate::{bail, Error, Result, Tensor};

fn with_weight(e: Error, ws: &[usize]) -> Error {
    e.map_msg(|m| format!("{m} (weight {ws:?})"))
}

/// Output size of one spatial axis, or an error naming the axis. `k >= 1` and `s >= 1` (the
/// callers check them first). Checked arithmetic: on wasm32 `usize` is 32 bits and the sizes
/// come straight from JS.
#[allow(clippy::too_many_arguments)]
pub(crate) fn out_size(
    op: &'static str,
    axis: &str,
    input: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    shape: &[usize],
) -> Result<usize> {
    let eff = d.checked_mul(k - 1).and_then(|v| v.checked_add(1));
    let padded = p.checked_mul(2).and_then(|v| v.checked_add(input));
    let (Some(eff), Some(padded)) = (eff, padded) else {
        bail!(op, "kernel {axis} {k} with dilation {d} and padding {p} is too large (input shape {shape:?})");
    };
    if padded < eff {
        let dilated = if d > 1 { format!(" (dilated to {eff})") } else { String::new() };
        bail!(op, "kernel {axis} {k}{dilated} is larger than the padded input {axis} {padded} (input shape {shape:?}, padding {p})");
    }
    Ok((padded - eff) / s + 1)
}

impl Tensor {
    /// 2-D cross-correlation of an NCHW batch with `[C_out, C_in/groups, kH, kW]` filters, as
    /// `torch.nn.functional.conv2d`.
    pub fn conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: (usize, usize),
        padding: (usize, usize),
        dilation: (usize, usize),
        groups: usize,
    ) -> Result<Tensor> {
        self.conv2d_impl(weight, bias, (stride, padding, dilation), groups, None)
    }

    /// `act(conv2d(...))` in one op (d2l's conv + ReLU/sigmoid pairs): the activation runs as the
    /// conv's epilogue, and backward keeps the output instead of the pre-activation, so the
    /// pair holds one activation map, not two. Values and gradients are bit for bit those of
    /// the two ops.
    #[allow(clippy::too_many_arguments)]
    pub fn conv2d_act(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: (usize, usize),
        padding: (usize, usize),
        dilation: (usize, usize),
        groups: usize,
        act: Activation,
    ) -> Result<Tensor> {
        self.conv2d_impl(weight, bias, (stride, padding, dilation), groups, Some(act))
    }

    fn conv2d_impl(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        (stride, padding, dilation): ((usize, usize), (usize, usize), (usize, usize)),
        groups: usize,
        act: Option<Activation>,
    ) -> Result<Tensor> {
        let (xs, ws) = (self.shape(), weight.shape());
        if self.rank() != 4 {
            bail!("conv2d", "expected a 4-D input (N, C, H, W), got shape {xs:?}");
        }
        if weight.rank() != 4 {
            bail!("conv2d", "expected a 4-D weight (C_out, C_in/groups, kH, kW), got shape {ws:?}");
        }
        if stride.0 == 0 || stride.1 == 0 {
            bail!("conv2d", "stride must be positive, got {stride:?} (input {xs:?}, weight {ws:?})");
        }
        if dilation.0 == 0 || dilation.1 == 0 {
            bail!("conv2d", "dilation must be positive, got {dilation:?} (input {xs:?}, weight {ws:?})");
        }
        if groups == 0 || xs[1] % groups != 0 || ws[0] % groups != 0 {
            bail!(
                "conv2d",
                "groups {groups} must divide both in_channels {} and out_channels {} (input {xs:?}, weight {ws:?})",
                xs[1],
                ws[0]
            );
        }
        if ws[1] * groups != xs[1] {
            bail!(
                "conv2d",
                "expected input {xs:?} to have {} channels (weight {ws:?}, groups {groups}), but got {} channels",
                ws[1] * groups,
                xs[1]
            );
        }
        if ws[2] == 0 || ws[3] == 0 {
            bail!("conv2d", "kernel size must be positive, got weight {ws:?} (input {xs:?})");
        }
        if let Some(b) = bias {
            if b.shape().as_slice() != [ws[0]] {
                bail!("conv2d", "bias of shape {:?} does not match {} output channels", b.shape(), ws[0]);
            }
        }
        let out_h = out_size("conv2d", "height", xs[2], ws[2], stride.0, padding.0, dilation.0, xs)
            .map_err(|e| with_weight(e, ws))?;
        let out_w = out_size("conv2d", "width", xs[3], ws[3], stride.1, padding.1, dilation.1, xs)
            .map_err(|e| with_weight(e, ws))?;
        check_shape("conv2d", &[xs[0], ws[0], out_h, out_w]).map_err(|e| {
            e.map_msg(|msg| format!("{msg} (the output of input {xs:?}, weight {ws:?}, padding {padding:?})"))
        })?;
        if xs[0] == 0 {
            // An empty batch gives an empty batch, as in PyTorch. No kernel runs (they assume
            // an image per chunk); the graph still reaches input, weight and bias (zero grads).
            let mut out = Tensor::zeros(&[0, ws[0], out_h, out_w], &self.device())?;
            for t in [Some(self), Some(weight), bias].into_iter().flatten() {
                out = out.add(&t.sum_all()?.affine(0.0, 0.0)?)?;
            }
            return match act {
                Some(a) => out.unary(a.unary()),
                None => Ok(out),
            };
        }
        // Every backend unfolds at least one image: [C_in/groups * kH * kW, out_h * out_w].
        if check_shape("conv2d", &[ws[1], ws[2], ws[3], out_h, out_w]).is_err() {
            bail!(
                "conv2d", "the unfolded input of one image ({} x {} x {} x {out_h} x {out_w}) is too large (input {xs:?}, weight {ws:?}, padding {padding:?}, dilation {dilation:?})",
                ws[1], ws[2], ws[3]
            );
        }
        let p = Conv2dParams {
            n: xs[0],
            c_in: xs[1],
            h: xs[2],
            w: xs[3],
            c_out: ws[0],
            kh: ws[2],
            kw: ws[3],
            stride,
            padding,
            dilation,
            groups,
            out_h,
            out_w,
        };
        let (x, w) = (self.dense()?, weight.dense()?);
        let b = bias.map(|b| b.dense()).transpose()?;
        let s = {
            let bs = b.as_ref().map(|b| b.storage());
            match act {
                Some(a) => x.storage().conv2d_act(&w.storage(), bs.as_deref(), &p, a)?,
                None => x.storage().conv2d(&w.storage(), bs.as_deref(), &p)?,
            }
        };
        let op = |out: Option<Tensor>| Op::Conv2d { input: x, weight: w, bias: b, p, act: act.zip(out) };
        Ok(match act {
            Some(_) => Tensor::from_op_saving_output(s, &p.output_shape(), |out| op(Some(out))),
            None => Tensor::from_op(s, &p.output_shape(), Some(op(None))),
        })
    }

    /// 2-D transposed convolution ("deconvolution") of an NCHW batch, or one CHW image, with
    /// `[C_in, C_out/groups, kH, kW]` filters, as `torch.nn.functional.conv_transpose2d`.
    ///
    /// It is the input-gradient of the conv2d that maps its output `[N, C_out, Ho, Wo]` back to
    /// `[N, C_in, H, W]` (`Ho = (H-1)·s - 2·pad + d·(k-1) + output_padding + 1`), so the
    /// backends' conv2d kernels compute it in both directions.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        stride: (usize, usize),
        padding: (usize, usize),
        output_padding: (usize, usize),
        dilation: (usize, usize),
        groups: usize,
    ) -> Result<Tensor> {
        const OP: &str = "conv_transpose2d";
        let (xs, ws) = (self.shape().clone(), weight.shape().clone());
        if self.rank() == 3 {
            // unbatched, as PyTorch: one image in, one image out
            let x = self.reshape(&[1, xs[0], xs[1], xs[2]])?;
            let y = x.conv_transpose2d(weight, bias, stride, padding, output_padding, dilation, groups)?;
            let ys = y.shape().clone();
            return y.reshape(&ys[1..]);
        }
        if self.rank() != 4 {
            bail!(OP, "expected a 3-D (unbatched) or 4-D (batched) input (N, C_in, H, W), got shape {xs:?}");
        }
        if weight.rank() != 4 {
            bail!(OP, "expected a 4-D weight (C_in, C_out/groups, kH, kW), got shape {ws:?}");
        }
        if stride.0 == 0 || stride.1 == 0 {
            bail!(OP, "stride must be positive, got {stride:?} (input {xs:?}, weight {ws:?})");
        }
        if dilation.0 == 0 || dilation.1 == 0 {
            bail!(OP, "dilation must be positive, got {dilation:?} (input {xs:?}, weight {ws:?})");
        }
        let op_ok = |o: usize, s: usize, d: usize| o < s || o < d;
        if !op_ok(output_padding.0, stride.0, dilation.0) || !op_ok(output_padding.1, stride.1, dilation.1) {
            bail!(
                OP,
                "output padding must be smaller than either stride or dilation, but got output_padding_height: {} output_padding_width: {} stride_height: {} stride_width: {} dilation_height: {} dilation_width: {}",
                output_padding.0, output_padding.1, stride.0, stride.1, dilation.0, dilation.1
            );
        }
        if groups == 0 || ws[0] % groups != 0 {
            bail!(
                OP,
                "given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size {ws:?}"
            );
        }
        if xs[1] != ws[0] {
            bail!(
                OP,
                "given weight of size {ws:?}, expected input {xs:?} to have {} channels, but got {} channels",
                ws[0],
                xs[1]
            );
        }
        if ws[2] == 0 || ws[3] == 0 {
            bail!(OP, "kernel size must be positive, got weight {ws:?} (input {xs:?})");
        }
        let c_out = ws[1].checked_mul(groups).filter(|&c| c > 0);
        let Some(c_out) = c_out else {
            bail!(OP, "weight {ws:?} with groups {groups} gives no output channels (input {xs:?})");
        };
        if let Some(b) = bias {
            if b.shape().as_slice() != [c_out] {
                bail!(
                    OP,
                    "given weight of size {ws:?} and groups {groups}, expected bias to be 1-dimensional with {c_out} elements, but got bias of size {:?}",
                    b.shape()
                );
            }
        }
        // i128: every term comes from JS as u32, so none of this can overflow
        let size = |i: usize, k: usize, s: usize, p: usize, d: usize, o: usize| {
            (i as i128 - 1) * s as i128 - 2 * p as i128 + d as i128 * (k as i128 - 1) + o as i128 + 1
        };
        let oh = size(xs[2], ws[2], stride.0, padding.0, dilation.0, output_padding.0);
        let ow = size(xs[3], ws[3], stride.1, padding.1, dilation.1, output_padding.1);
        if oh <= 0 || ow <= 0 || xs[2] == 0 || xs[3] == 0 {
            bail!(
                OP,
                "given input size per channel: ({} x {}), calculated output size per channel: ({oh} x {ow}); output size is too small (weight {ws:?}, stride {stride:?}, padding {padding:?}, dilation {dilation:?})",
                xs[2],
                xs[3]
            );
        }
        let too_big =
            || Error::new(OP, format!("output size ({oh} x {ow}) is too large (input {xs:?}, weight {ws:?})"));
        let out_h = usize::try_from(oh).map_err(|_| too_big())?;
        let out_w = usize::try_from(ow).map_err(|_| too_big())?;
        check_shape(OP, &[xs[0], c_out, out_h, out_w])
            .map_err(|e| e.map_msg(|msg| format!("{msg} (the output of input {xs:?}, weight {ws:?})")))?;
        if xs[0] == 0 {
            let mut out = Tensor::zeros(&[0, c_out, out_h, out_w], &self.device())?;
            for t in [Some(self), Some(weight), bias].into_iter().flatten() {
                out = out.add(&t.sum_all()?.affine(0.0, 0.0)?)?;
            }
            return Ok(out);
        }
        // The conv2d this is the input-gradient of maps [N, c_out, out_h, out_w] to `conv`
        // (floor division of the extra output_padding rows); `conv >= (H, W)`, and larger only
        // when output_padding >= stride (allowed where it is below the dilation). Zero rows
        // of the input there add nothing, so the input is padded to `conv` to keep the params
        // consistent for every kernel.
        let conv_size = |o: usize, k: usize, s: usize, p: usize, d: usize| (o + 2 * p - d * (k - 1) - 1) / s + 1;
        let ch = conv_size(out_h, ws[2], stride.0, padding.0, dilation.0);
        let cw = conv_size(out_w, ws[3], stride.1, padding.1, dilation.1);
        if check_shape(OP, &[ws[1], ws[2], ws[3], ch, cw]).is_err() {
            bail!(
                OP,
                "the unfolded input of one image ({} x {} x {} x {ch} x {cw}) is too large (input {xs:?}, weight {ws:?}, stride {stride:?}, dilation {dilation:?})",
                ws[1],
                ws[2],
                ws[3]
            );
        }
        let x = if (ch, cw) != (xs[2], xs[3]) { self.pad(&[(0, ch - xs[2]), (0, cw - xs[3])])? } else { self.clone() };
        let p = Conv2dParams {
            n: xs[0],
            c_in: c_out,
            h: out_h,
            w: out_w,
            c_out: ws[0],
            kh: ws[2],
            kw: ws[3],
            stride,
            padding,
            dilation,
            groups,
            out_h: ch,
            out_w: cw,
        };
        let (x, w) = (x.dense()?, weight.dense()?);
        let s = x.storage().conv2d_backward_input(&w.storage(), &p)?;
        let y = Tensor::from_op(s, &p.input_shape(), Some(Op::ConvTranspose2d { input: x, weight: w, p }));
        // one node for PyTorch's grad_fn name, as its convolution adds the bias itself
        match bias {
            Some(b) => Ok(y.add(&b.reshape(&[c_out, 1, 1])?)?.named("ConvolutionBackward0")),
            None => Ok(y),
        }
    }

    /// `numpy.convolve(a, v, mode='same')` for 1-D tensors: true convolution (flipped kernel),
    /// output as long as the longer input, centred as NumPy centres it.
    pub fn convolve1d_same(&self, v: &Tensor) -> Result<Tensor> {
        if self.rank() != 1 || v.rank() != 1 || self.numel() == 0 || v.numel() == 0 {
            bail!("convolve", "expects two non-empty 1-D tensors, got shapes {:?} and {:?}", self.shape(), v.shape());
        }
        // NumPy swaps so the kernel is the shorter one (convolution is commutative).
        let (a, k) = if v.numel() > self.numel() { (v, self) } else { (self, v) };
        let m = k.numel();
        let left = m / 2;
        let right = m - 1 - left;
        // correlate(a, flip(k)), padded so the output length is len(a)
        let kf = k.flip_last()?;
        let x = a.pad(&[(left, right)])?.reshape(&[1, 1, 1, a.numel() + m - 1])?;
        let w = kf.reshape(&[1, 1, 1, m])?;
        x.conv2d(&w, None, (1, 1), (0, 0), (1, 1), 1)?.reshape(&[a.numel()])
    }
}
