//! Op descriptors shared by every backend. They are plain data so a GPU backend can turn
//! them into uniforms without knowing anything about tensors or autograd.

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Recip,
    Relu,
    Sigmoid,
    Tanh,
    /// Heaviside step: 1 where x > 0, else 0 (relu's derivative).
    Step,
    /// Sign: -1, 0 or 1.
    Sign,
    /// `x * mul + add`: scalar arithmetic without materialising a broadcast scalar.
    Affine {
        mul: f32,
        add: f32,
    },
    /// `x ^ p` for a scalar exponent.
    PowScalar(f32),
    /// `max(x, v)` / `min(x, v)` with a scalar.
    MaxScalar(f32),
    MinScalar(f32),
    /// 1 where `x > v` (`Gt`), `x < v` (`Lt`) or `x == v` (`Eq`), else 0.
    GtScalar(f32),
    LtScalar(f32),
    EqScalar(f32),
}

impl UnaryOp {
    /// The op's PyTorch name, for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Abs => "abs",
            UnaryOp::Recip => "reciprocal",
            UnaryOp::Relu => "relu",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Step => "heaviside",
            UnaryOp::Sign => "sign",
            UnaryOp::Affine { .. } => "mul",
            UnaryOp::PowScalar(_) => "pow",
            UnaryOp::MaxScalar(_) | UnaryOp::MinScalar(_) => "clamp",
            UnaryOp::GtScalar(_) => "gt",
            UnaryOp::LtScalar(_) => "lt",
            UnaryOp::EqScalar(_) => "eq",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
    Gt,
    Lt,
    Ge,
    Le,
    Eq,
}

impl BinaryOp {
    /// The op's PyTorch name, for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Pow => "pow",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
            BinaryOp::Gt => "gt",
            BinaryOp::Lt => "lt",
            BinaryOp::Ge => "ge",
            BinaryOp::Le => "le",
            BinaryOp::Eq => "eq",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Max,
    Min,
    /// Index of the first maximum (as f32).
    ArgMax,
}

impl ReduceOp {
    /// The op's PyTorch name, for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::ArgMax => "argmax",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dParams {
    pub n: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl Conv2dParams {
    pub fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c_in, self.h, self.w]
    }
    pub fn weight_shape(&self) -> [usize; 4] {
        [self.c_out, self.c_in / self.groups, self.kh, self.kw]
    }
    pub fn output_shape(&self) -> [usize; 4] {
        [self.n, self.c_out, self.out_h, self.out_w]
    }
    /// Multiply-adds of the forward pass (each backward pass costs the same).
    pub fn macs(&self) -> usize {
        self.n * self.c_out * self.out_h * self.out_w * (self.c_in / self.groups) * self.kh * self.kw
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    /// Average that counts padding (PyTorch's default `count_include_pad=True`).
    Avg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dParams {
    pub kind: PoolKind,
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub out_h: usize,
    pub out_w: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptivePoolParams {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl AdaptivePoolParams {
    /// PyTorch's window of output index `i`: `[floor(i*in/out), ceil((i+1)*in/out))`.
    pub fn window(i: usize, input: usize, out: usize) -> (usize, usize) {
        (i * input / out, ((i + 1) * input).div_ceil(out))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResizeParams {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

/// Batched matmul `[batch, m, k] x [batch, k, n]`; operands are described by element strides so
/// transposed and broadcast views need no copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulParams {
    pub batch: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// (batch, row, col) strides and offset of the left operand.
    pub lhs: MatStrides,
    pub rhs: MatStrides,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatStrides {
    pub offset: usize,
    pub batch: usize,
    pub row: usize,
    pub col: usize,
}

/// An activation whose gradient rule has a fused kernel (`BackendStorage::activation_backward`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `g · y(1 - y)` from the output `y`.
    Sigmoid,
    /// `g · (1 - y²)` from the output `y`.
    Tanh,
    /// `g · step(x)` from the input `x`.
    Relu,
}

/// Batch normalisation over a contiguous `[n, c, s]` tensor (NCHW with `s = H·W`, or NC with
/// `s = 1`): statistics per channel over `n·s` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchNormParams {
    pub n: usize,
    pub c: usize,
    pub s: usize,
}

impl BatchNormParams {
    /// Values per channel.
    pub fn count(&self) -> usize {
        self.n * self.s
    }
    pub fn shape(&self) -> [usize; 3] {
        [self.n, self.c, self.s]
    }
}
