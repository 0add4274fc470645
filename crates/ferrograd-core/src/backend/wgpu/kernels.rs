//! The compute kernels: which WGSL module and entry point each one is. Modules are assembled
//! from `shaders/*.wgsl` at compile time (WGSL has no includes); the GEMM variants share one
//! tiled body and differ only in how they load operands and store results.

macro_rules! wgsl {
    ($($file:literal),*) => {
        concat!(include_str!("shaders/common.wgsl"), $(include_str!(concat!("shaders/", $file))),*)
    };
}

const ELEMENTWISE: &str = wgsl!("elementwise.wgsl");
const REDUCE: &str = wgsl!("reduce.wgsl");
const POOL: &str = wgsl!("pool.wgsl");
const INDEX: &str = wgsl!("index.wgsl");
const MATMUL: &str = wgsl!("gemm.wgsl", "gemm_matmul.wgsl");
const CONV_FWD: &str = wgsl!("gemm.wgsl", "conv_common.wgsl", "gemm_conv_fwd.wgsl");
const CONV_BWD_INPUT: &str = wgsl!("gemm.wgsl", "conv_common.wgsl", "gemm_conv_bwd_input.wgsl");
const CONV_BWD_WEIGHT: &str = wgsl!("gemm.wgsl", "conv_common.wgsl", "gemm_conv_bwd_weight.wgsl");
const CONV_DIRECT: &str = wgsl!("conv_common.wgsl", "conv_direct.wgsl");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Kernel {
    Unary,
    Binary,
    Copy,
    Fill,
    Axpby,
    ReduceWg,
    ReduceThread,
    ArgMax,
    Matmul,
    ConvFwd,
    ConvBwdInput,
    ConvBwdWeight,
    DirectFwd,
    DirectBwdInput,
    DirectBwdWeight,
    PoolFwd,
    PoolBwd,
    AdaptiveFwd,
    AdaptiveBwd,
    ResizeFwd,
    ResizeBwd,
    Gather,
    Scatter,
}

impl Kernel {
    /// (module name, WGSL source).
    pub fn module(self) -> (&'static str, &'static str) {
        use Kernel::*;
        match self {
            Unary | Binary | Copy | Fill | Axpby => ("elementwise", ELEMENTWISE),
            ReduceWg | ReduceThread | ArgMax => ("reduce", REDUCE),
            Matmul => ("matmul", MATMUL),
            ConvFwd => ("conv_fwd", CONV_FWD),
            ConvBwdInput => ("conv_bwd_input", CONV_BWD_INPUT),
            ConvBwdWeight => ("conv_bwd_weight", CONV_BWD_WEIGHT),
            DirectFwd | DirectBwdInput | DirectBwdWeight => ("conv_direct", CONV_DIRECT),
            PoolFwd | PoolBwd | AdaptiveFwd | AdaptiveBwd | ResizeFwd | ResizeBwd => ("pool", POOL),
            Gather | Scatter => ("index", INDEX),
        }
    }

    pub fn entry(self) -> &'static str {
        use Kernel::*;
        match self {
            Unary => "unary",
            Binary => "binary",
            Copy => "copy",
            Fill => "fill",
            Axpby => "axpby",
            ReduceWg => "reduce_wg",
            ReduceThread => "reduce_thread",
            ArgMax => "argmax",
            Matmul | ConvFwd | ConvBwdInput | ConvBwdWeight => "gemm",
            DirectFwd => "direct_fwd",
            DirectBwdInput => "direct_bwd_input",
            DirectBwdWeight => "direct_bwd_weight",
            PoolFwd => "pool_fwd",
            PoolBwd => "pool_bwd",
            AdaptiveFwd => "adaptive_fwd",
            AdaptiveBwd => "adaptive_bwd",
            ResizeFwd => "resize_fwd",
            ResizeBwd => "resize_bwd",
            Gather => "gather",
            Scatter => "scatter",
        }
    }

    /// Kernels that bind the error-flag buffer (binding 5).
    pub fn flagged(self) -> bool {
        matches!(self, Kernel::Gather | Kernel::Scatter)
    }

    pub const ALL: [Kernel; 23] = [
        Kernel::Unary,
        Kernel::Binary,
        Kernel::Copy,
        Kernel::Fill,
        Kernel::Axpby,
        Kernel::ReduceWg,
        Kernel::ReduceThread,
        Kernel::ArgMax,
        Kernel::Matmul,
        Kernel::ConvFwd,
        Kernel::ConvBwdInput,
        Kernel::ConvBwdWeight,
        Kernel::DirectFwd,
        Kernel::DirectBwdInput,
        Kernel::DirectBwdWeight,
        Kernel::PoolFwd,
        Kernel::PoolBwd,
        Kernel::AdaptiveFwd,
        Kernel::AdaptiveBwd,
        Kernel::ResizeFwd,
        Kernel::ResizeBwd,
        Kernel::Gather,
        Kernel::Scatter,
    ];
}
