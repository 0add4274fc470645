//! The handle slab. A handle is `index | generation << INDEX_BITS | tag << 31`, so a stale handle
//! (its slot freed and reused) is detected instead of silently naming another tensor. The tag
//! tells instances apart: when the loader replaces the threaded build by the single-threaded one
//! (for WebGPU), handles of the old instance can never name a tensor of the new one, so a late
//! finalizer or a forgotten tensor fails clearly instead of freeing or reading another tensor.

use crate::JsResult;
use ferrograd_core::Tensor;
use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;

const INDEX_BITS: u32 = 22;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
const GEN_BITS: u32 = 9;
const GEN_MASK: u32 = (1 << GEN_BITS) - 1;
const TAG_SHIFT: u32 = INDEX_BITS + GEN_BITS;

struct Slot {
    gen: u32,
    tensor: Option<Tensor>,
}

struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
}

impl Default for Slab {
    /// Slot 0 is never handed out: wasm-bindgen turns `undefined`, `null`, NaN and non-numbers
    /// into 0 for a `u32`, so handle 0 must name no tensor (it would be the program's first one).
    fn default() -> Self {
        Slab { slots: vec![Slot { gen: 0, tensor: None }], free: Vec::new(), live: 0 }
    }
}

thread_local! {
    static SLAB: RefCell<Slab> = RefCell::new(Slab::default());
    static TAG: Cell<u32> = const { Cell::new(0) };
}

/// Tags this instance's handles (0 or 1); set before the first tensor is made.
#[wasm_bindgen(js_name = setHandleTag)]
pub fn set_handle_tag(tag: u32) {
    TAG.with(|t| t.set(tag & 1));
}

/// The slot index of `h` when it carries this instance's tag.
fn slot_of(h: u32) -> Option<usize> {
    (h >> TAG_SHIFT == TAG.with(Cell::get)).then_some((h & INDEX_MASK) as usize)
}

fn gen_of(h: u32) -> u32 {
    (h >> INDEX_BITS) & GEN_MASK
}

pub fn put(t: Tensor) -> JsResult<u32> {
    SLAB.with(|s| {
        let mut s = s.borrow_mut();
        let idx = match s.free.pop() {
            Some(i) => i,
            None => {
                if s.slots.len() as u32 >= INDEX_MASK {
                    return Err(crate::js_error(
                        "tensor: too many live tensors (4M); are tensors kept alive in a growing list?",
                    ));
                }
                s.slots.push(Slot { gen: 0, tensor: None });
                s.slots.len() as u32 - 1
            }
        };
        let slot = &mut s.slots[idx as usize];
        slot.tensor = Some(t);
        let h = idx | (slot.gen << INDEX_BITS) | (TAG.with(Cell::get) << TAG_SHIFT);
        s.live += 1;
        Ok(h)
    })
}

pub fn get(h: u32) -> JsResult<Tensor> {
    SLAB.with(|s| {
        let s = s.borrow();
        let slot = slot_of(h).and_then(|i| s.slots.get(i));
        match slot {
            Some(Slot { gen, tensor: Some(t) }) if *gen == gen_of(h) => Ok(t.clone()),
            _ if h == 0 => {
                Err(crate::js_type_error("tensor: expected a tensor handle, got 0 (a value that is not a Tensor)"))
            }
            _ => Err(crate::js_type_error(&format!("tensor: handle {h} refers to a tensor that was already freed"))),
        }
    })
}

pub fn count() -> usize {
    SLAB.with(|s| s.borrow().live)
}

/// Frees a handle; freeing twice is harmless (finalizers and scopes may both get to it).
#[wasm_bindgen(js_name = freeTensor)]
pub fn free_tensor(h: u32) {
    let dropped = SLAB.with(|s| {
        let mut s = s.borrow_mut();
        let idx = slot_of(h)?;
        let slot = s.slots.get_mut(idx)?;
        if slot.gen != gen_of(h) || slot.tensor.is_none() {
            return None;
        }
        let t = slot.tensor.take();
        slot.gen = (slot.gen + 1) & GEN_MASK;
        s.free.push(idx as u32);
        s.live -= 1;
        t
    });
    // Dropped outside the borrow: dropping a graph never re-enters the slab, but keep it simple.
    drop(dropped);
}
