//! Single-precision GEMM, BLIS style: B is packed into KC×NR column panels, A into MC×KC row
//! panels, and an MR×NR register-tile micro-kernel does the arithmetic. Packing reads any
//! strides, so transposed operands (every matmul backward) cost no extra copy.
//!
//! Parallel work: for each (column block, k block) step the B panels are packed once, by
//! several tasks, into one shared buffer; then tasks compute tiles of C (MC rows × a fixed
//! number of columns), each packing its own rows of A. Every element of C is still built by the
//! same sequence of k-blocks and the same micro-kernel sums, so the tiling (and which thread
//! computes a tile) cannot change results.

use super::parallel::{for_each_chunk_mut, for_each_task, SendPtr};
use super::simd::F32x4;
use std::cell::RefCell;

pub const MR: usize = 4;
pub const NR: usize = 8;
const KC: usize = 256;
const MC: usize = 64;
const NC: usize = 2048;
/// Tiles per step the split aims for: enough for four threads to balance.
const TARGET_TILES: usize = 16;
/// Narrowest tile (in NR panels): each tile re-packs its rows of A, which must stay cheap
/// next to the tile's arithmetic.
const MIN_TILE_PANELS: usize = 16;
/// B panels per packing task.
const PACK_PANELS: usize = 32;

/// A strided read-only matrix view.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub offset: usize,
    pub rs: usize,
    pub cs: usize,
}

impl MatRef<'_> {
    #[inline(always)]
    fn at(&self, r: usize, c: usize) -> f32 {
        self.data[self.offset + r * self.rs + c * self.cs]
    }
}

thread_local! {
    // Packed panels of B (shared by a step's tile tasks) and of A (one per task's thread).
    static PACK_B: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static PACK_A: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Column tiles per step for `row_blocks` row blocks over `nc` columns: (count, width), the
/// width a multiple of NR. A function of the shape only.
fn column_tiles(row_blocks: usize, nc: usize) -> (usize, usize) {
    let panels = nc.div_ceil(NR);
    let want = TARGET_TILES.div_ceil(row_blocks).min(panels / MIN_TILE_PANELS).max(1);
    let width = panels.div_ceil(want) * NR;
    (nc.div_ceil(width), width)
}

/// `C[m×n] (+)= A[m×k] · B[k×n]`; C is row-major with leading dimension `ldc` at `c_off`.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    m: usize,
    n: usize,
    k: usize,
    a: MatRef,
    b: MatRef,
    c: &mut [f32],
    c_off: usize,
    ldc: usize,
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    // Exactly C's rows: tiles write inside this window only.
    let c = &mut c[c_off..c_off + (m - 1) * ldc + n];
    if k == 0 {
        if !accumulate {
            for row in c.chunks_mut(ldc) {
                row[..n].fill(0.0);
            }
        }
        return;
    }
    let cp = SendPtr(c.as_mut_ptr());
    PACK_B.with(|pb| {
        let pb = &mut *pb.borrow_mut();
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            let row_blocks = m.div_ceil(MC);
            let (col_tiles, width) = column_tiles(row_blocks, nc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                pack_b(b, pc, jc, kc, nc, pb);
                let acc = accumulate || pc > 0;
                let pb = &*pb;
                for_each_task(row_blocks * col_tiles, m * nc * kc, |t| {
                    let (ic, j0) = (t / col_tiles * MC, t % col_tiles * width);
                    let (mc, w) = (MC.min(m - ic), width.min(nc - j0));
                    PACK_A.with(|pa| {
                        let pa = &mut *pa.borrow_mut();
                        pack_a(a, ic, pc, mc, kc, pa);
                        let bp = &pb[j0 / NR * kc * NR..];
                        // SAFETY: the tile covers rows ic..ic+mc and columns jc+j0..jc+j0+w of
                        // C, inside the window (ic+mc <= m, jc+j0+w <= n); tiles of one step
                        // are disjoint, and the window is borrowed mutably for the whole call.
                        unsafe { macro_tile(mc, w, kc, pa, bp, cp.get().add(ic * ldc + jc + j0), ldc, acc) };
                    });
                });
            }
        }
    });
}

