//! The compute kernels: which WGSL module and entry point each one is. Modules are assembled
//! from `shaders/*.wgsl` at compile time (WGSL has no includes); the GEMM variants share one
//! tiled body and differ only in how they load operands and store results. The elementwise
//! ops get one module each: the shared loop plus the function their op-table row generates.

use crate::backend::{Activation, BinaryOp, PoolDivisor, PoolKind, ReduceOp, UnaryOp};
use std::borrow::Cow;

/// What a reduce kernel combines (its `prm[2]`); WGSL sees the codes as `REDUCE_*` constants.
#[repr(u32)]
#[derive(Clone, Copy)]
pub(crate) enum ReduceCode {
    Sum,
    Max,
    Min,
}

impl ReduceCode {
    pub fn of(op: ReduceOp) -> Self {
        match op {
            ReduceOp::Sum => ReduceCode::Sum,
            // the argmax kernel has its own loop and reads no code
            ReduceOp::Max | ReduceOp::ArgMax => ReduceCode::Max,
            ReduceOp::Min => ReduceCode::Min,
        }
    }
}

/// WGSL constants for the codes the Rust side writes into parameter blocks, so no number is
/// written in both languages.
fn reduce_constants() -> String {
    format!(
        "const REDUCE_SUM: u32 = {}u;\nconst REDUCE_MAX: u32 = {}u;\nconst REDUCE_MIN: u32 = {}u;\n",
        ReduceCode::Sum as u32,
        ReduceCode::Max as u32,
        ReduceCode::Min as u32
    )
}

fn pool_constants() -> String {
    format!(
        "const POOL_MAX: u32 = {}u;\nconst POOL_AVG: u32 = {}u;\nconst DIV_INCLUDE_PAD: u32 = {}u;\nconst DIV_EXCLUDE_PAD: u32 = {}u;\nconst DIV_OVERRIDE: u32 = {}u;\n",
        PoolKind::Max as u32,
        PoolKind::Avg as u32,
        divisor_code(PoolDivisor::IncludePad),
        divisor_code(PoolDivisor::ExcludePad),
        divisor_code(PoolDivisor::Override(0)),
    )
}

/// The `prm[15]` code of an average-pooling divisor (its value goes in `prm[16]`).
pub(crate) fn divisor_code(d: PoolDivisor) -> u32 {
    match d {
        PoolDivisor::IncludePad => 0,
        PoolDivisor::ExcludePad => 1,
        PoolDivisor::Override(_) => 2,
    }
}

/// The conv forward's epilogue code (`prm[26]`): 0 none, else the activation's.
pub(crate) fn act_code(act: Option<Activation>) -> u32 {
    match act {
        None => 0,
        Some(Activation::Relu) => 1,
        Some(Activation::Sigmoid) => 2,
        Some(Activation::Tanh) => 3,
    }
}

/// `name(x)`: the activation the parameter word `word` names (an [`act_code`]), with the
/// elementwise kernels' own functions from the op table (so a fused epilogue computes what the
/// separate op would).
fn act_source(name: &str, word: u32) -> String {
    let mut s = String::new();
    let mut body = format!("fn {name}(x: f32) -> f32 {{\n");
    for a in [Activation::Relu, Activation::Sigmoid, Activation::Tanh] {
        let c = act_code(Some(a));
        s += &a.unary().wgsl_named(&format!("{name}_{c}"));
        body += &format!("    if (prm[{word}] == {c}u) {{\n        return {name}_{c}(x, 0.0, 0.0);\n    }}\n");
    }
    s + &body + "    return x;\n}\n"
}

macro_rules! wgsl {
    (vec4: $($file:literal),*) => {
        concat!(include_str!("shaders/bindings_vec4.wgsl"), include_str!("shaders/common.wgsl"), $(include_str!(concat!("shaders/", $file))),*)
    };
    ($($file:literal),*) => {
        concat!(include_str!("shaders/bindings.wgsl"), include_str!("shaders/common.wgsl"), $(include_str!(concat!("shaders/", $file))),*)
    };
}

