// The large-tile GEMM body (same interface and prm as gemm.wgsl: load_a, load_b, store_c from
// the variant): a 16x16 workgroup computes a 128x128 tile of C, 8x8 values per thread, over K
// in steps of 8. Shared tiles hold vec4s, so each k step reads two vec4 of A and two of B per
// thread for 64 multiply-adds; the next step's operands are loaded into registers while the
// current step computes (one shared buffer, prefetched), which hides global-memory latency.
// Chosen for outputs of at least 128x128 per batch (ops.rs); 8 KiB of workgroup memory.

const BM: u32 = 128u;
const BN: u32 = 128u;
const BK: u32 = 8u;

// [k][m / 4] and [k][n / 4]
var<workgroup> big_a: array<vec4<f32>, 256>;
var<workgroup> big_b: array<vec4<f32>, 256>;

// Element e (0..1024) of a BK x 128 operand tile as (k, i): K fastest when the operand is
// contiguous along K (neighbouring threads then read neighbouring addresses), else M/N fastest.
fn tile_pos(e: u32, kfast: bool) -> vec2<u32> {
    return select(vec2<u32>(e / 128u, e % 128u), vec2<u32>(e % BK, e / BK), kfast);
}

// This thread's four elements of the A and B tiles of the K step at k0 (0 past the edges):
// A in [0..4), B in [4..8).
fn fetch(b: u32, k0: u32, k_end: u32, m0: u32, n0: u32, li: u32) -> array<f32, 8> {
    var v: array<f32, 8>;
    for (var r = 0u; r < 4u; r++) {
        let ta = tile_pos(li + r * 256u, (prm[7] & 1u) != 0u);
        if (k0 + ta.x < k_end && m0 + ta.y < prm[0]) {
            v[r] = load_a(b, m0 + ta.y, k0 + ta.x);
        }
        let tb = tile_pos(li + r * 256u, (prm[7] & 2u) != 0u);
        if (k0 + tb.x < k_end && n0 + tb.y < prm[1]) {
            v[4u + r] = load_b(b, k0 + tb.x, n0 + tb.y);
        }
    }
    return v;
}

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
    let a_kfast = (prm[7] & 1u) != 0u;
    let b_kfast = (prm[7] & 2u) != 0u;
    var acc: array<vec4<f32>, 16>;
    // operands of the first step
    var next = fetch(b, k_begin, k_end, m0, n0, li);
    for (var k0 = k_begin; k0 < k_end; k0 += BK) {
        for (var r = 0u; r < 4u; r++) {
            let ta = tile_pos(li + r * 256u, a_kfast);
            big_a[ta.x * 32u + ta.y / 4u][ta.y % 4u] = next[r];
            let tb = tile_pos(li + r * 256u, b_kfast);
            big_b[tb.x * 32u + tb.y / 4u][tb.y % 4u] = next[4u + r];
        }
        workgroupBarrier();
        // the next step's operands, in flight while this step computes
        if (k0 + BK < k_end) {
            next = fetch(b, k0 + BK, k_end, m0, n0, li);
        }
        for (var kk = 0u; kk < BK; kk++) {
            let a0 = big_a[kk * 32u + lid.y * 2u];
            let a1 = big_a[kk * 32u + lid.y * 2u + 1u];
            let b0 = big_b[kk * 32u + lid.x * 2u];
            let b1 = big_b[kk * 32u + lid.x * 2u + 1u];
            for (var i = 0u; i < 4u; i++) {
                acc[2u * i] += a0[i] * b0;
                acc[2u * i + 1u] += a0[i] * b1;
                acc[8u + 2u * i] += a1[i] * b0;
                acc[8u + 2u * i + 1u] += a1[i] * b1;
            }
        }
        workgroupBarrier();
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
