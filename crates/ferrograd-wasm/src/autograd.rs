use crate::{get, js_err, put, JsResult};
use ferrograd_core::{is_grad_enabled, set_grad_enabled};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub fn backward(h: u32, grad: Option<u32>) -> JsResult<()> {
    let t = get(h)?;
    match grad {
        Some(g) => t.backward_with(&get(g)?),
        None => t.backward(),
    }
    .map_err(js_err)
}

/// The accumulated gradient of a leaf, as a new handle (or undefined).
#[wasm_bindgen]
pub fn grad(h: u32) -> JsResult<Option<u32>> {
    get(h)?.grad().map(put).transpose()
}

#[wasm_bindgen(js_name = setGrad)]
pub fn set_grad(h: u32, g: Option<u32>) -> JsResult<()> {
    let t = get(h)?;
    let g = g.map(get).transpose()?;
    if let Some(g) = &g {
        if g.shape() != t.shape() {
            return Err(crate::js_range_error(&format!(
                "grad: assigned grad of shape {:?} to a tensor of shape {:?}",
                g.shape(),
                t.shape()
            )));
        }
    }
    t.set_grad(g.map(|g| g.detach()));
    Ok(())
}

#[wasm_bindgen(js_name = requiresGrad)]
pub fn requires_grad(h: u32) -> JsResult<bool> {
    Ok(get(h)?.requires_grad())
}

#[wasm_bindgen(js_name = setRequiresGrad)]
pub fn set_requires_grad(h: u32, on: bool) -> JsResult<()> {
    get(h)?.set_requires_grad(on).map_err(js_err)
}

#[wasm_bindgen(js_name = isLeaf)]
pub fn is_leaf(h: u32) -> JsResult<bool> {
    Ok(get(h)?.is_leaf())
}

#[wasm_bindgen(js_name = gradFn)]
pub fn grad_fn(h: u32) -> JsResult<Option<String>> {
    Ok(get(h)?.grad_fn_name().map(str::to_owned))
}

#[wasm_bindgen]
pub fn detach(h: u32) -> JsResult<u32> {
    put(get(h)?.detach())
}

#[wasm_bindgen(js_name = gradEnabled)]
pub fn grad_enabled() -> bool {
    is_grad_enabled()
}

/// Returns the previous setting.
#[wasm_bindgen(js_name = setGradEnabled)]
pub fn set_grad_enabled_(on: bool) -> bool {
    set_grad_enabled(on)
}

/// In-place `dst[...] = src` (no autograd).
#[wasm_bindgen]
pub fn assign(dst: u32, src: u32) -> JsResult<()> {
    get(dst)?.assign(&get(src)?).map_err(js_err)
}

/// In-place `dst = dst * alpha + src * beta` (optimizer updates).
#[wasm_bindgen]
pub fn axpby(dst: u32, alpha: f32, src: u32, beta: f32) -> JsResult<()> {
    get(dst)?.axpby_(alpha, &get(src)?, beta).map_err(js_err)
}
