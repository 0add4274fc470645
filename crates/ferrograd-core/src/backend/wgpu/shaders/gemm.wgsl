// Tiled GEMM body shared by matmul and the three convolution passes (implicit GEMM): each
// variant supplies load_a(b, m, k), load_b(b, k, n) and store_c(b, split, m, n, v), so the
// convolutions gather their operands straight from NCHW tensors with no im2col buffer.
// A 16x16 workgroup computes a 64x64 tile of C, 4x4 values per thread, over K in steps of 16.
// prm: [0] M, [1] N, [2] K, [3] splits of K, [4] K per split, [5] first batch of this launch,
// [6] batches in all, [7] bit 0: A is contiguous along K, bit 1: B is (neighbouring threads
// then load neighbouring K, so global reads coalesce); variant parameters from [8].

const TM: u32 = 64u;
const TN: u32 = 64u;
const TK: u32 = 16u;

var<workgroup> tile_a: array<f32, 1024>;
var<workgroup> tile_b: array<f32, 1024>;

@compute @workgroup_size(16, 16, 1)
fn gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let m_total = prm[0];
    let n_total = prm[1];
    let splits = prm[3];
    let b = prm[5] + wid.z / splits;
    let s = wid.z % splits;
    let k_begin = s * prm[4];
    let k_end = min(prm[2], k_begin + prm[4]);
    let m0 = wid.y * TM;
    let n0 = wid.x * TN;
    let a_kfast = (prm[7] & 1u) != 0u;
    let b_kfast = (prm[7] & 2u) != 0u;
    var acc: array<vec4<f32>, 4>;
    for (var k0 = k_begin; k0 < k_end; k0 += TK) {
        for (var r = 0u; r < 4u; r++) {
            let e = li + r * 256u;
            // tile position (kk, i) of element e: K fastest or M/N fastest
            let ta = select(vec2<u32>(e / TM, e % TM), vec2<u32>(e % TK, e / TK), a_kfast);
            let ka = k0 + ta.x;
            let ma = m0 + ta.y;
            var av = 0.0;
            if (ka < k_end && ma < m_total) {
                av = load_a(b, ma, ka);
            }
            tile_a[ta.x * TM + ta.y] = av;
            let tb = select(vec2<u32>(e / TN, e % TN), vec2<u32>(e % TK, e / TK), b_kfast);
            let kb = k0 + tb.x;
            let nb = n0 + tb.y;
            var bv = 0.0;
            if (kb < k_end && nb < n_total) {
                bv = load_b(b, kb, nb);
            }
            tile_b[tb.x * TN + tb.y] = bv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            let bo = kk * TN + lid.x * 4u;
            let bv = vec4<f32>(tile_b[bo], tile_b[bo + 1u], tile_b[bo + 2u], tile_b[bo + 3u]);
            let ao = kk * TM + lid.y * 4u;
            acc[0] += tile_a[ao] * bv;
            acc[1] += tile_a[ao + 1u] * bv;
            acc[2] += tile_a[ao + 2u] * bv;
            acc[3] += tile_a[ao + 3u] * bv;
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let m = m0 + lid.y * 4u + i;
        if (m < m_total) {
            for (var j = 0u; j < 4u; j++) {
                let n = n0 + lid.x * 4u + j;
                if (n < n_total) {
                    store_c(b, s, m, n, acc[i][j]);
                }
            }
        }
    }
}
