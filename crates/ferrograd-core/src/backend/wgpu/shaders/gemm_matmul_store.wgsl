// The matmul GEMMs' C: [splits][batches][M][N] (dst).

fn store_c(b: u32, s: u32, m: u32, n: u32, v: f32) {
    dst[((s * prm[6] + b) * prm[0] + m) * prm[1] + n] = v;
}
