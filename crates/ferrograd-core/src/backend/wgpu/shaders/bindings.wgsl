// Bindings shared by every kernel: a parameter block (u32 words, floats bit-cast), up to three
// inputs and one output. Names avoid WGSL's reserved words (`meta`, `out` ...).
@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> x1: array<f32>;
@group(0) @binding(3) var<storage, read> x2: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

