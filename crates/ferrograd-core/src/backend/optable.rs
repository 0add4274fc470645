//! The elementwise op table: one row per op, and everything else about the op is generated
//! from it — the [`UnaryOp`] / [`BinaryOp`] enums and their opcodes (declaration order), the
//! PyTorch name for errors, the `grad_fn` name, whether autograd records it and whether its
//! gradient reads saved values, the CPU kernel (one generic expression over [`Lane`], compiled
//! once for `f32` and once for four-lane [`F32x4`]), the WGSL function the GPU kernel is built
//! from (one pipeline per op: no opcode switch in WGSL, so no `default` arm can answer for an
//! op the GPU lacks), and the list of ops the wasm facade and `ts/ops.generated.ts` expose.
//!
//! A row reads:
//!
//! ```text
//! Variant(param, ...) {
//!     name: "torch name",                     // for error messages
//!     grad_fn: Some("XBackward0") | None,     // None: not differentiable, never recorded
//!     saves: bool,                            // the gradient rule reads saved values
//!     cpu: |x| expr,                          // lanes.rs vocabulary; params are f32
//!     wgsl: "expr",                           // x (and y), params by name
//!     nan: "expr",                            // WGSL result when an operand is NaN
//! }
//! ```
//!
//! The gradient rule of each differentiable op lives in `autograd/backward.rs`, in a `match`
//! with no fallback arm: a new row that lacks one does not compile. See CONTRIBUTING.md,
//! "Adding an op".

#[allow(unused_imports)]
use super::cpu::lanes::*;
use super::cpu::simd::F32x4;

/// A CPU elementwise loop, handed the op's scalar and four-lane forms (two monomorphisations
/// of the same row).
pub(crate) trait UnaryMap {
    type Out;
    fn run(self, f: impl Fn(f32) -> f32 + Copy + Sync, v: impl Fn(F32x4) -> F32x4 + Copy + Sync) -> Self::Out;
}

pub(crate) trait BinaryMap {
    type Out;
    fn run(
        self,
        f: impl Fn(f32, f32) -> f32 + Copy + Sync,
        v: impl Fn(F32x4, F32x4) -> F32x4 + Copy + Sync,
    ) -> Self::Out;
}

