#!/usr/bin/python3
"""Golden fixtures for ferrograd's d2l chapter 7-8 ops, produced by PyTorch (and NumPy).

Run by hand, from the repository root, with an interpreter that has torch and numpy
(Debian's python3-torch lives in /usr/bin/python3):

    /usr/bin/python3 scripts/golden/generate.py [FAMILY ...]

It rewrites test/fixtures/golden/<family>.json for the families named (all when none is). The fixtures are committed: CI and the test
suites (crates/ferrograd-core/tests/golden.rs, test/golden.test.ts) only read them and never
need Python or torch. Re-run it only to add cases; the output is deterministic (seeded).

Each case holds the op config, the inputs (shape + flat row-major float32 values), the forward
output and the gradients of `(out * upstream).sum()` with respect to every differentiable input,
with a random `upstream` so backward sees a non-trivial incoming gradient. `torch` is the call
that produced the case.
"""

import json
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "golden")

torch.manual_seed(0)
RNG = np.random.default_rng(0)  # reseeded per family in main()


SPECIAL = {"inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}


def f32_list(a):
    """Flat float32 values as the shortest decimals that round-trip through float32; JSON has
    no infinities or NaN, so those are the strings "inf", "-inf" and "nan" (the readers map them)."""
    a = np.asarray(a, dtype=np.float32).reshape(-1)
    return [float(str(v)) if np.isfinite(v) else ("nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")) for v in a]


def enc(t):
    t = t.detach().cpu() if isinstance(t, torch.Tensor) else torch.as_tensor(t)
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": [int(v) for v in t.reshape(-1).tolist()]}
    return {"shape": list(t.shape), "data": f32_list(t.numpy())}


def randn(*shape, scale=1.0, shift=0.0):
    """Normal samples rounded to 4 decimals: short in JSON, exact in float32."""
    v = np.round(RNG.standard_normal(shape) * scale + shift, 4).astype(np.float32)
    return torch.from_numpy(np.asarray(v, dtype=np.float32).reshape(shape))


def distinct(*shape, spacing=0.05):
    """Shuffled values at least `spacing` apart, so max-pool windows have a unique maximum that a
    small perturbation cannot change (finite differences and exact ties are tested elsewhere)."""
    n = int(np.prod(shape))
    v = (np.arange(n) - n / 2) * spacing
    RNG.shuffle(v)
    return torch.from_numpy(np.round(v, 4).astype(np.float32).reshape(shape))


def run_case(name, op, torch_src, config, inputs, fn, grad_inputs, extra=None):
    """Runs `fn(**inputs)`; gradients of sum(out * upstream) w.r.t. `grad_inputs`."""
    leaves = {}
    for k, v in inputs.items():
        t = v.clone()
        if k in grad_inputs:
            t.requires_grad_(True)
        leaves[k] = t
    out = fn(**leaves)
    case = {"name": name, "op": op, "torch": torch_src, "config": config,
            "inputs": {k: enc(v) for k, v in inputs.items()}, "output": enc(out)}
    if grad_inputs:
        upstream = randn(*out.shape)
        (out * upstream).sum().backward()
        case["upstream"] = enc(upstream)
        case["grads"] = {k: enc(leaves[k].grad) for k in grad_inputs}
    if extra:
        case.update(extra(leaves))
    return case


# ---------------------------------------------------------------------------------------------
def conv2d_cases():
    cases = []

    def conv(name, n, cin, h, w, cout, kh, kw, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=True):
        x = randn(n, cin, h, w)
        wt = randn(cout, cin // groups, kh, kw, scale=0.5)
        inputs = {"x": x, "weight": wt}
        if bias:
            inputs["bias"] = randn(cout)
        cfg = {"stride": list(stride), "padding": list(padding), "dilation": list(dilation), "groups": groups}
        src = (f"F.conv2d(x, weight, {'bias' if bias else 'None'}, stride={stride}, padding={padding}, "
               f"dilation={dilation}, groups={groups})")

        def fn(x, weight, bias=None):
            return F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)

        cases.append(run_case(name, "conv2d", src, cfg, inputs, fn, list(inputs)))

    conv("3x3 single image", 1, 1, 5, 5, 1, 3, 3)
    conv("batch 2, 3->4 channels, non-square 2x3 kernel, 6x7 image", 2, 3, 6, 7, 4, 2, 3)
    conv("padding = kernel/2 per axis (3x5 kernel, padding (1,2))", 2, 2, 5, 6, 3, 3, 5, padding=(1, 2))
    conv("stride larger than kernel", 1, 2, 7, 8, 2, 2, 2, stride=(3, 3))
    conv("stride per axis (2,1), padding (0,1)", 2, 2, 7, 6, 3, 3, 3, stride=(2, 1), padding=(0, 1))
    conv("dilation 2 with padding 2", 1, 2, 9, 9, 2, 3, 3, padding=(2, 2), dilation=(2, 2))
    conv("dilation per axis (2,1), stride 2", 2, 1, 8, 7, 2, 3, 2, stride=(2, 2), dilation=(2, 1))
    conv("groups 2, padding 1", 2, 4, 5, 5, 6, 3, 3, padding=(1, 1), groups=2)
    conv("groups 2 with stride 2 and dilation 2", 1, 4, 9, 8, 4, 3, 3, stride=(2, 2), padding=(1, 2),
         dilation=(2, 2), groups=2)
    conv("depthwise (groups = channels), 2 filters per channel", 2, 3, 6, 5, 6, 3, 3, padding=(1, 1), groups=3)
    conv("1x1 pointwise, no bias", 2, 3, 4, 5, 2, 1, 1, bias=False)
    conv("1x1 with stride 2", 2, 3, 5, 5, 2, 1, 1, stride=(2, 2))
    conv("1x1 pointwise with groups 2, batch 3", 3, 4, 3, 4, 6, 1, 1, groups=2)
    conv("non-square kernel (2,4), stride (1,3), dilation (1,2)", 2, 2, 5, 11, 3, 2, 4, stride=(1, 3), dilation=(1, 2))
    conv("kernel covers the whole image (1x1 output), no bias", 3, 2, 4, 3, 2, 4, 3, bias=False)
    conv("kernel larger than the image, fitted by padding", 1, 1, 3, 3, 2, 5, 5, padding=(2, 2))
    conv("padding larger than half the kernel", 1, 1, 3, 4, 1, 2, 2, padding=(2, 2))
    conv("LeNet first layer: 5x5, padding 2", 2, 1, 10, 10, 6, 5, 5, padding=(2, 2))
    conv("VGG-style 3x3 padding 1, 8 channels", 1, 8, 4, 4, 8, 3, 3, padding=(1, 1))
    conv("ResNet-style 3x3 stride 2 padding 1 on odd size", 2, 3, 7, 7, 4, 3, 3, stride=(2, 2), padding=(1, 1))
    return cases


