// Strided batched matmul: prm [8..12] offset and batch/row/col strides of A (x0), [12..16] of B (x1).
// C (dst) is [splits][batches][M][N].

fn load_a(b: u32, m: u32, k: u32) -> f32 {
    return x0[prm[8] + b * prm[9] + m * prm[10] + k * prm[11]];
}

fn load_b(b: u32, k: u32, n: u32) -> f32 {
    return x1[prm[12] + b * prm[13] + k * prm[14] + n * prm[15]];
}
