use crate::autograd::Op;
use crate::backend::{BinaryOp, UnaryOp};
use crate::shape::broadcast_shapes;
use crate::{Result, Tensor};

impl Tensor {
    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let s = self.storage().unary(self.layout(), op)?;
        let rec = op.differentiable().then(|| Op::Unary(self.clone(), op));
        Ok(Tensor::from_op(s, self.shape(), rec))
    }

    pub fn binary(&self, rhs: &Tensor, op: BinaryOp) -> Result<Tensor> {
        let name = op.name();
        let shape = broadcast_shapes(name, self.shape(), rhs.shape())?;
        if self.device() != rhs.device() {
            crate::bail!(name, "operands are on different devices ({:?} and {:?})", self.device(), rhs.device());
        }
        let a = self.expand(&shape)?;
        let b = rhs.expand(&shape)?;
        let s = a.storage().binary(a.layout(), &b.storage(), b.layout(), op)?;
        let grads = op.differentiable();
        Ok(Tensor::from_op(s, &shape, grads.then(|| Op::Binary(a.clone(), b.clone(), op))))
    }

    pub fn add(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Add)
    }
    pub fn sub(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Sub)
    }
    pub fn mul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Mul)
    }
    pub fn div(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Div)
    }
    pub fn pow(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Pow)
    }
    pub fn maximum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Maximum)
    }
    pub fn minimum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Minimum)
    }

    /// `self * mul + add`.
    pub fn affine(&self, mul: f32, add: f32) -> Result<Tensor> {
        self.unary(UnaryOp::Affine(mul, add))
    }
    pub fn add_scalar(&self, v: f32) -> Result<Tensor> {
        self.affine(1.0, v)
    }
    pub fn mul_scalar(&self, v: f32) -> Result<Tensor> {
        self.affine(v, 0.0)
    }
    pub fn pow_scalar(&self, p: f32) -> Result<Tensor> {
        self.unary(UnaryOp::PowScalar(p))
    }
    pub fn neg(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Neg)
    }
    pub fn exp(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Exp)
    }
    pub fn log(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Log)
    }
    pub fn sqrt(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sqrt)
    }
    pub fn abs(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Abs)
    }
    pub fn relu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Relu)
    }
    pub fn sigmoid(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sigmoid)
    }
    pub fn tanh(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Tanh)
    }
    /// PyTorch's `leaky_relu(x, negative_slope)`.
    pub fn leaky_relu(&self, negative_slope: f32) -> Result<Tensor> {
        self.unary(UnaryOp::LeakyRelu(negative_slope))
    }
    pub fn clamp(&self, min: Option<f32>, max: Option<f32>) -> Result<Tensor> {
        let mut t = self.clone();
        if let Some(lo) = min {
            t = t.unary(UnaryOp::MaxScalar(lo))?;
        }
        if let Some(hi) = max {
            t = t.unary(UnaryOp::MinScalar(hi))?;
        }
        Ok(t)
    }

    pub fn zeros_like(&self) -> Result<Tensor> {
        Tensor::zeros(self.shape(), &self.device())
    }
    pub fn ones_like(&self) -> Result<Tensor> {
        Tensor::ones(self.shape(), &self.device())
    }
}