const ELEMENTWISE: &str = wgsl!("elementwise.wgsl");
const UNARY: &str = wgsl!("elementwise.wgsl", "ew_math.wgsl", "unary.wgsl");
const BINARY: &str = wgsl!("elementwise.wgsl", "ew_math.wgsl", "ew_fmod.wgsl", "binary.wgsl");
const REDUCE: &str = wgsl!("reduce.wgsl");
const POOL: &str = wgsl!("pool.wgsl");
const INDEX: &str = wgsl!("index.wgsl");
const MATMUL: &str = wgsl!("gemm.wgsl", "gemm_matmul.wgsl", "gemm_matmul_store.wgsl");
const CONV_FWD: &str = wgsl!("gemm.wgsl", "conv_common.wgsl", "ew_math.wgsl", "gemm_conv_fwd.wgsl");
const CONV_BWD_INPUT: &str = wgsl!("gemm.wgsl", "conv_common.wgsl", "gemm_conv_bwd_input.wgsl");
const CONV_BWD_WEIGHT: &str = wgsl!("gemm.wgsl", "conv_common.wgsl", "gemm_conv_bwd_weight.wgsl");
const MATMUL_BIG: &str = wgsl!("gemm_big.wgsl", "gemm_big_scalar.wgsl", "gemm_matmul.wgsl", "gemm_matmul_store.wgsl");
const MATMUL_VEC4: &str = wgsl!(vec4: "gemm_big.wgsl", "gemm_matmul_vec4.wgsl", "gemm_matmul_store.wgsl");
const CONV_FWD_BIG: &str =
    wgsl!("gemm_big.wgsl", "gemm_big_scalar.wgsl", "conv_common.wgsl", "ew_math.wgsl", "gemm_conv_fwd.wgsl");
const CONV_BWD_INPUT_BIG: &str =
    wgsl!("gemm_big.wgsl", "gemm_big_scalar.wgsl", "conv_common.wgsl", "gemm_conv_bwd_input.wgsl");
const CONV_BWD_WEIGHT_BIG: &str =
    wgsl!("gemm_big.wgsl", "gemm_big_scalar.wgsl", "conv_common.wgsl", "gemm_conv_bwd_weight.wgsl");

/// The GEMM body a GEMM-shaped kernel runs: 64x64 tiles (gemm.wgsl) or 128x128 (gemm_big.wgsl).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Tile {
    T64,
    T128,
}

impl Tile {
    /// Rows and columns of C per workgroup.
    pub fn size(self) -> usize {
        match self {
            Tile::T64 => 64,
            Tile::T128 => 128,
        }
    }
    /// The K step (a split of K is a multiple of it).
    pub fn k_step(self) -> usize {
        match self {
            Tile::T64 => 16,
            Tile::T128 => 8,
        }
    }
}
const BN: &str = wgsl!("ew_math.wgsl", "reduce.wgsl", "bn.wgsl");
const CONV_DIRECT: &str = wgsl!("conv_common.wgsl", "conv_direct.wgsl");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kernel {
    /// The unary op of this opcode ([`UnaryOp::code`]).
    Unary(u32),
    /// The binary op of this opcode ([`BinaryOp::code`]).
    Binary(u32),
    Copy,
    Fill,
    Axpby,
    ReduceWg,
    ReduceThread,
    ArgMax,
    Matmul(Tile),
    /// The 128x128 matmul reading its operands as aligned vec4s (`vec4_operands` in ops.rs).
    MatmulVec4,
    ConvFwd(Tile),
    ConvBwdInput(Tile),
    ConvBwdWeight(Tile),
    BnPack,
    BnApply,
    BnStats,
    BnBwdSums,
    BnDxPrep,
    BnDx,
    DirectFwd,
    DirectBwdInput,
    DirectBwdWeight,
    PoolFwd,
    PoolIndices,
    PoolBwd,
    AdaptiveFwd,
    AdaptiveBwd,
    ResizeFwd,
    ResizeBwd,
    Gather,
    Scatter,
    Unpool,
    UnpoolBwd,
}