def conv2d_edge_cases():
    """Padding wider than the output along the width (stride 1 there): a window row that lies
    entirely in the left padding. Kept apart from conv2d.json so a kernel failing only here does
    not hide the main grid."""
    cases = []
    for name, (n, cin, h, w), (cout, kh, kw), stride, padding, dilation, groups in [
        ("5x5 padding 2 on a 1-pixel-wide image", (1, 2, 3, 1), (2, 5, 5), (1, 1), (2, 2), (1, 1), 1),
        ("7x7 padding 3 on a 1x2 image, batch 2", (2, 1, 1, 2), (2, 7, 7), (1, 1), (3, 3), (1, 1), 1),
        ("1x4 kernel, dilation 3, padding (0,4), stride (2,1), groups 3", (3, 9, 4, 2), (3, 1, 4), (2, 1), (0, 4),
         (3, 3), 3),
    ]:
        x = randn(n, cin, h, w)
        wt = randn(cout, cin // groups, kh, kw, scale=0.5)
        inputs = {"x": x, "weight": wt, "bias": randn(cout)}
        cfg = {"stride": list(stride), "padding": list(padding), "dilation": list(dilation), "groups": groups}
        src = f"F.conv2d(x, weight, bias, stride={stride}, padding={padding}, dilation={dilation}, groups={groups})"

        def fn(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups):
            return F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)

        cases.append(run_case(name, "conv2d", src, cfg, inputs, fn, list(inputs)))
    return cases


