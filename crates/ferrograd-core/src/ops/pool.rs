use crate::autograd::Op;
use crate::backend::{AdaptivePoolParams, Pool2dParams, PoolDivisor, PoolKind, ResizeParams, Unpool2dParams};
use crate::shape::check_shape;
use crate::{bail, Result, Tensor};

fn check_nchw(op: &'static str, t: &Tensor) -> Result<()> {
    if t.rank() != 4 {
        bail!(op, "expected a 4-D input (N, C, H, W), got shape {:?}", t.shape());
    }
    Ok(())
}

/// The options of a 2-D pooling call beyond kernel and stride, PyTorch's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolOptions {
    pub padding: (usize, usize),
    /// Max pooling only (average pooling has none in PyTorch).
    pub dilation: (usize, usize),
    pub ceil_mode: bool,
    /// Average pooling only.
    pub divisor: PoolDivisor,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions { padding: (0, 0), dilation: (1, 1), ceil_mode: false, divisor: PoolDivisor::IncludePad }
    }
}

/// PyTorch's `pooling_output_shape`: `div_rtn` (floor, also of a negative span) of the window
/// count, where a ceil-mode window must start inside the image or its left padding; `None` when
/// no window fits.
fn pool_out(len: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> Option<usize> {
    let (len, k, s, p, d) = (len as i128, k as i128, s as i128, p as i128, d as i128);
    let span = len + 2 * p - d * (k - 1) - 1 + if ceil { s - 1 } else { 0 };
    let mut o = span.div_euclid(s) + 1;
    if ceil && (o - 1) * s >= len + p {
        o -= 1;
    }
    usize::try_from(o).ok().filter(|&o| o >= 1)
}

impl Tensor {
    fn pool2d(
        &self,
        op: &'static str,
        kind: PoolKind,
        kernel: (usize, usize),
        stride: (usize, usize),
        o: PoolOptions,
    ) -> Result<Pool2dParams> {
        check_nchw(op, self)?;
        let s = self.shape().clone();
        let PoolOptions { padding, dilation, ceil_mode, divisor } = o;
        if kernel.0 == 0 || kernel.1 == 0 {
            bail!(op, "kernel size must be positive, got {kernel:?} (input shape {s:?})");
        }
        if stride.0 == 0 || stride.1 == 0 {
            bail!(op, "stride must be positive, got {stride:?} (input shape {s:?})");
        }
        if dilation.0 == 0 || dilation.1 == 0 {
            bail!(op, "dilation should be greater than zero, got {dilation:?} (input shape {s:?})");
        }
        if kind == PoolKind::Avg && dilation != (1, 1) {
            bail!(op, "average pooling has no dilation, got {dilation:?}");
        }
        if divisor == PoolDivisor::Override(0) {
            bail!(op, "divisor must be not zero");
        }
        if padding.0 > kernel.0 / 2 || padding.1 > kernel.1 / 2 {
            bail!(op, "pad should be at most half of kernel size, but got pad={padding:?} and kernel_size={kernel:?} (input shape {s:?})");
        }
        if s[2] == 0 || s[3] == 0 {
            // as PyTorch: a window over padding alone has no maximum
            bail!(op, "expected a non-empty image, got input shape {s:?}");
        }
        let out = |axis: usize| {
            pool_out(
                s[axis],
                [kernel.0, kernel.1][axis - 2],
                [stride.0, stride.1][axis - 2],
                [padding.0, padding.1][axis - 2],
                [dilation.0, dilation.1][axis - 2],
                ceil_mode,
            )
        };
        let (Some(out_h), Some(out_w)) = (out(2), out(3)) else {
            bail!(
                op,
                "Given input size: ({}x{}x{}). Calculated output size is too small (kernel {kernel:?}, dilation {dilation:?}, padding {padding:?}; input shape {s:?})",
                s[1],
                s[2],
                s[3]
            );
        };
        check_shape(op, &[s[0], s[1], out_h, out_w])?;
        Ok(Pool2dParams {
            kind,
            n: s[0],
            c: s[1],
            h: s[2],
            w: s[3],
            kh: kernel.0,
            kw: kernel.1,
            stride,
            padding,
            dilation,
            divisor,
            out_h,
            out_w,
        })
    }

    fn pool2d_apply(&self, p: Pool2dParams) -> Result<Tensor> {
        let x = self.dense()?;
        let st = x.storage().pool2d(&p)?;
        Ok(Tensor::from_op(st, &[p.n, p.c, p.out_h, p.out_w], Some(Op::Pool2d(x.clone(), p))))
    }

    pub fn max_pool2d(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Tensor> {
        self.max_pool2d_with(kernel, stride, PoolOptions { padding, ..PoolOptions::default() })
    }

    /// `F.max_pool2d` with `padding`, `dilation` and `ceil_mode` (`o.divisor` is not read).
    pub fn max_pool2d_with(&self, kernel: (usize, usize), stride: (usize, usize), o: PoolOptions) -> Result<Tensor> {
        let p = self.pool2d("max_pool2d", PoolKind::Max, kernel, stride, o)?;
        self.pool2d_apply(p)
    }

    /// `F.max_pool2d(..., return_indices=True)`: the pooled values and, per output, the index of
    /// its maximum in the flattened input plane (f32 holding an integer; no gradient).
    pub fn max_pool2d_with_indices(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        o: PoolOptions,
    ) -> Result<(Tensor, Tensor)> {
        let p = self.pool2d("max_pool2d", PoolKind::Max, kernel, stride, o)?;
        let x = self.dense()?;
        let idx = Tensor::from_op(x.storage().max_pool2d_indices(&p)?, &[p.n, p.c, p.out_h, p.out_w], None);
        Ok((x.pool2d_apply(p)?, idx))
    }

    /// Average pooling counting padded zeros (`count_include_pad=True`).
    pub fn avg_pool2d(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Tensor> {
        self.avg_pool2d_with(kernel, stride, PoolOptions { padding, ..PoolOptions::default() })
    }

    /// `F.avg_pool2d` with `padding`, `ceil_mode`, `count_include_pad` and `divisor_override`
    /// (as `o.divisor`); `o.dilation` must be 1.
    pub fn avg_pool2d_with(&self, kernel: (usize, usize), stride: (usize, usize), o: PoolOptions) -> Result<Tensor> {
        let p = self.pool2d("avg_pool2d", PoolKind::Avg, kernel, stride, o)?;
        self.pool2d_apply(p)
    }

    /// `F.max_unpool2d(self, indices, ...)` to an `[N, C, out.0, out.1]` output: each value goes
    /// to its index in its output plane, every other cell is 0. `indices` has the input's shape
    /// (integers in f32, as [`Tensor::max_pool2d_with_indices`] gives); bad ones are an error.
    pub fn max_unpool2d(&self, indices: &Tensor, out: (usize, usize)) -> Result<Tensor> {
        let op = "max_unpool2d";
        check_nchw(op, self)?;
        let s = self.shape().clone();
        if indices.shape() != &s {
            bail!(op, "Expected shape of indices to be same as that of the input tensor ({s:?}) but got indices tensor with shape: {:?}", indices.shape());
        }
        if indices.device() != self.device() {
            bail!(op, "indices are on {} but the input is on {}", indices.device().name(), self.device().name());
        }
        check_shape(op, &[s[0], s[1], out.0, out.1])?;
        let p = Unpool2dParams { n: s[0], c: s[1], h: s[2], w: s[3], out_h: out.0, out_w: out.1 };
        let (x, idx) = (self.dense()?, indices.dense()?.detach());
        let st = x.storage().max_unpool2d(&idx.storage(), &p)?;
        Ok(Tensor::from_op(st, &[s[0], s[1], out.0, out.1], Some(Op::MaxUnpool2d(x.clone(), idx, p))))
    }

    pub fn adaptive_avg_pool2d(&self, out: (usize, usize)) -> Result<Tensor> {
        check_nchw("adaptive_avg_pool2d", self)?;
        let s = self.shape().clone();
        if out.0 == 0 || out.1 == 0 || s[2] == 0 || s[3] == 0 {
            bail!(
                "adaptive_avg_pool2d",
                "output size {out:?} and input size {:?} must be positive (input shape {s:?})",
                &s[2..]
            );
        }
        check_shape("adaptive_avg_pool2d", &[s[0], s[1], out.0, out.1])
            .map_err(|e| e.map_msg(|m| format!("{m} (input shape {s:?})")))?;
        let p = AdaptivePoolParams { n: s[0], c: s[1], h: s[2], w: s[3], out_h: out.0, out_w: out.1 };
        let x = self.dense()?;
        let st = x.storage().adaptive_avg_pool2d(&p)?;
        Ok(Tensor::from_op(st, &[s[0], s[1], out.0, out.1], Some(Op::AdaptiveAvgPool2d(x.clone(), p))))
    }

    /// Bilinear resize of an NCHW batch (`F.interpolate(mode='bilinear', align_corners=False)`).
    pub fn resize_bilinear(&self, out: (usize, usize)) -> Result<Tensor> {
        check_nchw("resize", self)?;
        let s = self.shape().clone();
        if out.0 == 0 || out.1 == 0 || s[2] == 0 || s[3] == 0 {
            bail!("resize", "output size {out:?} and input size {:?} must be positive (input shape {s:?})", &s[2..]);
        }
        check_shape("resize", &[s[0], s[1], out.0, out.1])
            .map_err(|e| e.map_msg(|m| format!("{m} (input shape {s:?})")))?;
        let p = ResizeParams { n: s[0], c: s[1], h: s[2], w: s[3], out_h: out.0, out_w: out.1 };
        let x = self.dense()?;
        let st = x.storage().resize_bilinear(&p)?;
        Ok(Tensor::from_op(st, &[s[0], s[1], out.0, out.1], Some(Op::ResizeBilinear(x.clone(), p))))
    }
}
