//! Walks several strided layouts of one shape together, one innermost row at a time, after
//! merging every pair of dimensions that is contiguous in all of them. Broadcast adds such as
//! `[N,C,H,W] + [1,C,1,1]` become a few long rows with a stride-0 operand, which the kernels
//! turn into tight (auto-vectorised) loops.

pub(crate) struct Rows<const K: usize> {
    sizes: Vec<usize>,
    strides: Vec<[usize; K]>,
}

impl<const K: usize> Rows<K> {
    pub fn new(shape: &[usize], strides: [&[usize]; K]) -> Self {
        let mut sizes: Vec<usize> = Vec::with_capacity(shape.len());
        let mut st: Vec<[usize; K]> = Vec::with_capacity(shape.len());
        for (d, &size) in shape.iter().enumerate() {
            if size == 1 {
                continue;
            }
            let s: [usize; K] = std::array::from_fn(|k| strides[k][d]);
            if let (Some(&last_size), Some(last)) = (sizes.last(), st.last()) {
                if (0..K).all(|k| last[k] == s[k] * size) {
                    let n = sizes.len();
                    sizes[n - 1] = last_size * size;
                    st[n - 1] = s;
                    continue;
                }
            }
            sizes.push(size);
            st.push(s);
        }
        if sizes.is_empty() {
            sizes.push(1);
            st.push([1; K]);
        }
        Rows { sizes, strides: st }
    }

    pub fn inner_len(&self) -> usize {
        *self.sizes.last().unwrap()
    }

    pub fn inner_strides(&self) -> [usize; K] {
        *self.strides.last().unwrap()
    }

    /// The outermost dimension (size, strides) and the rows inside one of its indices, when
    /// there are rows outside the innermost one.
    pub fn split_first(&self) -> Option<(usize, [usize; K], Rows<K>)> {
        (self.sizes.len() > 1).then(|| {
            (
                self.sizes[0],
                self.strides[0],
                Rows { sizes: self.sizes[1..].to_vec(), strides: self.strides[1..].to_vec() },
            )
        })
    }

    /// Calls `f(start_offsets)` for every row, in row-major order.
    pub fn for_each(&self, base: [usize; K], mut f: impl FnMut([usize; K])) {
        let outer = self.sizes.len() - 1;
        let total: usize = self.sizes[..outer].iter().product();
        let mut idx = vec![0usize; outer];
        let mut off = base;
        for _ in 0..total {
            f(off);
            // odometer increment over the outer dims
            let mut d = outer;
            while d > 0 {
                d -= 1;
                idx[d] += 1;
                for (k, o) in off.iter_mut().enumerate() {
                    *o += self.strides[d][k];
                }
                if idx[d] < self.sizes[d] {
                    break;
                }
                for (k, o) in off.iter_mut().enumerate() {
                    *o -= self.strides[d][k] * self.sizes[d];
                }
                idx[d] = 0;
            }
        }
    }
}
