//! Finite-difference gradient checks of the tensor-level ops (matmul with broadcast batches,
//! movement, reductions, elementwise with broadcasting) and of composite chains shaped like the
//! d2l chapter 7-8 networks. The nn ops themselves are in gradcheck.rs.

mod common;

use common::fd::{all, gradcheck, t};
use common::TestRng;
use ferrograd_core::{BatchNormState, Tensor};

fn positive(rng: &mut TestRng, shape: &[usize]) -> Tensor {
    t(rng.vec(shape.iter().product()).iter().map(|v| 0.5 + v.abs()).collect(), shape)
}

#[test]
fn matmul_shapes_and_views() {
    let mut rng = TestRng::new(10);
    let mut r = |s: &[usize]| rng.tensor(s);
    all(vec![
        gradcheck("matmul 2-D", &[r(&[3, 4]), r(&[4, 5])], |v| v[0].matmul(&v[1])),
        gradcheck("matmul broadcast batch [2,1,3,4] @ [3,4,2]", &[r(&[2, 1, 3, 4]), r(&[3, 4, 2])], |v| {
            v[0].matmul(&v[1])
        }),
        gradcheck("matmul batch-1 broadcast [5,2,3] @ [1,3,2]", &[r(&[5, 2, 3]), r(&[1, 3, 2])], |v| {
            v[0].matmul(&v[1])
        }),
        gradcheck("matmul vector @ matrix", &[r(&[4]), r(&[4, 3])], |v| v[0].matmul(&v[1])),
        gradcheck("matmul batch @ vector", &[r(&[2, 3, 4]), r(&[4])], |v| v[0].matmul(&v[1])),
        gradcheck("matmul of transposed views", &[r(&[4, 3]), r(&[5, 4])], |v| v[0].t()?.matmul(&v[1].t()?)),
        gradcheck("matmul of a permuted batch", &[r(&[3, 2, 4]), r(&[2, 5, 4])], |v| {
            v[0].permute(&[1, 0, 2])?.matmul(&v[1].permute(&[0, 2, 1])?)
        }),
    ]);
}

#[test]
fn movement_ops() {
    let mut rng = TestRng::new(11);
    let mut r = |s: &[usize]| rng.tensor(s);
    all(vec![
        gradcheck("cat of 3 along dim 1", &[r(&[2, 1, 3]), r(&[2, 3, 3]), r(&[2, 2, 3])], |v| Tensor::cat(v, 1)),
        gradcheck("cat along dim -1 of a view", &[r(&[3, 2]), r(&[2, 3])], |v| {
            Tensor::cat(&[v[0].clone(), v[1].t()?], -1)
        }),
        gradcheck("stack along dim -1", &[r(&[2, 3]), r(&[2, 3]), r(&[2, 3])], |v| Tensor::stack(v, -1)),
        gradcheck("stack along dim 0", &[r(&[4]), r(&[4])], |v| Tensor::stack(v, 0)),
        gradcheck("pad of the last two dims", &[r(&[2, 3, 2])], |v| v[0].pad(&[(1, 2), (0, 3)])),
        gradcheck("pad of a transposed view", &[r(&[3, 4])], |v| v[0].t()?.pad(&[(2, 1)])),
        gradcheck("slice with step 2 and a negative start", &[r(&[3, 7])], |v| v[0].slice(1, Some(-6), None, 2)),
        gradcheck("slice of a slice", &[r(&[8, 3])], |v| {
            v[0].slice(0, Some(1), Some(7), 3)?.slice(1, Some(1), None, 1)
        }),
        gradcheck("expand [3,1] -> [2,3,4]", &[r(&[3, 1])], |v| v[0].expand(&[2, 3, 4])),
        gradcheck("narrow and select", &[r(&[4, 5])], |v| v[0].narrow(1, 1, 3)?.select(0, -1)),
        gradcheck("permute then contiguous then reshape", &[r(&[2, 3, 4])], |v| {
            v[0].permute(&[2, 0, 1])?.contiguous()?.reshape(&[4, 6])
        }),
        gradcheck("reshape of a transposed view", &[r(&[3, 4])], |v| v[0].t()?.reshape(&[2, 6])),
        gradcheck("flatten(1) and squeeze/unsqueeze", &[r(&[2, 1, 3, 2])], |v| {
            v[0].flatten(1, -1)?.unsqueeze(0)?.squeeze(Some(0))
        }),
        gradcheck("flip_last", &[r(&[3, 5])], |v| v[0].flip_last()),
        gradcheck("flip_last of a long row", &[r(&[2, 150])], |v| v[0].flip_last()),
    ]);
}