/// Resizes a pack buffer without clearing it: packing overwrites every element it uses, and
/// only the padding of partial panels needs zeros.
fn reuse(buf: &mut Vec<f32>, n: usize) -> &mut [f32] {
    buf.resize(n, 0.0);
    &mut buf[..n]
}

fn pack_b(b: MatRef, pc: usize, jc: usize, kc: usize, nc: usize, out: &mut Vec<f32>) {
    let panels = nc.div_ceil(NR);
    let out = reuse(out, panels * kc * NR);
    for_each_chunk_mut(out, PACK_PANELS * kc * NR, kc * nc, |t, dst| {
        for (q, dst) in dst.chunks_exact_mut(kc * NR).enumerate() {
            pack_b_panel(b, pc, jc + (t * PACK_PANELS + q) * NR, jc + nc, kc, dst);
        }
    });
}

/// Packs the NR columns from `j0` (zero past `end`) of rows pc..pc+kc.
fn pack_b_panel(b: MatRef, pc: usize, j0: usize, end: usize, kc: usize, dst: &mut [f32]) {
    let w = NR.min(end - j0);
    if b.cs == 1 && w == NR {
        for kk in 0..kc {
            let s = &b.data[b.offset + (pc + kk) * b.rs + j0..][..NR];
            // Two vector moves: a slice copy would call out to memory.copy.
            let d = &mut dst[kk * NR..kk * NR + NR];
            F32x4::from_slice(s).write_to(d);
            F32x4::from_slice(&s[4..]).write_to(&mut d[4..]);
        }
    } else {
        for kk in 0..kc {
            for j in 0..NR {
                dst[kk * NR + j] = if j < w { b.at(pc + kk, j0 + j) } else { 0.0 };
            }
        }
    }
}

fn pack_a(a: MatRef, ic: usize, pc: usize, mc: usize, kc: usize, out: &mut Vec<f32>) {
    let panels = mc.div_ceil(MR);
    let out = reuse(out, panels * kc * MR);
    for p in 0..panels {
        let i0 = ic + p * MR;
        let h = MR.min(ic + mc - i0);
        let dst = &mut out[p * kc * MR..(p + 1) * kc * MR];
        for i in 0..h {
            let row = a.offset + (i0 + i) * a.rs + pc * a.cs;
            if a.cs == 1 {
                for (kk, &v) in a.data[row..row + kc].iter().enumerate() {
                    dst[kk * MR + i] = v;
                }
            } else {
                for kk in 0..kc {
                    dst[kk * MR + i] = a.data[row + kk * a.cs];
                }
            }
        }
        for i in h..MR {
            for kk in 0..kc {
                dst[kk * MR + i] = 0.0;
            }
        }
    }
}

/// One tile: `mc` rows × `nc` columns of C starting at `c` (row stride `ldc`), from packed A
/// rows and packed B panels.
///
/// # Safety
/// `c` must be valid for writes of rows `0..mc`, columns `0..nc` (stride `ldc`), and no other
/// thread may access them meanwhile.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(all(target_arch = "wasm32", ferrograd_relaxed), target_feature(enable = "relaxed-simd"))]
unsafe fn macro_tile(mc: usize, nc: usize, kc: usize, pa: &[f32], pb: &[f32], c: *mut f32, ldc: usize, acc: bool) {
    for (jp, j0) in (0..nc).step_by(NR).enumerate() {
        let w = NR.min(nc - j0);
        let bp = &pb[jp * kc * NR..(jp + 1) * kc * NR];
        for (ip, i0) in (0..mc).step_by(MR).enumerate() {
            let h = MR.min(mc - i0);
            let ap = &pa[ip * kc * MR..(ip + 1) * kc * MR];
            let tile = micro::kernel(kc, ap, bp);
            // SAFETY (whole block): the tile's rows i0..i0+h and columns j0..j0+w lie inside
            // the caller's rows 0..mc and columns 0..nc.
            unsafe {
                let at = c.add(i0 * ldc + j0);
                if h == MR && w == NR {
                    for (i, r) in tile.iter().enumerate() {
                        let (p0, p1) = (at.add(i * ldc), at.add(i * ldc + 4));
                        if acc {
                            F32x4::load(p0).add(r[0]).store(p0);
                            F32x4::load(p1).add(r[1]).store(p1);
                        } else {
                            r[0].store(p0);
                            r[1].store(p1);
                        }
                    }
                } else {
                    for (i, r) in tile.iter().enumerate().take(h) {
                        let mut t = [0.0f32; NR];
                        r[0].write_to(&mut t[..4]);
                        r[1].write_to(&mut t[4..]);
                        let row = std::slice::from_raw_parts_mut(at.add(i * ldc), w);
                        for (d, &v) in row.iter_mut().zip(&t) {
                            *d = if acc { *d + v } else { v };
                        }
                    }
                }
            }
        }
    }
}

