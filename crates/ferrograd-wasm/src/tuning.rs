//! Knobs for benchmarks that compare kernels (not part of the TypeScript API).

use wasm_bindgen::prelude::*;

/// Benchmarks only: forces one CPU convolution algorithm (`auto`, `im2col`, `direct`,
/// `winograd` F(2×2) or `winograd4` F(4×4)) for every conv; `auto` restores the shape rule.
#[wasm_bindgen(js_name = setConvAlgorithm)]
pub fn set_conv_algorithm(name: &str) -> Result<(), JsValue> {
    use ferrograd_core::runtime::conv::{set_algorithm, Algo};
    let a = match name {
        "auto" => Algo::Auto,
        "im2col" => Algo::Im2col,
        "direct" => Algo::Direct,
        "winograd" => Algo::Winograd,
        "winograd4" => Algo::Winograd4,
        other => {
            return Err(crate::js_range_error(&format!(
                "setConvAlgorithm: unknown algorithm '{other}' (auto, im2col, direct, winograd, winograd4)"
            )))
        }
    };
    set_algorithm(a);
    Ok(())
}