#[test]
fn reductions() {
    let mut rng = TestRng::new(12);
    let x = rng.tensor(&[3, 4, 5]);
    let d = t(rng.distinct(60, 0.05), &[3, 4, 5]);
    all(vec![
        gradcheck("sum over all", [x.clone()], |v| v[0].sum_all()),
        gradcheck("sum over (0, 2) keepdim", [x.clone()], |v| v[0].sum(&[0, 2], true)),
        gradcheck("mean over -1", [x.clone()], |v| v[0].mean(&[-1], false)),
        gradcheck("var over (0, 1), unbiased", [x.clone()], |v| v[0].var(&[0, 1], false, true)),
        gradcheck("var over 2, biased", &[x], |v| v[0].var(&[2], true, false)),
        gradcheck("max over 1", [d.clone()], |v| v[0].max(&[1], false)),
        gradcheck("min over (0, 2)", [d.clone()], |v| v[0].min(&[0, 2], true)),
        gradcheck("max over all", &[d], |v| v[0].max(&[], false)),
    ]);
}

#[test]
fn elementwise_with_broadcasting() {
    let mut rng = TestRng::new(13);
    let (a, b) = (rng.tensor(&[2, 3, 4]), rng.tensor(&[3, 1]));
    let (pa, pb) = (positive(&mut rng, &[2, 3]), rng.tensor(&[3]));
    let d = t(rng.distinct(24, 0.05), &[2, 3, 4]);
    let e = t(rng.distinct(4, 0.1), &[4]);
    all(vec![
        gradcheck("add", &[a.clone(), b.clone()], |v| v[0].add(&v[1])),
        gradcheck("sub", &[a.clone(), b.clone()], |v| v[1].sub(&v[0])),
        gradcheck("mul", &[a.clone(), b.clone()], |v| v[0].mul(&v[1])),
        gradcheck("div", &[a.clone(), positive(&mut rng, &[4])], |v| v[0].div(&v[1])),
        gradcheck("pow with a positive base", &[pa.clone(), pb], |v| v[0].pow(&v[1])),
        gradcheck("maximum", &[d.clone(), e.clone()], |v| v[0].maximum(&v[1])),
        gradcheck("minimum", &[d.clone(), e], |v| v[0].minimum(&v[1])),
        gradcheck("exp, log, sqrt", [pa.clone()], |v| v[0].exp()?.add(&v[0].log()?)?.add(&v[0].sqrt()?)),
        gradcheck("abs and neg", [d.clone()], |v| v[0].abs()?.add(&v[0].neg()?.mul_scalar(0.3)?)),
        gradcheck("clamp away from the bounds", &[d], |v| v[0].clamp(Some(-0.26), Some(0.31))),
        gradcheck("pow_scalar and affine", &[pa], |v| v[0].pow_scalar(1.7)?.affine(-2.0, 0.5)),
        gradcheck("a tensor used twice", &[a], |v| v[0].mul(&v[0])?.add(&v[0].sigmoid()?)),
    ]);
}

#[test]
fn lenet_like_chain() {
    let mut rng = TestRng::new(14);
    let labels = t(vec![3.0, 0.0], &[2]);
    let inputs = [
        rng.tensor(&[2, 1, 8, 8]),
        rng.tensor(&[3, 1, 3, 3]).mul_scalar(0.5).unwrap(),
        rng.tensor(&[3]),
        rng.tensor(&[4, 3, 2, 2]).mul_scalar(0.5).unwrap(),
        rng.tensor(&[4]),
        rng.tensor(&[16, 5]).mul_scalar(0.5).unwrap(),
    ];
    all(vec![gradcheck("conv-sigmoid-avgpool-conv-relu-maxpool-flatten-linear-cross_entropy", &inputs, |v| {
        let h = v[0].conv2d(&v[1], Some(&v[2]), (1, 1), (1, 1), (1, 1), 1)?.sigmoid()?.avg_pool2d(
            (2, 2),
            (2, 2),
            (0, 0),
        )?;
        let h = h.conv2d(&v[3], Some(&v[4]), (1, 1), (0, 0), (1, 1), 1)?.tanh()?.max_pool2d((2, 2), (1, 1), (0, 0))?;
        h.flatten(1, -1)?.matmul(&v[5])?.cross_entropy(&labels)
    })]);
}

#[test]
fn resnet_and_nin_like_chains() {
    let mut rng = TestRng::new(15);
    let labels = t(vec![1.0, 2.0, 0.0], &[3]);
    let inputs = [
        rng.tensor(&[3, 2, 5, 5]),
        rng.tensor(&[2, 2, 3, 3]).mul_scalar(0.4).unwrap(),
        t(vec![1.0, 0.8], &[2]),
        t(vec![0.1, -0.2], &[2]),
        rng.tensor(&[2, 1, 3, 3]).mul_scalar(0.4).unwrap(),
        rng.tensor(&[2, 3]).mul_scalar(0.5).unwrap(),
    ];
    let bn = |x: &Tensor, w: &Tensor, b: &Tensor| {
        let rm = t(vec![0.0; 2], &[2]);
        let rv = t(vec![1.0; 2], &[2]);
        x.batch_norm(
            Some(w),
            Some(b),
            Some(BatchNormState { running_mean: &rm, running_var: &rv, momentum: 0.1 }),
            true,
            1e-5,
        )
    };
    all(vec![
        gradcheck("residual block: conv-bn-relu-grouped conv + skip, relu, adaptive pool, linear, CE", &inputs, |v| {
            let h = bn(&v[0].conv2d(&v[1], None, (1, 1), (1, 1), (1, 1), 1)?, &v[2], &v[3])?.relu()?;
            let h = h.conv2d(&v[4], None, (1, 1), (2, 2), (2, 2), 2)?.add(&v[0])?.relu()?;
            h.adaptive_avg_pool2d((1, 1))?.flatten(1, -1)?.matmul(&v[5])?.cross_entropy(&labels)
        }),
        gradcheck("resize, 1x1 conv, concat of branches, global pool, log_softmax", &inputs[..2], |v| {
            let x = v[0].resize_bilinear((7, 6))?;
            let a = x.conv2d(&v[1].narrow(2, 1, 1)?.narrow(3, 1, 1)?, None, (1, 1), (0, 0), (1, 1), 1)?;
            let b = x.avg_pool2d((3, 3), (1, 1), (1, 1))?;
            Tensor::cat(&[a, b], 1)?.adaptive_avg_pool2d((1, 1))?.flatten(1, -1)?.log_softmax(1)
        }),
    ]);
}

