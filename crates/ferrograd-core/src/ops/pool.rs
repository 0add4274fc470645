use super::conv::out_size;
use crate::autograd::Op;
use crate::backend::{AdaptivePoolParams, Pool2dParams, PoolKind, ResizeParams};
use crate::shape::check_shape;
use crate::{bail, Result, Tensor};

fn check_nchw(op: &'static str, t: &Tensor) -> Result<()> {
    if t.rank() != 4 {
        bail!(op, "expected a 4-D input (N, C, H, W), got shape {:?}", t.shape());
    }
    Ok(())
}

impl Tensor {
    fn pool2d(
        &self,
        op: &'static str,
        kind: PoolKind,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Tensor> {
        check_nchw(op, self)?;
        let s = self.shape().clone();
        if kernel.0 == 0 || kernel.1 == 0 {
            bail!(op, "kernel size must be positive, got {kernel:?} (input shape {s:?})");
        }
        if stride.0 == 0 || stride.1 == 0 {
            bail!(op, "stride must be positive, got {stride:?} (input shape {s:?})");
        }
        if padding.0 > kernel.0 / 2 || padding.1 > kernel.1 / 2 {
            bail!(op, "padding {padding:?} should be at most half of kernel size {kernel:?} (input shape {s:?})");
        }
        if s[2] == 0 || s[3] == 0 {
            // as PyTorch: a window over padding alone has no maximum
            bail!(op, "expected a non-empty image, got input shape {s:?}");
        }
        let out_h = out_size(op, "height", s[2], kernel.0, stride.0, padding.0, 1, &s)?;
        let out_w = out_size(op, "width", s[3], kernel.1, stride.1, padding.1, 1, &s)?;
        let p = Pool2dParams {
            kind,
            n: s[0],
            c: s[1],
            h: s[2],
            w: s[3],
            kh: kernel.0,
            kw: kernel.1,
            stride,
            padding,
            out_h,
            out_w,
        };
        let x = self.dense()?;
        let st = x.storage().pool2d(&p)?;
        Ok(Tensor::from_op(st, &[s[0], s[1], out_h, out_w], Some(Op::Pool2d(x.clone(), p))))
    }

    pub fn max_pool2d(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Tensor> {
        self.pool2d("max_pool2d", PoolKind::Max, kernel, stride, padding)
    }

    /// Average pooling counting padded zeros (`count_include_pad=True`).
    pub fn avg_pool2d(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Tensor> {
        self.pool2d("avg_pool2d", PoolKind::Avg, kernel, stride, padding)
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
