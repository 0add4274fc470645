// The large-tile GEMM body (same prm as gemm.wgsl; the operand loader file before it gives
// `Staged`, `fetch` and `stage`, the variant `store_c`): a 16x16 workgroup computes a 128x128
// tile of C, 8x8 values per thread, over K in steps of 8. Shared tiles hold vec4s, so each k
// step reads two vec4 of A and two of B per thread for 64 multiply-adds. The shared tiles are
// double-buffered: while the workgroup computes on one half, each thread has the next step's
// operands in flight from global memory in registers and then writes them to the other half,
// so one barrier per step suffices. Chosen for outputs of at least 128x128 per batch (ops.rs);
// 16 KiB of workgroup memory (WebGPU's default limit).

const BM: u32 = 128u;
const BN: u32 = 128u;
const BK: u32 = 8u;
// one half of each double-buffered tile: BK rows of 128 / 4 vec4s
const HALF: u32 = 256u;

// [half][k][m / 4] and [half][k][n / 4]
var<workgroup> big_a: array<vec4<f32>, 512>;
var<workgroup> big_b: array<vec4<f32>, 512>;

@compute @workgroup_size(16, 16, 1)
fn gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let m_total = prm[0];
    let n_total = prm[1];
    let splits = prm[3];
    let b = prm[5] + wid.z / splits;
    let s = wid.z % splits;
    let k_begin = s * prm[4];
    let k_end = min(prm[2], k_begin + prm[4]);
    let m0 = wid.y * BM;
    let n0 = wid.x * BN;
    var acc: array<vec4<f32>, 16>;
    var next = fetch(b, k_begin, k_end, m0, n0, li);
    stage(next, li, 0u);
    workgroupBarrier();
    var cur = 0u;
    for (var k0 = k_begin; k0 < k_end; k0 += BK) {
        let more = k0 + BK < k_end;
        // the next step's operands, in flight while this step computes
        if (more) {
            next = fetch(b, k0 + BK, k_end, m0, n0, li);
        }
        for (var kk = 0u; kk < BK; kk++) {
            let a0 = big_a[cur + kk * 32u + lid.y * 2u];
            let a1 = big_a[cur + kk * 32u + lid.y * 2u + 1u];
            let b0 = big_b[cur + kk * 32u + lid.x * 2u];
            let b1 = big_b[cur + kk * 32u + lid.x * 2u + 1u];
            for (var i = 0u; i < 4u; i++) {
                acc[2u * i] += a0[i] * b0;
                acc[2u * i + 1u] += a0[i] * b1;
                acc[8u + 2u * i] += a1[i] * b0;
                acc[8u + 2u * i + 1u] += a1[i] * b1;
            }
        }
        // the other half was last read before the previous barrier
        if (more) {
            stage(next, li, HALF - cur);
        }
        workgroupBarrier();
        cur = HALF - cur;
    }
    // thread (x, y) holds rows m0 + 8y .. +8 and columns n0 + 8x .. +8
    for (var i = 0u; i < 8u; i++) {
        let m = m0 + lid.y * 8u + i;
        if (m < m_total) {
            for (var j = 0u; j < 8u; j++) {
                let n = n0 + lid.x * 8u + j;
                if (n < n_total) {
                    store_c(b, s, m, n, acc[2u * i + j / 4u][j % 4u]);
                }
            }
        }
    }
}
