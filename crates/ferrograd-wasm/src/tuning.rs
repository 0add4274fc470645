//! Knobs for benchmarks that compare kernels (not part of the TypeScript API).

use wasm_bindgen::prelude::*;

/// Benchmarks only: forces one CPU convolution algorithm (`auto`, `im2col`, `direct` or
/// `winograd`) for every conv; `auto` restores the shape rule.
#[wasm_bindgen(js_name = setConvAlgorithm)]
pub fn set_conv_algorithm(name: &str) -> Result<(), JsValue> {
    use ferrograd_core::runtime::conv::{set_algorithm, Algo};
    let a = match name {
        "auto" => Algo::Auto,
        "im2col" => Algo::Im2col,
        "direct" => Algo::Direct,
        "winograd" => Algo::Winograd,
        other => {
            return Err(crate::js_error(&format!(
                "setConvAlgorithm: unknown algorithm '{other}' (auto, im2col, direct, winograd)"
            )))
        }
    };
    set_algorithm(a);
    Ok(())
}
