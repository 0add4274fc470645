//! Moving tensors between devices and reading them back: a `Tensor` concern, whichever backends
//! are compiled in (without the `gpu` feature every tensor is on the CPU and these are copies).

use crate::backend::{Device, Storage};
use crate::shape::Layout;
use crate::{bail, Result, Tensor};
use std::future::Future;
use std::pin::Pin;

/// The elements of a tensor, possibly still on their way from the GPU.
pub enum ReadBack {
    Ready(Option<Result<Vec<f32>>>),
    #[cfg(feature = "gpu")]
    Gpu(crate::backend::wgpu::ReadFuture),
}

impl Future for ReadBack {
    type Output = Result<Vec<f32>>;
    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        match self.get_mut() {
            ReadBack::Ready(v) => {
                let _ = cx;
                std::task::Poll::Ready(v.take().unwrap_or_else(|| Ok(Vec::new())))
            }
            #[cfg(feature = "gpu")]
            ReadBack::Gpu(f) => Pin::new(f).poll(cx),
        }
    }
}

impl Storage {
    /// A contiguous copy of the elements of `l` on `dev`. GPU to CPU blocks natively and is an
    /// error on the web (read with [`Tensor::read_async`] there).
    pub fn to_device(&self, dev: &Device, l: &Layout) -> Result<Storage> {
        if &self.device() == dev {
            return self.contiguous(l);
        }
        let v = self.to_vec(l).map_err(|e| crate::Error { op: "to", ..e })?;
        dev.from_slice(&v)
    }

    /// Starts reading the elements of `l`, row-major.
    fn read(&self, l: &Layout) -> Result<ReadBack> {
        let s = self;
        crate::backend::on_storage!((s), s.read_back(l), crate::backend::same)
    }
}

impl Tensor {
    /// A copy of this tensor on `dev` (the tensor itself when it already lives there). The copy
    /// is a new leaf: transfers are not recorded by autograd, so move leaves (parameters,
    /// inputs) before building a graph.
    pub fn to_device(&self, dev: &Device) -> Result<Tensor> {
        if &self.device() == dev {
            return Ok(self.clone());
        }
        let s = self.storage().to_device(dev, self.layout())?;
        let t = Tensor::from_storage(s, self.shape())?;
        if self.is_leaf() && self.requires_grad() {
            t.set_requires_grad(true)?;
        }
        Ok(t)
    }

    /// Moves this tensor's whole buffer to `dev` in place: every view of it (and the module
    /// holding it as a parameter) follows. Its gradient is dropped.
    pub fn move_to_device_(&self, dev: &Device) -> Result<()> {
        if &self.device() == dev {
            return Ok(());
        }
        let moved = {
            let s = self.storage();
            let whole = Layout::contiguous(&[s.len()]);
            s.to_device(dev, &whole)?
        };
        *self.storage_mut() = moved;
        self.set_grad(None);
        Ok(())
    }

    /// Replaces this tensor's whole buffer with `data` on `dev` (the second half of an
    /// asynchronous GPU-to-CPU move on the web).
    pub fn replace_storage(&self, data: &[f32], dev: &Device) -> Result<()> {
        let len = self.storage().len();
        if data.len() != len {
            bail!("to", "{} values cannot replace a buffer of {len}", data.len());
        }
        *self.storage_mut() = dev.from_slice(data)?;
        self.set_grad(None);
        Ok(())
    }

    /// Starts reading the elements (row-major). The returned future owns everything it needs,
    /// so callers may drop the tensor (and any lock) before awaiting it.
    pub fn read_async(&self) -> Result<ReadBack> {
        self.storage().read(self.layout())
    }

    /// Reads a whole buffer (all views of it) asynchronously, for `replace_storage`.
    pub fn read_buffer_async(&self) -> Result<ReadBack> {
        let s = self.storage();
        let len = s.len();
        s.read(&Layout::contiguous(&[len]))
    }
}
