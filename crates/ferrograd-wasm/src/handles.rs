//! The handle slab. A handle is `index | generation << INDEX_BITS`, so a stale handle (its slot
//! freed and reused) is detected instead of silently naming another tensor.

use crate::JsResult;
use ferrograd_core::Tensor;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

const INDEX_BITS: u32 = 22;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

struct Slot {
    gen: u32,
    tensor: Option<Tensor>,
}

#[derive(Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
}

thread_local! {
    static SLAB: RefCell<Slab> = RefCell::new(Slab::default());
}

pub fn put(t: Tensor) -> JsResult<u32> {
    SLAB.with(|s| {
        let mut s = s.borrow_mut();
        let idx = match s.free.pop() {
            Some(i) => i,
            None => {
                if s.slots.len() as u32 >= INDEX_MASK {
                    return Err(JsError::new(
                        "tensor: too many live tensors (4M); are tensors kept alive in a growing list?",
                    ));
                }
                s.slots.push(Slot { gen: 0, tensor: None });
                s.slots.len() as u32 - 1
            }
        };
        let slot = &mut s.slots[idx as usize];
        slot.tensor = Some(t);
        let h = idx | (slot.gen << INDEX_BITS);
        s.live += 1;
        Ok(h)
    })
}

pub fn get(h: u32) -> JsResult<Tensor> {
    SLAB.with(|s| {
        let s = s.borrow();
        let slot = s.slots.get((h & INDEX_MASK) as usize);
        match slot {
            Some(Slot { gen, tensor: Some(t) }) if *gen == h >> INDEX_BITS => Ok(t.clone()),
            _ => Err(JsError::new(&format!("tensor: handle {h} refers to a tensor that was already freed"))),
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
        let idx = h & INDEX_MASK;
        let slot = s.slots.get_mut(idx as usize)?;
        if slot.gen != h >> INDEX_BITS || slot.tensor.is_none() {
            return None;
        }
        let t = slot.tensor.take();
        slot.gen = (slot.gen + 1) & ((1 << (32 - INDEX_BITS)) - 1);
        s.free.push(idx);
        s.live -= 1;
        t
    });
    // Dropped outside the borrow: dropping a graph never re-enters the slab, but keep it simple.
    drop(dropped);
}