def conv_transpose_cases():
    """F.conv_transpose2d (stride 1/2/3, padding, output_padding, dilation, groups, bias or not,
    non-square) and F.conv1d (stride, padding, dilation, groups)."""
    cases = []

    def tconv(name, n, cin, h, w, cout, kh, kw, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
              dilation=(1, 1), groups=1, bias=True):
        inputs = {"x": randn(n, cin, h, w), "weight": randn(cin, cout // groups, kh, kw, scale=0.5)}
        if bias:
            inputs["bias"] = randn(cout)
        cfg = {"stride": list(stride), "padding": list(padding), "output_padding": list(output_padding),
               "dilation": list(dilation), "groups": groups}
        src = (f"F.conv_transpose2d(x, weight, {'bias' if bias else 'None'}, stride={stride}, padding={padding}, "
               f"output_padding={output_padding}, groups={groups}, dilation={dilation})")

        def fn(x, weight, bias=None):
            return F.conv_transpose2d(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
                                      groups=groups, dilation=dilation)

        cases.append(run_case(name, "conv_transpose2d", src, cfg, inputs, fn, list(inputs)))

    tconv("3x3 stride 1, single image", 1, 1, 4, 4, 1, 3, 3)
    tconv("batch 2, 3->4 channels, non-square 2x3 kernel, 5x6 image", 2, 3, 5, 6, 4, 2, 3)
    tconv("stride 2, padding 1, output_padding 1 (DCGAN-style upsampling)", 2, 4, 3, 3, 2, 3, 3, stride=(2, 2),
          padding=(1, 1), output_padding=(1, 1))
    tconv("stride 2, 4x4 kernel, padding 1, no bias", 1, 3, 4, 5, 2, 4, 4, stride=(2, 2), padding=(1, 1), bias=False)
    tconv("stride 3 (larger than the kernel: gaps), output_padding 2", 2, 2, 3, 4, 3, 2, 2, stride=(3, 3),
          output_padding=(2, 2))
    tconv("stride per axis (2,3), padding (1,0), output_padding (1,2)", 1, 2, 4, 3, 3, 3, 3, stride=(2, 3),
          padding=(1, 0), output_padding=(1, 2))
    tconv("dilation 2, padding 2", 1, 2, 5, 5, 2, 3, 3, padding=(2, 2), dilation=(2, 2))
    tconv("output_padding 1 below the dilation 2 at stride 1, padding 2", 2, 2, 4, 5, 3, 3, 3, padding=(2, 2),
          output_padding=(1, 1), dilation=(2, 2))
    tconv("dilation per axis (1,2), stride 2, output_padding (1,0)", 1, 3, 4, 4, 2, 3, 2, stride=(2, 2),
          output_padding=(1, 0), dilation=(1, 2))
    tconv("groups 2, stride 2, padding 1", 2, 4, 3, 4, 6, 3, 3, stride=(2, 2), padding=(1, 1), groups=2)
    tconv("depthwise (groups = channels), stride 2, no bias", 1, 3, 4, 4, 3, 3, 3, stride=(2, 2), groups=3,
          bias=False)
    tconv("groups 2 with dilation 2 and output_padding 1", 2, 4, 3, 3, 4, 2, 3, stride=(2, 2), padding=(0, 1),
          output_padding=(1, 1), dilation=(2, 2), groups=2)
    tconv("1x1 kernel, stride 2 (pixels spread apart)", 2, 3, 3, 4, 2, 1, 1, stride=(2, 2))
    tconv("1x1 kernel, dilation 2, output_padding 1 at stride 1", 1, 2, 3, 3, 2, 1, 1, output_padding=(1, 1),
          dilation=(2, 2))
    tconv("padding that crops most of the output", 1, 2, 4, 4, 2, 3, 3, padding=(2, 2))
    tconv("kernel 5x5 on a 1x1 image", 3, 2, 1, 1, 2, 5, 5)

    def conv1d(name, n, cin, length, cout, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
        inputs = {"x": randn(n, cin, length), "weight": randn(cout, cin // groups, k, scale=0.5)}
        if bias:
            inputs["bias"] = randn(cout)
        cfg = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        src = (f"F.conv1d(x, weight, {'bias' if bias else 'None'}, stride={stride}, padding={padding}, "
               f"dilation={dilation}, groups={groups})")

        def fn(x, weight, bias=None):
            return F.conv1d(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)

        cases.append(run_case(name, "conv1d", src, cfg, inputs, fn, list(inputs)))

    conv1d("conv1d kernel 3", 2, 3, 8, 4, 3)
    conv1d("conv1d stride 2, padding 1", 2, 2, 9, 3, 3, stride=2, padding=1)
    conv1d("conv1d dilation 2, padding 2, no bias", 1, 2, 10, 2, 3, padding=2, dilation=2, bias=False)
    conv1d("conv1d groups 2, kernel 4, stride 3", 2, 4, 11, 6, 4, stride=3, groups=2)
    conv1d("conv1d depthwise, padding 1", 1, 3, 6, 3, 3, padding=1, groups=3)
    return cases


# ---------------------------------------------------------------------------------------------
def pool_cases():
    cases = []

    def pool(name, kind, x, kernel, stride=None, padding=(0, 0)):
        stride = stride or kernel
        cfg = {"kernel": list(kernel), "stride": list(stride), "padding": list(padding)}
        if kind == "max_pool2d":
            src = f"F.max_pool2d(x, kernel_size={kernel}, stride={stride}, padding={padding})"

            def fn(x):
                return F.max_pool2d(x, kernel, stride, padding)
        else:
            src = f"F.avg_pool2d(x, kernel_size={kernel}, stride={stride}, padding={padding}, count_include_pad=True)"

            def fn(x):
                return F.avg_pool2d(x, kernel, stride, padding, count_include_pad=True)

        cases.append(run_case(name, kind, src, cfg, {"x": x}, fn, ["x"]))

    def adaptive(name, x, out):
        src = f"F.adaptive_avg_pool2d(x, {out})"
        cases.append(run_case(name, "adaptive_avg_pool2d", src, {"output_size": list(out)}, {"x": x},
                              lambda x: F.adaptive_avg_pool2d(x, out), ["x"]))

    pool("max 2x2 stride 2, batch 2, 3 channels", "max_pool2d", distinct(2, 3, 6, 6), (2, 2))
    pool("max 3x3 stride 1 padding 1", "max_pool2d", distinct(1, 2, 5, 5), (3, 3), (1, 1), (1, 1))
    pool("max (2,3) stride (2,3) padding (0,1)", "max_pool2d", distinct(1, 1, 4, 4), (2, 3), (2, 3), (0, 1))
    pool("max stride larger than kernel", "max_pool2d", distinct(2, 1, 8, 7), (2, 2), (3, 3))
    pool("max non-square image, floor output size", "max_pool2d", distinct(1, 2, 5, 7), (3, 3), (2, 2))
    pool("max padding with all-negative inputs (pads are -inf, not 0)", "max_pool2d",
         distinct(1, 1, 4, 5, spacing=0.1) - 5.0, (3, 2), (2, 1), (1, 1))
    pool("max global window (kernel = image)", "max_pool2d", distinct(2, 2, 3, 4), (3, 4))
    # Ties: PyTorch routes the gradient to the first maximum in row-major window order.
    ties = torch.from_numpy(RNG.integers(0, 3, size=(2, 2, 6, 6)).astype(np.float32))
    pool("max ties, 2x2 stride 2", "max_pool2d", ties, (2, 2))
    pool("max ties, overlapping 3x3 stride 1 padding 1", "max_pool2d", ties, (3, 3), (1, 1), (1, 1))
    pool("max ties, constant input, 2x3 stride (1,2)", "max_pool2d", torch.ones(1, 1, 4, 5), (2, 3), (1, 2))

    pool("avg 2x2 stride 2, batch 2", "avg_pool2d", randn(2, 3, 4, 6), (2, 2))
    pool("avg 3x3 stride 1 padding 1 counts padding", "avg_pool2d", randn(1, 2, 5, 4), (3, 3), (1, 1), (1, 1))
    pool("avg (2,3) stride (1,2) padding (1,1)", "avg_pool2d", randn(2, 1, 5, 7), (2, 3), (1, 2), (1, 1))
    pool("avg stride larger than kernel, floor output size", "avg_pool2d", randn(1, 2, 8, 9), (2, 2), (3, 4))

    adaptive("adaptive 7x7 -> 1x1 (global average)", randn(2, 3, 7, 7), (1, 1))
    adaptive("adaptive 4x4 -> 2x2 (divisible)", randn(1, 2, 4, 4), (2, 2))
    adaptive("adaptive 5x7 -> 3x2 (overlapping windows)", randn(2, 2, 5, 7), (3, 2))
    adaptive("adaptive 3x5 -> 4x6 (output larger than input)", randn(1, 1, 3, 5), (4, 6))
    return cases


def pool_option_cases():
    """PyTorch's pooling options: ceil_mode, dilation, count_include_pad, divisor_override,
    return_indices (+ max_unpool2d), and 1-D pooling (run as 2-D pooling of [N, C, 1, L])."""
    cases = []

    def py(v):
        return tuple(v) if isinstance(v, list) else v

    def max_pool(name, x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False, one_d=False):
        stride = stride if stride is not None else kernel
        op = "max_pool1d" if one_d else "max_pool2d"
        cfg = {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation,
               "ceil_mode": ceil_mode, "return_indices": True}
        f = F.max_pool1d if one_d else F.max_pool2d
        src = (f"F.{op}(x, kernel_size={py(kernel)}, stride={py(stride)}, padding={py(padding)}, "
               f"dilation={py(dilation)}, ceil_mode={ceil_mode}, return_indices=True)")

        def fn(x):
            return f(x, py(kernel), py(stride), py(padding), py(dilation), ceil_mode=ceil_mode)

        def indices(leaves):
            _, i = f(leaves["x"].detach(), py(kernel), py(stride), py(padding), py(dilation),
                     ceil_mode=ceil_mode, return_indices=True)
            return {"indices": enc(i)}

        cases.append(run_case(name, op, src, cfg, {"x": x}, fn, ["x"], extra=indices))

    def avg_pool(name, x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None, one_d=False):
        stride = stride if stride is not None else kernel
        op = "avg_pool1d" if one_d else "avg_pool2d"
        cfg = {"kernel": kernel, "stride": stride, "padding": padding, "ceil_mode": ceil_mode,
               "count_include_pad": count_include_pad}
        kw = {"ceil_mode": ceil_mode, "count_include_pad": count_include_pad}
        if not one_d:
            cfg["divisor_override"] = divisor_override
            kw["divisor_override"] = divisor_override
        f = F.avg_pool1d if one_d else F.avg_pool2d
        args = ", ".join(f"{k}={v}" for k, v in kw.items())
        src = f"F.{op}(x, kernel_size={py(kernel)}, stride={py(stride)}, padding={py(padding)}, {args})"
        cases.append(run_case(name, op, src, cfg, {"x": x},
                              lambda x: f(x, py(kernel), py(stride), py(padding), **kw), ["x"]))

    max_pool("max ceil_mode 2x2 stride 2 on 5x7", distinct(2, 2, 5, 7), [2, 2], ceil_mode=True)
    max_pool("max ceil_mode 3x3 stride 2 padding 1 on 6x6", distinct(1, 2, 6, 6), [3, 3], [2, 2], [1, 1], ceil_mode=True)
    max_pool("max dilation 2, 3x3 stride 1 on 7x7", distinct(1, 2, 7, 7), [3, 3], [1, 1], dilation=[2, 2])
    max_pool("max dilation (2,3) padding 1 ceil_mode on 8x9", distinct(2, 1, 8, 9), [3, 2], [2, 2], [1, 1],
             dilation=[2, 3], ceil_mode=True)
    max_pool("max ceil_mode window past the image, ties", torch.from_numpy(
        RNG.integers(0, 3, size=(1, 2, 7, 7)).astype(np.float32)), [3, 3], [3, 3], ceil_mode=True)
    max_pool("max_pool1d kernel 3 stride 2 padding 1", distinct(2, 3, 9), [3], [2], [1], one_d=True)
    max_pool("max_pool1d dilation 2 ceil_mode", distinct(1, 2, 10), [2], [3], [0], dilation=[2], ceil_mode=True, one_d=True)

    avg_pool("avg ceil_mode 2x2 stride 2 on 5x5", randn(1, 2, 5, 5), [2, 2], ceil_mode=True)
    avg_pool("avg ceil_mode 3x3 stride 2 padding 1 counts padding", randn(2, 1, 6, 7), [3, 3], [2, 2], [1, 1],
             ceil_mode=True)
    avg_pool("avg count_include_pad=False 3x3 stride 1 padding 1", randn(1, 2, 5, 4), [3, 3], [1, 1], [1, 1],
             count_include_pad=False)
    avg_pool("avg count_include_pad=False ceil_mode padding (1,0)", randn(2, 1, 7, 6), [2, 3], [2, 2], [1, 0],
             ceil_mode=True, count_include_pad=False)
    avg_pool("avg divisor_override 3 with padding", randn(1, 2, 5, 6), [2, 2], [2, 2], [1, 1], divisor_override=3)
    avg_pool("avg divisor_override 5 ceil_mode", randn(1, 1, 5, 5), [3, 3], [2, 2], ceil_mode=True, divisor_override=5)
    avg_pool("avg_pool1d kernel 3 stride 2 padding 1 ceil_mode", randn(2, 2, 8), [3], [2], [1], ceil_mode=True, one_d=True)
    avg_pool("avg_pool1d count_include_pad=False", randn(1, 3, 7), [4], [3], [2], count_include_pad=False, one_d=True)

    def unpool(name, shape, kernel, stride, padding=(0, 0), output_size=None):
        x = distinct(*shape)
        vals, idx = F.max_pool2d(x, kernel, stride, padding, return_indices=True)
        cfg = {"kernel": list(kernel), "stride": list(stride), "padding": list(padding), "output_size": output_size}
        src = f"F.max_unpool2d(x, indices, kernel_size={kernel}, stride={stride}, padding={padding}, output_size={output_size})"
        cases.append(run_case(name, "max_unpool2d", src, cfg, {"x": vals, "indices": idx},
                              lambda x, indices: F.max_unpool2d(x, indices, kernel, stride, padding, output_size),
                              ["x"]))

    unpool("unpool 2x2 stride 2 (inverse of max_pool2d)", (2, 2, 4, 6), (2, 2), (2, 2))
    unpool("unpool 3x3 stride 2 padding 1, output_size 7x7", (1, 2, 7, 7), (3, 3), (2, 2), (1, 1), [7, 7])
    unpool("unpool overlapping 3x3 stride 1 (repeated indices)", (1, 1, 4, 5), (3, 3), (1, 1))
    return cases


# ---------------------------------------------------------------------------------------------
def batchnorm_cases():
    cases = []

    def bn(name, shape, training, affine=True, momentum=0.1, eps=1e-5, shift=0.0, track=True):
        c = shape[1]
        inputs = {"x": randn(*shape, scale=2.0, shift=shift)}
        if affine:
            inputs["weight"] = randn(c, scale=0.5, shift=1.0)
            inputs["bias"] = randn(c, scale=0.5)
        if track:
            inputs["running_mean"] = randn(c, scale=0.3)
            inputs["running_var"] = torch.from_numpy(np.round(RNG.uniform(0.5, 2.0, c), 4).astype(np.float32))
        cfg = {"training": training, "momentum": momentum, "eps": eps}
        stats_src = "running_mean, running_var" if track else "None, None"
        src = (f"F.batch_norm(x, {stats_src}, {'weight' if affine else 'None'}, "
               f"{'bias' if affine else 'None'}, training={training}, momentum={momentum}, eps={eps})")

        def fn(x, running_mean=None, running_var=None, weight=None, bias=None):
            return F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)

        def stats(leaves):
            if not track:
                return {}
            return {"running_mean_after": enc(leaves["running_mean"]), "running_var_after": enc(leaves["running_var"])}

        grads = ["x", "weight", "bias"] if affine else ["x"]
        cases.append(run_case(name, "batch_norm", src, cfg, inputs, fn, grads, extra=stats))

    bn("4-D training, batch 4", (4, 3, 5, 4), True, shift=1.5)
    bn("4-D eval (running statistics)", (4, 3, 5, 4), False)
    bn("4-D training, batch 1 (statistics over H, W)", (1, 2, 3, 5), True)
    bn("4-D training without affine parameters", (3, 2, 4, 4), True, affine=False)
    bn("2-D (N, C) training", (6, 5), True, shift=-2.0)
    bn("2-D (N, C) eval", (6, 5), False)
    bn("4-D training, momentum 0.5, eps 1e-3", (2, 3, 3, 3), True, momentum=0.5, eps=1e-3)
    bn("4-D training without running statistics", (2, 2, 3, 3), True, track=False)
    return cases


# ---------------------------------------------------------------------------------------------
def activation_cases():
    cases = []

    def act(name, op, x, fn, src, cfg=None):
        cases.append(run_case(name, op, src, cfg or {}, {"x": x}, fn, ["x"]))

    wide = torch.cat([randn(20, scale=3.0), torch.tensor([-20.0, -9.5, 9.5, 20.0, 0.03, -0.02, 0.001, -0.0005])])
    act("relu, no zeros", "relu", distinct(3, 7, spacing=0.13), lambda x: F.relu(x), "F.relu(x)")
    act("sigmoid over a wide range", "sigmoid", wide, lambda x: torch.sigmoid(x), "torch.sigmoid(x)")
    act("tanh over a wide range (and tiny |x|)", "tanh", wide, lambda x: torch.tanh(x), "torch.tanh(x)")
    for op, fn in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        act(f"{op} over the last dim of [4, 7]", op, randn(4, 7, scale=2.0), lambda x, fn=fn: fn(x, dim=-1),
            f"F.{op}(x, dim=-1)", {"dim": -1})
        act(f"{op} over dim 1 of [2, 3, 4]", op, randn(2, 3, 4), lambda x, fn=fn: fn(x, dim=1),
            f"F.{op}(x, dim=1)", {"dim": 1})
        act(f"{op} over dim 0 of [5, 3]", op, randn(5, 3), lambda x, fn=fn: fn(x, dim=0),
            f"F.{op}(x, dim=0)", {"dim": 0})
        act(f"{op} of large logits (stability)", op, randn(3, 5, scale=30.0, shift=100.0),
            lambda x, fn=fn: fn(x, dim=-1), f"F.{op}(x, dim=-1)", {"dim": -1})
    act("leaky_relu, default slope", "leaky_relu", distinct(3, 7, spacing=0.13), lambda x: F.leaky_relu(x),
        "F.leaky_relu(x)", {"negative_slope": 0.01})
    act("leaky_relu, slope 0.2", "leaky_relu", distinct(2, 9, spacing=0.11), lambda x: F.leaky_relu(x, 0.2),
        "F.leaky_relu(x, negative_slope=0.2)", {"negative_slope": 0.2})
    return cases


# ---------------------------------------------------------------------------------------------
def loss_cases():
    cases = []

    def ce(name, n, c, scale=1.0):
        x = randn(n, c, scale=scale)
        labels = torch.from_numpy(RNG.integers(0, c, size=n).astype(np.int64))
        cases.append(run_case(name, "cross_entropy", "F.cross_entropy(logits, labels)", {},
                              {"logits": x, "labels": labels}, lambda logits, labels: F.cross_entropy(logits, labels),
                              ["logits"]))

    ce("cross-entropy, batch 5, 4 classes", 5, 4)
    ce("cross-entropy, batch 1, 10 classes", 1, 10)
    ce("cross-entropy, batch 8, 10 classes, large logits", 8, 10, scale=25.0)
    ce("cross-entropy, batch 16, 3 classes", 16, 3)

    def mse(name, shape):
        inputs = {"input": randn(*shape), "target": randn(*shape)}
        cases.append(run_case(name, "mse_loss", "F.mse_loss(input, target)", {}, inputs,
                              lambda input, target: F.mse_loss(input, target), ["input", "target"]))

    mse("mse of [3, 4]", (3, 4))
    mse("mse of [2, 1, 3, 3]", (2, 1, 3, 3))
    mse("mse of [7]", (7,))
    return cases


# ---------------------------------------------------------------------------------------------
def cross_entropy_option_cases():
    """F.cross_entropy's keyword arguments. ferrograd composes these in TypeScript (ts/loss.ts)
    from primitives the other families test, so only the TS suites (CPU and GPU) run them."""
    cases = []
    keys = {"ignore_index": "ignoreIndex", "reduction": "reduction", "label_smoothing": "labelSmoothing"}

    def ce(name, logits, target, weight=None, **kw):
        inputs = {"logits": logits, "target": target}
        if weight is not None:
            inputs["weight"] = weight
        args = ", ".join(["logits", "target"] + (["weight=weight"] if weight is not None else []) + [f"{k}={v!r}" for k, v in kw.items()])
        config = {keys[k]: v for k, v in kw.items()}

        def fn(logits, target, weight=None):
            return F.cross_entropy(logits, target, weight=weight, **kw)

        cases.append(run_case(name, "cross_entropy_options", f"F.cross_entropy({args})", config, inputs, fn, ["logits"]))

    def labels(n, c, ignored=(), ignore_index=-100):
        y = RNG.integers(0, c, size=n).astype(np.int64)
        for i in ignored:
            y[i] = ignore_index
        return torch.from_numpy(y)

    def probs(*shape):
        return torch.softmax(randn(*shape, scale=2.0), dim=1)

    w5 = torch.tensor([0.5, 2.0, 1.0, 0.25, 1.5])
    ce("reduction none", randn(6, 5), labels(6, 5), reduction="none")
    ce("reduction sum", randn(6, 5), labels(6, 5), reduction="sum")
    ce("class weights, mean over the targets' weights", randn(7, 5), labels(7, 5), weight=w5)
    ce("class weights, sum", randn(7, 5), labels(7, 5), weight=w5, reduction="sum")
    ce("class weights, none", randn(7, 5), labels(7, 5), weight=w5, reduction="none")
    ce("ignore_index -100 (the default) on two targets", randn(6, 5), labels(6, 5, ignored=(1, 4)), ignore_index=-100)
    ce("ignore_index 2 (a real class)", randn(8, 5), torch.tensor([2, 0, 2, 1, 4, 2, 3, 0]), ignore_index=2)
    ce("ignore_index with weights, mean", randn(8, 5), labels(8, 5, ignored=(0, 3, 5)), weight=w5, ignore_index=-100)
    ce("ignore_index, reduction none", randn(5, 5), labels(5, 5, ignored=(2,)), reduction="none")
    ce("label smoothing 0.1", randn(6, 5), labels(6, 5), label_smoothing=0.1)
    ce("label smoothing 0.25, class weights", randn(6, 5), labels(6, 5), weight=w5, label_smoothing=0.25)
    ce("label smoothing 0.2, ignore_index, sum", randn(6, 5), labels(6, 5, ignored=(0,)), label_smoothing=0.2, reduction="sum")
    ce("label smoothing 1.0 (uniform targets)", randn(4, 5), labels(4, 5), label_smoothing=1.0)
    ce("probability targets", randn(6, 5), probs(6, 5))
    ce("probability targets, class weights, sum", randn(6, 5), probs(6, 5), weight=w5, reduction="sum")
    ce("probability targets, label smoothing 0.1, none", randn(6, 5), probs(6, 5), label_smoothing=0.1, reduction="none")
    ce("[N, C, H, W] logits, [N, H, W] indices", randn(2, 4, 3, 3), torch.from_numpy(RNG.integers(0, 4, size=(2, 3, 3)).astype(np.int64)))
    ce("[N, C, H, W] logits, none", randn(2, 4, 2, 3), torch.from_numpy(RNG.integers(0, 4, size=(2, 2, 3)).astype(np.int64)), reduction="none")
    ce("[N, C, L] logits, probability targets, weights", randn(2, 5, 4), probs(2, 5, 4), weight=w5)
    return cases


# ---------------------------------------------------------------------------------------------
def resize_cases():
    cases = []

    def resize(name, shape, size):
        src = f"F.interpolate(x, size={size}, mode='bilinear', align_corners=False)"
        cases.append(run_case(name, "resize_bilinear", src, {"size": list(size)}, {"x": randn(*shape)},
                              lambda x: F.interpolate(x, size=size, mode="bilinear", align_corners=False), ["x"]))

    resize("upsample 4x4 -> 8x8", (1, 2, 4, 4), (8, 8))
    resize("downsample 8x6 -> 3x4 (non-integer scale)", (2, 1, 8, 6), (3, 4))
    resize("mixed 5x7 -> 7x5", (1, 2, 5, 7), (7, 5))
    resize("single pixel 1x1 -> 3x2", (2, 1, 1, 1), (3, 2))
    resize("identity 3x4 -> 3x4", (1, 1, 3, 4), (3, 4))
    resize("Fashion-MNIST style upscale 7x7 -> 16x16", (1, 1, 7, 7), (16, 16))
    return cases


# ---------------------------------------------------------------------------------------------
def interpolate_cases():
    """F.interpolate's modes and keyword arguments. ferrograd composes them in TypeScript
    (ts/interpolate.ts: one interpolation matrix per axis, applied with matmul), so only the TS
    suites (CPU and GPU) run them. Two corners are left out on purpose: PyTorch 1.13's 'nearest'
    backward (and its forward with one channel) copies an axis whose output size equals the input
    size (or shifts one that doubles it) even when a scale_factor says otherwise, and its bicubic
    backward copies same-size axes likewise; its forward, which ferrograd follows, does not."""
    cases = []
    keys = {"size": "size", "scale_factor": "scaleFactor", "mode": "mode", "align_corners": "alignCorners",
            "recompute_scale_factor": "recomputeScaleFactor", "antialias": "antialias"}

    def interp(name, shape, **kw):
        args = ", ".join(["x"] + [f"{k}={v!r}" for k, v in kw.items()])
        config = {keys[k]: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
        cases.append(run_case(name, "interpolate", f"F.interpolate({args})", config, {"x": randn(*shape)},
                              lambda x: F.interpolate(x, **kw), ["x"]))

    # nearest (the default mode) and nearest-exact
    interp("nearest, default mode, scale 2", (1, 2, 3, 4), scale_factor=2)
    interp("nearest downsample 5x7 -> 3x4", (1, 2, 5, 7), size=(3, 4))
    interp("nearest scale 1.7 (1/1.7 as the source scale)", (1, 2, 4, 5), scale_factor=1.7, mode="nearest")
    interp("nearest scale 1.7, recompute_scale_factor", (1, 2, 4, 5), scale_factor=1.7, mode="nearest", recompute_scale_factor=True)
    interp("nearest scale 0.6", (2, 2, 5, 7), scale_factor=0.6, mode="nearest")
    interp("nearest per-dim scale (2.5, 0.5)", (1, 2, 3, 6), scale_factor=(2.5, 0.5), mode="nearest")
    interp("nearest 3-D input, size 8", (2, 2, 5), size=8, mode="nearest")
    interp("nearest 5-D input, scale (1.5, 2, 0.5)", (1, 2, 2, 3, 4), scale_factor=(1.5, 2.0, 0.5), mode="nearest")
    interp("nearest-exact upsample scale 1.7", (1, 2, 4, 5), scale_factor=1.7, mode="nearest-exact")
    interp("nearest-exact downsample 7x6 -> 3x4", (1, 2, 7, 6), size=(3, 4), mode="nearest-exact")
    interp("nearest-exact 3-D, scale 2.5", (1, 3, 4), scale_factor=2.5, mode="nearest-exact")
    interp("nearest-exact 5-D, size (3, 2, 5)", (1, 2, 2, 3, 3), size=(3, 2, 5), mode="nearest-exact")
    # linear (3-D)
    interp("linear upsample 5 -> 9", (2, 2, 5), size=9, mode="linear", align_corners=False)
    interp("linear upsample 5 -> 9, align_corners", (2, 2, 5), size=9, mode="linear", align_corners=True)
    interp("linear scale 1.7", (1, 3, 6), scale_factor=1.7, mode="linear")
    interp("linear downsample scale 0.6, recompute_scale_factor", (1, 3, 9), scale_factor=0.6, mode="linear", recompute_scale_factor=True)
    interp("linear downsample 9 -> 4, align_corners", (1, 2, 9), size=4, mode="linear", align_corners=True)
    # bilinear
    interp("bilinear upsample 3x4 -> 7x6, align_corners", (1, 2, 3, 4), size=(7, 6), mode="bilinear", align_corners=True)
    interp("bilinear downsample 8x7 -> 3x5, align_corners", (1, 2, 8, 7), size=(3, 5), mode="bilinear", align_corners=True)
    interp("bilinear scale 1.7 (1/1.7 as the source scale)", (1, 2, 4, 5), scale_factor=1.7, mode="bilinear", align_corners=False)
    interp("bilinear scale 1.7, recompute_scale_factor", (1, 2, 4, 5), scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)
    interp("bilinear scale 0.6", (2, 1, 7, 8), scale_factor=0.6, mode="bilinear")
    interp("bilinear scale 2 (the kernel's in/out scale)", (1, 2, 3, 4), scale_factor=2, mode="bilinear")
    interp("bilinear 1x1 -> 3x2, align_corners", (1, 2, 1, 1), size=(3, 2), mode="bilinear", align_corners=True)
    interp("bilinear 4x5 -> 1x1, align_corners (the corner pixel)", (1, 2, 4, 5), size=1, mode="bilinear", align_corners=True)
    interp("bilinear 4x5 -> 1x1", (1, 2, 4, 5), size=1, mode="bilinear")
    # bicubic
    interp("bicubic upsample 4x3 -> 7x8", (1, 2, 4, 3), size=(7, 8), mode="bicubic")
    interp("bicubic upsample 4x3 -> 7x8, align_corners", (1, 2, 4, 3), size=(7, 8), mode="bicubic", align_corners=True)
    interp("bicubic downsample 9x8 -> 4x3", (1, 2, 9, 8), size=(4, 3), mode="bicubic")
    interp("bicubic scale 1.7", (1, 2, 4, 5), scale_factor=1.7, mode="bicubic")
    interp("bicubic scale 0.6, recompute_scale_factor, align_corners", (1, 2, 7, 9), scale_factor=0.6, mode="bicubic", align_corners=True, recompute_scale_factor=True)
    interp("bicubic 1x1 -> 3x3", (1, 2, 1, 1), size=3, mode="bicubic")
    interp("bicubic 2x3 -> 1x1", (1, 2, 2, 3), size=1, mode="bicubic")
    # trilinear (5-D)
    interp("trilinear 2x3x4 -> 3x5x3", (1, 2, 2, 3, 4), size=(3, 5, 3), mode="trilinear")
    interp("trilinear scale 1.5, align_corners", (1, 1, 2, 3, 4), scale_factor=1.5, mode="trilinear", align_corners=True)
    # area (adaptive average pooling)
    interp("area downsample 8x6 -> 3x4", (1, 2, 8, 6), size=(3, 4), mode="area")
    interp("area scale 0.6", (1, 2, 7, 9), scale_factor=0.6, mode="area")
    interp("area upsample 3x2 -> 5x5", (1, 2, 3, 2), size=5, mode="area")
    interp("area 3-D, 11 -> 4", (2, 2, 11), size=4, mode="area")
    interp("area 5-D, scale 0.5", (1, 2, 4, 4, 5), scale_factor=0.5, mode="area")
    # antialias
    interp("antialias bilinear downsample 9x11 -> 4x5", (1, 2, 9, 11), size=(4, 5), mode="bilinear", antialias=True)
    interp("antialias bilinear scale 0.6", (1, 2, 8, 9), scale_factor=0.6, mode="bilinear", antialias=True)
    interp("antialias bilinear scale 0.3, recompute_scale_factor", (1, 1, 10, 13), scale_factor=0.3, mode="bilinear", antialias=True, recompute_scale_factor=True)
    interp("antialias bilinear downsample, align_corners", (1, 2, 9, 8), size=(4, 3), mode="bilinear", align_corners=True, antialias=True)
    interp("antialias bilinear upsample (= plain bilinear)", (1, 2, 3, 4), size=(5, 7), mode="bilinear", antialias=True)
    interp("antialias bilinear, one axis up, one down", (1, 2, 3, 10), size=(5, 4), mode="bilinear", antialias=True)
    interp("antialias bicubic downsample 9x11 -> 4x5", (1, 2, 9, 11), size=(4, 5), mode="bicubic", antialias=True)
    interp("antialias bicubic scale 0.45", (1, 1, 11, 9), scale_factor=0.45, mode="bicubic", antialias=True)
    interp("antialias bicubic downsample, align_corners", (1, 2, 8, 9), size=(3, 4), mode="bicubic", align_corners=True, antialias=True)
    interp("antialias bicubic upsample (Keys a = -0.5)", (1, 2, 3, 4), size=(5, 7), mode="bicubic", antialias=True)
    interp("antialias bicubic to 1x1", (1, 2, 5, 4), size=1, mode="bicubic", antialias=True)
    return cases


# ---------------------------------------------------------------------------------------------
def convolve_cases():
    """numpy.convolve(a, v, mode='same'); the gradients come from the same convolution in torch
    (full convolution through conv1d with the flipped shorter input, then NumPy's centre slice)."""
    cases = []

    def torch_same(a, v):
        x, k = (a, v) if a.numel() >= v.numel() else (v, a)
        n, m = x.numel(), k.numel()
        full = F.conv1d(F.pad(x.view(1, 1, n), (m - 1, m - 1)), k.flip(0).view(1, 1, m)).view(-1)
        start = (m - 1) // 2
        return full[start:start + n]

    def conv(name, na, nv):
        a, v = randn(na), randn(nv)
        expect = np.convolve(a.numpy().astype(np.float64), v.numpy().astype(np.float64), mode="same")
        case = run_case(name, "convolve_same", "numpy.convolve(a, v, mode='same')", {}, {"a": a, "v": v},
                        torch_same, ["a", "v"])
        got = np.asarray(case["output"]["data"])
        assert np.allclose(got, expect, rtol=1e-5, atol=1e-5), (name, got, expect)
        case["output"] = {"shape": [len(expect)], "data": f32_list(expect)}
        cases.append(case)

    conv("odd kernel (10, 3)", 10, 3)
    conv("even kernel (9, 4)", 9, 4)
    conv("length-1 kernel (6, 1)", 6, 1)
    conv("second input longer (3, 7): NumPy swaps", 3, 7)
    conv("equal odd lengths (5, 5)", 5, 5)
    conv("equal even lengths (4, 4)", 4, 4)
    conv("long signal, 5-tap kernel (32, 5)", 32, 5)
    conv("long kernel (200, 130)", 200, 130)
    return cases


# ---------------------------------------------------------------------------------------------
def misc_cases():
    cases = []

    def argmax(name, x, dim):
        src = f"torch.argmax(x{'' if dim is None else f', dim={dim}'})"
        cases.append(run_case(name, "argmax", src, {"dim": dim}, {"x": x},
                              lambda x: torch.argmax(x) if dim is None else torch.argmax(x, dim=dim), []))

    argmax("argmax over dim 1", randn(4, 6), 1)
    argmax("argmax over dim 0", randn(4, 6), 0)
    argmax("argmax over dim -1 of [2, 3, 4]", randn(2, 3, 4), -1)
    argmax("argmax of the flattened tensor", randn(3, 5), None)
    ties = torch.from_numpy(RNG.integers(0, 3, size=(5, 6)).astype(np.float32))
    argmax("argmax with ties picks the first", ties, 1)
    argmax("argmax with ties over dim 0", ties, 0)

    def cat(name, shapes, dim):
        inputs = {f"t{i}": randn(*s) for i, s in enumerate(shapes)}
        src = f"torch.cat([{', '.join(inputs)}], dim={dim})"
        cases.append(run_case(name, "cat", src, {"dim": dim}, inputs,
                              lambda **t: torch.cat([t[k] for k in sorted(t, key=lambda s: int(s[1:]))], dim=dim),
                              list(inputs)))

    def stack(name, shape, count, dim):
        inputs = {f"t{i}": randn(*shape) for i in range(count)}
        src = f"torch.stack([{', '.join(inputs)}], dim={dim})"
        cases.append(run_case(name, "stack", src, {"dim": dim}, inputs,
                              lambda **t: torch.stack([t[k] for k in sorted(t, key=lambda s: int(s[1:]))], dim=dim),
                              list(inputs)))

    cat("cat of 3 along dim 0", [(1, 3), (2, 3), (3, 3)], 0)
    cat("cat of 2 along dim 1 (channels)", [(2, 1, 2, 2), (2, 3, 2, 2)], 1)
    cat("cat along dim -1", [(2, 2), (2, 1)], -1)
    stack("stack of 3 along dim 0", (2, 3), 3, 0)
    stack("stack of 2 along dim 1", (2, 3), 2, 1)
    stack("stack of 2 along dim -1", (3, 2), 2, -1)

    def flatten(name, shape, start, end):
        src = f"torch.flatten(x, {start}, {end})"
        cases.append(run_case(name, "flatten", src, {"start": start, "end": end}, {"x": randn(*shape)},
                              lambda x: torch.flatten(x, start, end), ["x"]))

    flatten("flatten(1) of NCHW", (2, 3, 2, 2), 1, -1)
    flatten("flatten all", (2, 3, 2), 0, -1)
    flatten("flatten(1, 2)", (2, 3, 2, 2), 1, 2)

    def matmul(name, sa, sb):
        cases.append(run_case(name, "matmul", "torch.matmul(a, b)", {}, {"a": randn(*sa), "b": randn(*sb)},
                              lambda a, b: torch.matmul(a, b), ["a", "b"]))

    matmul("matmul 2-D", (3, 4), (4, 5))
    matmul("matmul with broadcast batch", (2, 1, 3, 4), (3, 4, 2))
    matmul("matmul batch by matrix", (2, 3, 4), (4, 2))
    matmul("matmul vector by matrix", (4,), (4, 3))
    return cases


# ---------------------------------------------------------------------------------------------
def division_cases():
    """fmod, remainder, floor_divide and div(rounding_mode='trunc') of floats, where PyTorch's
    kernels (an exact fmod first: aten/src/ATen/native/cpu/BinaryOpsKernel.cpp, c10's
    div_floor_floating) differ from rounding a / b: divisors float32 cannot hold (0.1, 0.7),
    infinite ones, zeros, signed zeros and a quotient past 2^24."""
    cases = []
    x = torch.tensor([1.0, -1.0, 1.0, -7.0, -7.0, 7.0, 5.5, -5.5, 0.3, -0.3, 1e7 + 1.0, 2.5,
                      0.0, -0.0, 3.0, 1e-3, 100.0, -100.0, 16777215.0, 0.7])
    y = torch.tensor([0.1, 0.1, -0.1, float("inf"), float("-inf"), float("-inf"), 2.0, 2.0, 0.7, 0.7,
                      0.3, -0.5, 2.0, 2.0, 0.0, 0.1, 0.7, 0.7, 0.1, 1e-7])
    inputs = {"a": x, "b": y}
    for op, fn, src, grads in (
            ("fmod", lambda a, b: torch.fmod(a, b), "torch.fmod(a, b)", ["a", "b"]),
            ("remainder", lambda a, b: torch.remainder(a, b), "torch.remainder(a, b)", ["a", "b"]),
            ("floor_divide", lambda a, b: torch.floor_divide(a, b), "torch.floor_divide(a, b)", []),
            ("div_trunc", lambda a, b: torch.div(a, b, rounding_mode="trunc"),
             "torch.div(a, b, rounding_mode='trunc')", [])):
        cases.append(run_case(f"{op} of awkward divisors", op, src, {}, inputs, fn, grads))
    # the same ops broadcast over a [2, 3] dividend by a [3] divisor
    a = randn(2, 3, scale=5.0)
    b = torch.tensor([0.1, -0.7, 3.0])
    for op, fn in (("fmod", torch.fmod), ("remainder", torch.remainder)):
        cases.append(run_case(f"{op} broadcast by a row", op, f"torch.{op}(a, b)", {}, {"a": a, "b": b},
                              lambda a, b, fn=fn: fn(a, b), ["a", "b"]))
    cases.append(run_case("floor_divide broadcast by a row", "floor_divide", "torch.floor_divide(a, b)", {},
                          {"a": a, "b": b}, lambda a, b: torch.floor_divide(a, b), []))
    return cases


FAMILIES = {
    "conv2d": conv2d_cases,
    "conv2d_edge": conv2d_edge_cases,
    "conv_transpose": conv_transpose_cases,
    "pool": pool_cases,
    "pool_options": pool_option_cases,
    "batchnorm": batchnorm_cases,
    "activations": activation_cases,
    "losses": loss_cases,
    "cross_entropy_options": cross_entropy_option_cases,
    "resize": resize_cases,
    "interpolate": interpolate_cases,
    "convolve": convolve_cases,
    "misc": misc_cases,
    "division": division_cases,
}


def main():
    global RNG
    os.makedirs(OUT_DIR, exist_ok=True)
    only = sys.argv[1:]
    unknown = [f for f in only if f not in FAMILIES]
    if unknown:
        sys.exit(f"unknown families {unknown}; known: {list(FAMILIES)}")
    total = 0
    for family, make in FAMILIES.items():
        if only and family not in only:
            continue
        # a family's data depends only on its own name: adding cases elsewhere changes nothing here
        RNG = np.random.default_rng(zlib.crc32(family.encode()))
        doc = {
            "family": family,
            "generator": "scripts/golden/generate.py",
            "torch_version": torch.__version__,
            "numpy_version": np.__version__,
            "cases": make(),
        }
        path = os.path.join(OUT_DIR, f"{family}.json")
        # one case per line: compact, yet a regenerated fixture diffs case by case
        cases = doc.pop("cases")
        head = json.dumps(doc, separators=(",", ":"))[:-1]
        body = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
        with open(path, "w") as f:
            f.write(f'{head},"cases":[\n{body}\n]}}\n')
        doc["cases"] = cases
        size = os.path.getsize(path)
        total += size
        print(f"{path}: {len(doc['cases'])} cases, {size} bytes")
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR) if f.endswith(".json"))
    print(f"all families: {total} bytes")
    if total > 1 << 20:
        sys.exit("fixtures exceed 1 MiB: shrink the cases")


if __name__ == "__main__":
    main()
