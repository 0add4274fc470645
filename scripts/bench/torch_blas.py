#!/usr/bin/env python3
"""Which BLAS PyTorch really calls: the library mapped into this process after a matmul.

Prints one JSON object: {"torch": version, "blas": path, "kind": "openblas-openmp" | ... |
"reference", "optimised": bool}. Debian's python3-torch goes through the generic libblas.so.3,
so the answer depends on `update-alternatives`, not on torch's build config.
"""
import json
import os

import torch

torch.ones(64, 64) @ torch.ones(64, 64)
with open('/proc/self/maps') as f:
    libs = sorted({line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line})
real = sorted({os.path.realpath(p) for p in libs})
text = ' '.join(real).lower()
if 'openblas' in text:
    kind = 'openblas-openmp' if 'openmp' in text else 'openblas-pthread' if 'pthread' in text else 'openblas'
elif 'mkl' in text:
    kind = 'mkl'
elif 'blis' in text:
    kind = 'blis'
elif real:
    kind = 'reference'
else:
    kind = 'built-in'  # a wheel with its BLAS linked in (MKL in pip's x86 builds)
print(json.dumps({'torch': torch.__version__, 'blas': ', '.join(real) or '(linked into torch)', 'kind': kind,
                  'optimised': kind != 'reference'}))
