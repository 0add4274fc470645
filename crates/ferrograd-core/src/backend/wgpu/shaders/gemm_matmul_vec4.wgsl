// gemm_big.wgsl's operand loader for matmul with vec4 bindings (bindings_vec4.wgsl): each
// thread moves one vec4 of each BK x 128 tile, along the operand's contiguous axis. prm as in
// gemm_matmul.wgsl; the host (ops.rs `vec4_operands`) guarantees that the contiguous axis has
// stride 1 and a length that is a multiple of 4, and that offsets and the other strides are
// multiples of 4, so a vec4 is aligned and lies wholly inside or outside the matrix (K splits
// are multiples of 8).

alias Staged = array<vec4<f32>, 2>;

// A in [0], B in [1]; zero past the edges.
fn fetch(b: u32, k0: u32, k_end: u32, m0: u32, n0: u32, li: u32) -> Staged {
    var v: Staged;
    if ((prm[7] & 1u) != 0u) {
        // A[m, k..k+4]: 128 rows of two vec4s
        let m = m0 + li / 2u;
        let k = k0 + (li % 2u) * 4u;
        if (m < prm[0] && k < k_end) {
            v[0] = x0[(prm[8] + b * prm[9] + m * prm[10] + k) / 4u];
        }
    } else {
        // A[m..m+4, k]: BK rows of 32 vec4s
        let k = k0 + li / 32u;
        let m = m0 + (li % 32u) * 4u;
        if (k < k_end && m < prm[0]) {
            v[0] = x0[(prm[8] + b * prm[9] + k * prm[11] + m) / 4u];
        }
    }
    if ((prm[7] & 2u) != 0u) {
        // B[k..k+4, n]
        let n = n0 + li / 2u;
        let k = k0 + (li % 2u) * 4u;
        if (n < prm[1] && k < k_end) {
            v[1] = x1[(prm[12] + b * prm[13] + n * prm[15] + k) / 4u];
        }
    } else {
        // B[k, n..n+4]
        let k = k0 + li / 32u;
        let n = n0 + (li % 32u) * 4u;
        if (k < k_end && n < prm[1]) {
            v[1] = x1[(prm[12] + b * prm[13] + k * prm[14] + n) / 4u];
        }
    }
    return v;
}

// A vec4 along K is spread over four k rows of the M-packed shared tile; along M/N it is one
// shared vec4.
fn stage(v: Staged, li: u32, half: u32) {
    if ((prm[7] & 1u) != 0u) {
        let m = li / 2u;
        let kq = (li % 2u) * 4u;
        for (var c = 0u; c < 4u; c++) {
            big_a[half + (kq + c) * 32u + m / 4u][m % 4u] = v[0][c];
        }
    } else {
        big_a[half + (li / 32u) * 32u + li % 32u] = v[0];
    }
    if ((prm[7] & 2u) != 0u) {
        let n = li / 2u;
        let kq = (li % 2u) * 4u;
        for (var c = 0u; c < 4u; c++) {
            big_b[half + (kq + c) * 32u + n / 4u][n % 4u] = v[1][c];
        }
    } else {
        big_b[half + (li / 32u) * 32u + li % 32u] = v[1];
    }
}
