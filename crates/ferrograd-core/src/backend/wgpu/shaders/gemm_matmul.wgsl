// Strided batched matmul: prm [8..12] offset and batch/row/col strides of A (x0), [12..16] of B (x1).
// C (dst) is [splits][batches][M][N].

fn load_a(b: u32, m: u32, k: u32) -> f32 {
    return x0[prm[8] + b * prm[9] + m * prm[10] + k * prm[11]];
}

fn load_b(b: u32, k: u32, n: u32) -> f32 {
    return x1[prm[12] + b * prm[13] + k * prm[14] + n * prm[15]];
}

fn store_c(b: u32, s: u32, m: u32, n: u32, v: f32) {
    dst[((s * prm[6] + b) * prm[0] + m) * prm[1] + n] = v;
}
