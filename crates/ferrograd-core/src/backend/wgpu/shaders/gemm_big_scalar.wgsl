// gemm_big.wgsl's operand loader through the variant's scalar `load_a` / `load_b` (any layout,
// the implicit-GEMM conv gathers): each thread moves four elements of each BK x 128 tile.

alias Staged = array<f32, 8>;

// Element e (0..1024) of a BK x 128 operand tile as (k, i): K fastest when the operand is
// contiguous along K (neighbouring threads then read neighbouring addresses), else M/N fastest.
fn tile_pos(e: u32, kfast: bool) -> vec2<u32> {
    return select(vec2<u32>(e / 128u, e % 128u), vec2<u32>(e % BK, e / BK), kfast);
}

// This thread's four elements of the A and B tiles of the K step at k0 (0 past the edges):
// A in [0..4), B in [4..8).
fn fetch(b: u32, k0: u32, k_end: u32, m0: u32, n0: u32, li: u32) -> Staged {
    var v: Staged;
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

// Writes the fetched elements into the shared half at `half`.
fn stage(v: Staged, li: u32, half: u32) {
    for (var r = 0u; r < 4u; r++) {
        let ta = tile_pos(li + r * 256u, (prm[7] & 1u) != 0u);
        big_a[half + ta.x * 32u + ta.y / 4u][ta.y % 4u] = v[r];
        let tb = tile_pos(li + r * 256u, (prm[7] & 2u) != 0u);
        big_b[half + tb.x * 32u + tb.y / 4u][tb.y % 4u] = v[4u + r];
    }
}