/// Leading-dim views (`x.narrow(0, i, 1)`, `x.select(0, i)`, a batch slice, the channel half of
/// a concatenated N=1 gradient) are contiguous but start inside a larger buffer: the kernels that
/// index bare storages must see the view's elements, not the buffer's first ones.
#[test]
fn offset_views_into_kernels() {
    let mut rng = TestRng::new(16);
    let big = rng.tensor(&[4, 2, 5, 6]);
    let w = rng.tensor(&[3, 2, 3, 3]);
    let b = rng.tensor(&[3]);
    let logits = rng.tensor(&[7, 4]);
    let labels = t(vec![3.0, 0.0, 2.0, 1.0, 1.0, 0.0, 3.0], &[7]);
    let slice = |x: &Tensor| x.narrow(0, 2, 1);
    let copy = |x: &Tensor| x.narrow(0, 2, 1)?.contiguous()?.affine(1.0, 0.0);
    type Op<'a> = Box<dyn Fn(&Tensor) -> ferrograd_core::Result<Tensor> + 'a>;
    let ops: Vec<(&str, Op)> = vec![
        ("conv2d", Box::new(|x| x.conv2d(&w, Some(&b), (1, 1), (1, 1), (1, 1), 1))),
        ("max_pool2d", Box::new(|x| x.max_pool2d((2, 2), (2, 2), (0, 0)))),
        ("avg_pool2d", Box::new(|x| x.avg_pool2d((3, 3), (1, 1), (1, 1)))),
        ("adaptive_avg_pool2d", Box::new(|x| x.adaptive_avg_pool2d((2, 4)))),
        ("resize_bilinear", Box::new(|x| x.resize_bilinear((7, 3)))),
    ];
    for (name, f) in ops {
        let (a, e) = (f(&slice(&big).unwrap()).unwrap(), f(&copy(&big).unwrap()).unwrap());
        common::close(name, &a.to_vec().unwrap(), a.shape(), &e.to_vec().unwrap(), e.shape())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (a, e) = (
        logits.narrow(0, 3, 4).unwrap().cross_entropy(&labels.narrow(0, 3, 4).unwrap()).unwrap(),
        logits
            .narrow(0, 3, 4)
            .unwrap()
            .affine(1.0, 0.0)
            .unwrap()
            .cross_entropy(&t(vec![1.0, 1.0, 0.0, 3.0], &[4]))
            .unwrap(),
    );
    assert_eq!(a.to_vec().unwrap(), e.to_vec().unwrap(), "cross_entropy of offset logits and labels");

    let inputs = [rng.tensor(&[3, 2, 4, 5]), rng.tensor(&[2, 2, 3, 3]), rng.tensor(&[2])];
    all(vec![
        gradcheck("conv2d, pools and resize of batch slices", &inputs, |v| {
            let x = v[0].narrow(0, 1, 2)?;
            let y = x.conv2d(&v[1].narrow(0, 1, 1)?, Some(&v[2].narrow(0, 1, 1)?), (1, 1), (1, 1), (1, 1), 1)?;
            let p = v[0].select(0, 2)?.unsqueeze(0)?.max_pool2d((2, 2), (1, 1), (1, 1))?;
            let r = v[0].narrow(0, 2, 1)?.resize_bilinear((3, 3))?.adaptive_avg_pool2d((2, 2))?;
            y.sum_all()?.add(&p.mul(&p)?.sum_all()?)?.add(&r.sum_all()?)
        }),
        // the gradients of the later channel blocks are offset views of the concatenated one
        gradcheck(
            "channel concat of conv, pools and resize with batch 1",
            &[inputs[0].narrow(0, 0, 1).unwrap()],
            |v| {
                let x = &v[0];
                let parts = [
                    x.avg_pool2d((3, 3), (1, 1), (1, 1))?,
                    x.conv2d(&inputs[1], None, (1, 1), (1, 1), (1, 1), 1)?,
                    x.max_pool2d((3, 3), (1, 1), (1, 1))?,
                    x.resize_bilinear((5, 3))?.adaptive_avg_pool2d((4, 5))?,
                ];
                Tensor::cat(&parts, 1)
            },
        ),
    ]);
}