/// A variant's name and its number of f32 parameters, in opcode order.
pub type OpInfo = (&'static str, usize);

/// The WGSL function `name(x[, y], p0, p1) -> f32` for one op: parameters by name, NaN operands
/// settled first (drivers may assume finite floats and fold `exp(NaN)` or NaN comparisons).
#[cfg(feature = "gpu")]
fn wgsl_fn(name: &str, binary: bool, params: &[&str], expr: &str, nan: &str) -> String {
    let (args, nan_test) = if binary { ("x: f32, y: f32", "is_nan(x) || is_nan(y)") } else { ("x: f32", "is_nan(x)") };
    let mut s = format!("fn {name}({args}, p0: f32, p1: f32) -> f32 {{\n");
    for (i, p) in params.iter().enumerate() {
        s += &format!("    let {p} = p{i};\n");
    }
    s += &format!("    if ({nan_test}) {{\n        return {nan};\n    }}\n    return {expr};\n}}\n");
    s
}

macro_rules! f32_for {
    ($p:ident) => {
        f32
    };
}

/// Shared by both tables: the generated enum's opcode, parameter and description methods.
macro_rules! op_enum {
    ($Enum:ident, $Code:ident, $( $(#[doc = $doc:literal])* $V:ident $(($($p:ident),+))? => $name:literal, $gf:expr, $saves:literal; )*) => {
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum $Enum {
            $( $(#[doc = $doc])* $V $(($(f32_for!($p)),+))?, )*
        }

        /// Opcodes: the declaration order of the table.
        #[repr(u32)]
        #[derive(Clone, Copy)]
        enum $Code {
            $($V),*
        }

        impl $Enum {
            /// Every variant's name and parameter count, in opcode order.
            pub const VARIANTS: &'static [OpInfo] = &[$((stringify!($V), <[&str]>::len(&[$($(stringify!($p)),+)?]))),*];

            /// The op's PyTorch name, for error messages.
            pub fn name(&self) -> &'static str {
                match self {
                    $( $Enum::$V { .. } => $name, )*
                }
            }
            pub fn code(&self) -> u32 {
                match self {
                    $( $Enum::$V { .. } => $Code::$V as u32, )*
                }
            }
            /// The op of opcode `code` with parameters taken in order from `params` (unused
            /// ones ignored); `None` for an unknown opcode.
            pub fn from_code(code: u32, params: [f32; 2]) -> Option<Self> {
                $(
                    if code == $Code::$V as u32 {
                        #[allow(unused_mut, unused_variables)]
                        let mut it = params.into_iter();
                        return Some($Enum::$V $(($({ let _ = stringify!($p); it.next().unwrap_or(0.0) }),+))?);
                    }
                )*
                None
            }
            /// The f32 parameters, padded with zeros (the GPU kernels' uniforms).
            pub fn params(&self) -> [f32; 2] {
                match *self {
                    $( $Enum::$V $(($($p),+))? => {
                        let v: &[f32] = &[$($($p),+)?];
                        let mut a = [0.0; 2];
                        a[..v.len()].copy_from_slice(v);
                        a
                    } )*
                }
            }
            /// PyTorch's `grad_fn` name; `None` for ops autograd does not record.
            #[allow(unused_variables)]
            pub fn grad_fn(&self) -> Option<&'static str> {
                match *self {
                    $( $Enum::$V $(($($p),+))? => $gf, )*
                }
            }
            /// Whether autograd records the op (it has a gradient rule).
            pub fn differentiable(&self) -> bool {
                self.grad_fn().is_some()
            }
            /// Whether the gradient rule reads saved values (an input's or the output's).
            pub fn saves_values(&self) -> bool {
                match self {
                    $( $Enum::$V { .. } => $saves, )*
                }
            }
        }
    };
}

macro_rules! unary_table {
    ($( $(#[doc = $doc:literal])* $V:ident $(($($p:ident),+))? {
        name: $name:literal, grad_fn: $gf:expr, saves: $saves:literal,
        cpu: |$x:ident| $cpu:expr, wgsl: $wgsl:literal, nan: $nan:literal $(,)?
    } )*) => {
        op_enum!(UnaryOp, UnaryCode, $( $(#[doc = $doc])* $V $(($($p),+))? => $name, $gf, $saves; )*);

        impl UnaryOp {
            /// Runs `m` with this op's CPU math.
            pub(crate) fn cpu<M: UnaryMap>(self, m: M) -> M::Out {
                match self {
                    $( UnaryOp::$V $(($($p),+))? => {
                        #[inline(always)]
                        fn f<L: Lane>($x: L $($(, $p: f32)+)?) -> L {
                            $cpu
                        }
                        m.run(move |v: f32| f(v $($(, $p)+)?), move |v: F32x4| f(v $($(, $p)+)?))
                    } )*
                }
            }
            /// The WGSL function `unary_fn(x, p0, p1)` of this op's GPU kernel.
            #[cfg(feature = "gpu")]
            pub(crate) fn wgsl(self) -> String {
                self.wgsl_named("unary_fn")
            }
            /// This op's WGSL function under another name (a fused epilogue calls it).
            #[cfg(feature = "gpu")]
            pub(crate) fn wgsl_named(self, name: &str) -> String {
                match self {
                    $( UnaryOp::$V { .. } => wgsl_fn(name, false, &[$($(stringify!($p)),+)?], $wgsl, $nan), )*
                }
            }
        }
    };
}

macro_rules! binary_table {
    ($( $(#[doc = $doc:literal])* $V:ident {
        name: $name:literal, grad_fn: $gf:expr, saves: $saves:literal,
        cpu: |$x:ident, $y:ident| $cpu:expr, wgsl: $wgsl:literal, nan: $nan:literal $(,)?
    } )*) => {
        op_enum!(BinaryOp, BinaryCode, $( $(#[doc = $doc])* $V => $name, $gf, $saves; )*);

        impl Eq for BinaryOp {}

        impl BinaryOp {
            /// Runs `m` with this op's CPU math.
            pub(crate) fn cpu<M: BinaryMap>(self, m: M) -> M::Out {
                match self {
                    $( BinaryOp::$V => {
                        #[inline(always)]
                        fn f<L: Lane>($x: L, $y: L) -> L {
                            $cpu
                        }
                        m.run(f::<f32>, f::<F32x4>)
                    } )*
                }
            }
            /// The WGSL function `binary_fn(x, y, p0, p1)` of this op's GPU kernel.
            #[cfg(feature = "gpu")]
            pub(crate) fn wgsl(self) -> String {
                match self {
                    $( BinaryOp::$V => wgsl_fn("binary_fn", true, &[], $wgsl, $nan), )*
                }
            }
        }
    };
}

unary_table! {
    Neg { name: "neg", grad_fn: Some("NegBackward0"), saves: false,
        cpu: |x| -x, wgsl: "-x", nan: "x" }
    Exp { name: "exp", grad_fn: Some("ExpBackward0"), saves: true,
        cpu: |x| exp(x), wgsl: "exp(x)", nan: "x" }
    Log { name: "log", grad_fn: Some("LogBackward0"), saves: true,
        cpu: |x| ln(x), wgsl: "log(x)", nan: "x" }
    Sqrt { name: "sqrt", grad_fn: Some("SqrtBackward0"), saves: true,
        cpu: |x| sqrt(x), wgsl: "sqrt(x)", nan: "x" }
    Abs { name: "abs", grad_fn: Some("AbsBackward0"), saves: true,
        cpu: |x| abs(x), wgsl: "abs(x)", nan: "x" }
    Recip { name: "reciprocal", grad_fn: Some("ReciprocalBackward0"), saves: true,
        cpu: |x| recip(x), wgsl: "1.0 / x", nan: "x" }
    /// As PyTorch: `x < 0 ? 0 : x`, so NaN and -0.0 pass through (a bitwise clear, not a max).
    Relu { name: "relu", grad_fn: Some("ReluBackward0"), saves: true,
        cpu: |x| zero_where(lt(x, splat(0.0)), x), wgsl: "select(x, 0.0, x < 0.0)", nan: "x" }
    Sigmoid { name: "sigmoid", grad_fn: Some("SigmoidBackward0"), saves: true,
        cpu: |x| sigmoid(x), wgsl: "1.0 / (1.0 + exp(-x))", nan: "x" }
    Tanh { name: "tanh", grad_fn: Some("TanhBackward0"), saves: true,
        cpu: |x| tanh(x), wgsl: "ftanh(x)", nan: "x" }
    /// Heaviside step: 1 where x > 0, else 0 (relu's derivative).
    Step { name: "heaviside", grad_fn: None, saves: false,
        cpu: |x| ones_where(gt(x, splat(0.0))), wgsl: "select(0.0, 1.0, x > 0.0)", nan: "0.0" }
    /// Sign: -1, 0 or 1 (0 for NaN, as PyTorch).
    Sign { name: "sign", grad_fn: None, saves: false,
        cpu: |x| select(gt(x, splat(0.0)), splat(1.0), select(lt(x, splat(0.0)), splat(-1.0), splat(0.0))),
        wgsl: "select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0)", nan: "0.0" }
    /// `x * mul + add`: scalar arithmetic without materialising a broadcast scalar.
    Affine(mul, add) { name: "mul", grad_fn: Some(if add != 0.0 { "AddBackward0" } else { "MulBackward0" }), saves: false,
        cpu: |x| x * splat(mul) + splat(add), wgsl: "x * mul + add", nan: "x" }
    /// `x ^ p` for a scalar exponent.
    PowScalar(p) { name: "pow", grad_fn: Some("PowBackward0"), saves: true,
        cpu: |x| if p == 2.0 { x * x } else { powf(x, splat(p)) }, wgsl: "fpow_scalar(x, p)", nan: "select(x, 1.0, p == 0.0)" }
    /// `max(x, v)` as PyTorch's clamp (`std::max`): NaN passes, a tie keeps x.
    MaxScalar(v) { name: "clamp", grad_fn: Some("ClampBackward1"), saves: true,
        cpu: |x| max_keep(x, splat(v)), wgsl: "max(x, v)", nan: "x" }
    /// `min(x, v)`, as [`UnaryOp::MaxScalar`].
    MinScalar(v) { name: "clamp", grad_fn: Some("ClampBackward1"), saves: true,
        cpu: |x| min_keep(x, splat(v)), wgsl: "min(x, v)", nan: "x" }
    /// 1 where `x > v`, else 0.
    GtScalar(v) { name: "gt", grad_fn: None, saves: false,
        cpu: |x| ones_where(gt(x, splat(v))), wgsl: "select(0.0, 1.0, x > v)", nan: "0.0" }
    LtScalar(v) { name: "lt", grad_fn: None, saves: false,
        cpu: |x| ones_where(lt(x, splat(v))), wgsl: "select(0.0, 1.0, x < v)", nan: "0.0" }
    EqScalar(v) { name: "eq", grad_fn: None, saves: false,
        cpu: |x| ones_where(eq(x, splat(v))), wgsl: "select(0.0, 1.0, x == v)", nan: "0.0" }
    /// PyTorch's `leaky_relu(x, negative_slope)`: `x > 0 ? x : x * negative_slope`.
    LeakyRelu(slope) { name: "leaky_relu", grad_fn: Some("LeakyReluBackward0"), saves: true,
        cpu: |x| select(gt(x, splat(0.0)), x, x * splat(slope)), wgsl: "select(x * slope, x, x > 0.0)", nan: "x" }
    /// Rounding to an integer (`torch.floor`/`ceil`/`trunc`/`round`, the last half to even as
    /// PyTorch and WGSL's `round`); the gradient is zero, as PyTorch's.
    Floor { name: "floor", grad_fn: Some("FloorBackward0"), saves: false,
        cpu: |x| floor(x), wgsl: "floor(x)", nan: "x" }
    Ceil { name: "ceil", grad_fn: Some("CeilBackward0"), saves: false,
        cpu: |x| ceil(x), wgsl: "ceil(x)", nan: "x" }
    Trunc { name: "trunc", grad_fn: Some("TruncBackward0"), saves: false,
        cpu: |x| trunc(x), wgsl: "trunc(x)", nan: "x" }
    Round { name: "round", grad_fn: Some("RoundBackward0"), saves: false,
        cpu: |x| round_even(x), wgsl: "round(x)", nan: "x" }
}

binary_table! {
    Add { name: "add", grad_fn: Some("AddBackward0"), saves: false,
        cpu: |x, y| x + y, wgsl: "x + y", nan: "special(NAN_BITS)" }
    Sub { name: "sub", grad_fn: Some("SubBackward0"), saves: false,
        cpu: |x, y| x - y, wgsl: "x - y", nan: "special(NAN_BITS)" }
    Mul { name: "mul", grad_fn: Some("MulBackward0"), saves: true,
        cpu: |x, y| x * y, wgsl: "x * y", nan: "special(NAN_BITS)" }
    Div { name: "div", grad_fn: Some("DivBackward0"), saves: true,
        cpu: |x, y| x / y, wgsl: "x / y", nan: "special(NAN_BITS)" }
    /// `x ^ y` with powf's rules (`pow(x, 0) = pow(1, y) = 1`, NaN or not).
    Pow { name: "pow", grad_fn: Some("PowBackward1"), saves: true,
        cpu: |x, y| powf(x, y), wgsl: "fpow(x, y)", nan: "select(special(NAN_BITS), 1.0, y == 0.0 || x == 1.0)" }
    /// C's remainder, with the dividend's sign, exact (`torch.fmod`).
    Fmod { name: "fmod", grad_fn: Some("FmodBackward1"), saves: true,
        cpu: |x, y| fmod(x, y), wgsl: "ffmod(x, y)", nan: "special(NAN_BITS)" }
    /// Python's modulus, with the divisor's sign (`torch.remainder`), from the exact fmod.
    Remainder { name: "remainder", grad_fn: Some("RemainderBackward1"), saves: true,
        cpu: |x, y| remainder(x, y), wgsl: "fremainder(x, y)", nan: "special(NAN_BITS)" }
    /// The quotient rounded down (`torch.floor_divide`), from the exact fmod; not
    /// differentiable, as PyTorch's.
    FloorDivide { name: "floor_divide", grad_fn: None, saves: false,
        cpu: |x, y| floor_divide(x, y), wgsl: "ffloor_divide(x, y)", nan: "special(NAN_BITS)" }
    /// NaN-propagating, like torch.maximum; a tie keeps x (`std::max`), so signed zeros do
    /// not depend on how a compiler lowers a max.
    Maximum { name: "maximum", grad_fn: Some("MaximumBackward0"), saves: true,
        cpu: |x, y| nan_where(any_nan(x, y), max_keep(x, y)), wgsl: "max(x, y)", nan: "special(NAN_BITS)" }
    Minimum { name: "minimum", grad_fn: Some("MinimumBackward0"), saves: true,
        cpu: |x, y| nan_where(any_nan(x, y), min_keep(x, y)), wgsl: "min(x, y)", nan: "special(NAN_BITS)" }
    Gt { name: "gt", grad_fn: None, saves: false,
        cpu: |x, y| ones_where(gt(x, y)), wgsl: "select(0.0, 1.0, x > y)", nan: "0.0" }
    Lt { name: "lt", grad_fn: None, saves: false,
        cpu: |x, y| ones_where(lt(x, y)), wgsl: "select(0.0, 1.0, x < y)", nan: "0.0" }
    Ge { name: "ge", grad_fn: None, saves: false,
        cpu: |x, y| ones_where(ge(x, y)), wgsl: "select(0.0, 1.0, x >= y)", nan: "0.0" }
    Le { name: "le", grad_fn: None, saves: false,
        cpu: |x, y| ones_where(le(x, y)), wgsl: "select(0.0, 1.0, x <= y)", nan: "0.0" }
    Eq { name: "eq", grad_fn: None, saves: false,
        cpu: |x, y| ones_where(eq(x, y)), wgsl: "select(0.0, 1.0, x == y)", nan: "0.0" }
}

/// `ts/ops.generated.ts`: the opcodes the wasm facade's `unary`/`binary` exports take.
pub fn typescript_bindings() -> String {
    let table = |name: &str, v: &[OpInfo]| {
        let mut s = format!("export const {name} = {{\n");
        for (i, (op, _)) in v.iter().enumerate() {
            s += &format!("  {op}: {i},\n");
        }
        s += "} as const;\n";
        s += &format!("export type {name} = (typeof {name})[keyof typeof {name}];\n");
        s
    };
    let mut s = String::from(
        "// Generated from crates/ferrograd-core/src/backend/optable.rs by\n\
         // `FERROGRAD_BLESS=1 cargo test -p ferrograd-core --test op_table`; do not edit.\n\
         // The test fails when this file and the table disagree.\n\n",
    );
    s += &table("UnaryOp", UnaryOp::VARIANTS);
    s += "\n";
    s += &table("BinaryOp", BinaryOp::VARIANTS);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_round_trip_with_their_parameters() {
        for (code, &(name, arity)) in UnaryOp::VARIANTS.iter().enumerate() {
            assert!(arity <= 2, "{name}: the GPU kernels take at most 2 parameters");
            let op = UnaryOp::from_code(code as u32, [1.5, -2.0]).unwrap();
            assert_eq!(op.code(), code as u32);
            assert_eq!(format!("{op:?}").split('(').next(), Some(name));
            let want = [[0.0, 0.0], [1.5, 0.0], [1.5, -2.0]][arity];
            assert_eq!(op.params(), want, "{name}");
        }
        for code in 0..BinaryOp::VARIANTS.len() as u32 {
            assert_eq!(BinaryOp::from_code(code, [0.0; 2]).unwrap().code(), code);
        }
        assert_eq!(UnaryOp::from_code(UnaryOp::VARIANTS.len() as u32, [0.0; 2]), None);
        assert_eq!(BinaryOp::from_code(BinaryOp::VARIANTS.len() as u32, [0.0; 2]), None);
    }
}
