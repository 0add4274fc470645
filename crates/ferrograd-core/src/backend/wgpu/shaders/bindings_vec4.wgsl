// bindings.wgsl with the two GEMM operands read as vec4 (16-byte loads; the host checks that
// every vec4 the kernel reads is aligned and inside one row).
@group(0) @binding(0) var<storage, read> prm: array<u32>;
@group(0) @binding(1) var<storage, read> x0: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> x1: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> x2: array<f32>;
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;