impl Kernel {
    /// (module name, WGSL source).
    pub fn module(self) -> (Cow<'static, str>, Cow<'static, str>) {
        use Kernel::*;
        let op = |kind: &str, base: &str, code: u32, wgsl: Option<String>| match wgsl {
            Some(f) => (Cow::Owned(format!("{kind}_{code}")), Cow::Owned(format!("{base}\n{f}"))),
            // from_code(k.code()) of a valid op always exists; an invalid opcode compiles to a
            // module without the function, which pipeline creation rejects by name.
            None => (Cow::Owned(format!("{kind}_invalid_{code}")), Cow::Owned(base.to_owned())),
        };
        let (name, source): (&'static str, &'static str) = match self {
            Unary(c) => return op("unary", UNARY, c, UnaryOp::from_code(c, [0.0; 2]).map(UnaryOp::wgsl)),
            Binary(c) => return op("binary", BINARY, c, BinaryOp::from_code(c, [0.0; 2]).map(BinaryOp::wgsl)),
            Copy | Fill | Axpby => ("elementwise", ELEMENTWISE),
            ReduceWg | ReduceThread | ArgMax => {
                return (Cow::Borrowed("reduce"), Cow::Owned(reduce_constants() + REDUCE))
            }
            Matmul(Tile::T64) => ("matmul", MATMUL),
            ConvFwd(t) => {
                let (name, base) = if t == Tile::T64 { ("conv_fwd", CONV_FWD) } else { ("conv_fwd_big", CONV_FWD_BIG) };
                return (Cow::Borrowed(name), Cow::Owned(format!("{base}\n{}", act_source("conv_act", 26))));
            }
            ConvBwdInput(Tile::T64) => ("conv_bwd_input", CONV_BWD_INPUT),
            ConvBwdWeight(Tile::T64) => ("conv_bwd_weight", CONV_BWD_WEIGHT),
            Matmul(Tile::T128) => ("matmul_big", MATMUL_BIG),
            MatmulVec4 => ("matmul_vec4", MATMUL_VEC4),
            ConvBwdInput(Tile::T128) => ("conv_bwd_input_big", CONV_BWD_INPUT_BIG),
            ConvBwdWeight(Tile::T128) => ("conv_bwd_weight_big", CONV_BWD_WEIGHT_BIG),
            BnPack | BnApply | BnStats | BnBwdSums | BnDxPrep | BnDx => {
                return (
                    Cow::Borrowed("bn"),
                    Cow::Owned(format!("{}{BN}\n{}", reduce_constants(), act_source("bn_act", 4))),
                )
            }
            DirectFwd | DirectBwdInput | DirectBwdWeight => ("conv_direct", CONV_DIRECT),
            PoolFwd | PoolIndices | PoolBwd | AdaptiveFwd | AdaptiveBwd | ResizeFwd | ResizeBwd => {
                return (Cow::Borrowed("pool"), Cow::Owned(pool_constants() + POOL))
            }
            Gather | Scatter | Unpool | UnpoolBwd => ("index", INDEX),
        };
        (Cow::Borrowed(name), Cow::Borrowed(source))
    }

    pub fn entry(self) -> &'static str {
        use Kernel::*;
        match self {
            Unary(_) => "unary",
            Binary(_) => "binary",
            Copy => "copy",
            Fill => "fill",
            Axpby => "axpby",
            ReduceWg => "reduce_wg",
            ReduceThread => "reduce_thread",
            ArgMax => "argmax",
            Matmul(_) | MatmulVec4 | ConvFwd(_) | ConvBwdInput(_) | ConvBwdWeight(_) => "gemm",
            BnPack => "bn_pack",
            BnApply => "bn_apply",
            BnStats => "bn_stats",
            BnBwdSums => "bn_bwd_sums",
            BnDxPrep => "bn_dx_prep",
            BnDx => "bn_dx",
            DirectFwd => "direct_fwd",
            DirectBwdInput => "direct_bwd_input",
            DirectBwdWeight => "direct_bwd_weight",
            PoolFwd => "pool_fwd",
            PoolIndices => "pool_indices",
            PoolBwd => "pool_bwd",
            AdaptiveFwd => "adaptive_fwd",
            AdaptiveBwd => "adaptive_bwd",
            ResizeFwd => "resize_fwd",
            ResizeBwd => "resize_bwd",
            Gather => "gather",
            Scatter => "scatter",
            Unpool => "unpool",
            UnpoolBwd => "unpool_bwd",
        }
    }

    /// Kernels that bind the error-flag buffer (binding 5).
    pub fn flagged(self) -> bool {
        matches!(self, Kernel::Gather | Kernel::Scatter | Kernel::Unpool | Kernel::UnpoolBwd)
    }

    /// Every kernel: one per elementwise op of the table, then the fixed ones.
    pub fn all() -> Vec<Kernel> {
        let mut v: Vec<Kernel> = (0..UnaryOp::VARIANTS.len() as u32).map(Kernel::Unary).collect();
        v.extend((0..BinaryOp::VARIANTS.len() as u32).map(Kernel::Binary));
        v.extend([Kernel::Copy, Kernel::Fill, Kernel::Axpby, Kernel::ReduceWg, Kernel::ReduceThread, Kernel::ArgMax]);
        for t in [Tile::T64, Tile::T128] {
            v.extend([Kernel::Matmul(t), Kernel::ConvFwd(t), Kernel::ConvBwdInput(t), Kernel::ConvBwdWeight(t)]);
        }
        v.extend([
            Kernel::MatmulVec4,
            Kernel::BnPack,
            Kernel::BnApply,
            Kernel::BnStats,
            Kernel::BnBwdSums,
            Kernel::BnDxPrep,
            Kernel::BnDx,
            Kernel::DirectFwd,
            Kernel::DirectBwdInput,
            Kernel::DirectBwdWeight,
            Kernel::PoolFwd,
            Kernel::PoolIndices,
            Kernel::PoolBwd,
            Kernel::AdaptiveFwd,
            Kernel::AdaptiveBwd,
            Kernel::ResizeFwd,
            Kernel::ResizeBwd,
            Kernel::Gather,
            Kernel::Scatter,
            Kernel::Unpool,
            Kernel::UnpoolBwd,
        ]);
        v
    }
}