/// The MR×NR register tile: MR rows of two vector accumulators, fed per k by two B loads and
/// MR broadcasts of A.
mod micro {
    use super::super::simd::F32x4;
    use super::{MR, NR};

    #[inline(always)]
    pub fn kernel(kc: usize, a: &[f32], b: &[f32]) -> [[F32x4; 2]; MR] {
        assert!(a.len() >= kc * MR && b.len() >= kc * NR && NR == 8);
        let mut acc = [[F32x4::zero(); 2]; MR];
        let (ap, bp) = (a.as_ptr(), b.as_ptr());
        for kk in 0..kc {
            // SAFETY: the assert above bounds every read: a[kk*MR..kk*MR+MR], b[kk*NR..kk*NR+8].
            unsafe {
                let b0 = F32x4::load(bp.add(kk * NR));
                let b1 = F32x4::load(bp.add(kk * NR + 4));
                for (i, row) in acc.iter_mut().enumerate() {
                    let a = F32x4::load_splat(ap.add(kk * MR + i));
                    row[0] = row[0].madd(a, b0);
                    row[1] = row[1].madd(a, b1);
                }
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: MatRef, b: MatRef) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f64;
                for p in 0..k {
                    s += a.at(i, p) as f64 * b.at(p, j) as f64;
                }
                c[i * n + j] = s as f32;
            }
        }
        c
    }

    #[test]
    fn matches_naive_on_ragged_and_transposed_shapes() {
        for &(m, n, k) in &[(1, 1, 1), (5, 7, 3), (67, 33, 300), (4, 8, 256), (130, 9, 517)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) / 5.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0).collect();
            // A row-major, B column-major (a transposed view)
            let ar = MatRef { data: &a, offset: 0, rs: k, cs: 1 };
            let br = MatRef { data: &b, offset: 0, rs: 1, cs: k };
            let want = naive(m, n, k, ar, br);
            let mut c = vec![1.0; m * n];
            gemm(m, n, k, ar, br, &mut c, 0, n, false);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{m}x{n}x{k}: {x} vs {y}");
            }
            gemm(m, n, k, ar, br, &mut c, 0, n, true);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - 2.0 * y).abs() <= 2e-4 * (1.0 + y.abs()));
            }
        }
    }

    #[test]
    fn writes_only_its_window_of_a_larger_buffer() {
        // Several row blocks (m > MC), k blocks (k > KC) and column blocks (n > NC), into the
        // middle of a wider buffer whose other elements must stay untouched.
        let (m, n, k, ldc, off) = (70, NC + 9, KC + 3, NC + 20, 5);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) / 5.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0).collect();
        let ar = MatRef { data: &a, offset: 0, rs: k, cs: 1 };
        let br = MatRef { data: &b, offset: 0, rs: n, cs: 1 };
        let want = naive(m, n, k, ar, br);
        let mut c = vec![7.0f32; off + m * ldc];
        gemm(m, n, k, ar, br, &mut c, off, ldc, false);
        for (i, &v) in c.iter().enumerate() {
            let (r, col) = ((i.wrapping_sub(off)) / ldc, (i.wrapping_sub(off)) % ldc);
            if i < off || col >= n {
                assert_eq!(v, 7.0, "element {i} outside C changed");
            } else {
                let y = want[r * n + col];
                assert!((v - y).abs() <= 1e-4 * (1.0 + y.abs()), "C[{r}][{col}]: {v} vs {y}");
            }
        }
    }
}
