"""PyTorch 1.13's dtype rules for the four dtypes ferrograd has, as test/fixtures/dtype_rules.json.

Each case: an op, its operands (dtype and values; 'scalar' operands are Python numbers/bools,
'zero' operands 0-d tensors) and what torch gives: the result dtype and values, or the first line
of its error. test/dtype.test.ts replays every case. Run: python3 scripts/golden/dtype_rules.py
"""
import json
import math
import os

import torch

DT = {'float32': torch.float32, 'int64': torch.int64, 'int32': torch.int32, 'bool': torch.bool}
NAME = {v: k for k, v in DT.items()}
A = {'float32': [7.0, -7.0, 3.5], 'int64': [7, -7, 3], 'int32': [7, -7, 3], 'bool': [True, False, True]}
B = {'float32': [2.0, -3.0, 0.5], 'int64': [2, -3, 1], 'int32': [2, -3, 1], 'bool': [True, True, False]}


def enc(v):
    if isinstance(v, list):
        return [enc(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def run(f, *args):
    try:
        r = f(*args)
        return {'dtype': NAME[r.dtype], 'values': enc(r.tolist())}
    except Exception as e:  # noqa: BLE001 - the message is the expected value
        return {'error': str(e).split('\n')[0]}


def t(dtype, values, kind='dim'):
    return torch.tensor(values if kind == 'dim' else values[0], dtype=DT[dtype])


cases = []
BINARY = {
    'add': torch.add, 'sub': torch.sub, 'mul': torch.mul, 'div': torch.div,
    'floor_divide': torch.floor_divide, 'div_trunc': lambda a, b: torch.div(a, b, rounding_mode='trunc'),
    'remainder': torch.remainder, 'fmod': torch.fmod, 'pow': torch.pow,
    'maximum': torch.maximum, 'minimum': torch.minimum,
    'gt': torch.gt, 'lt': torch.lt, 'ge': torch.ge, 'le': torch.le, 'eq': torch.eq, 'ne': torch.ne,
}
for op, f in BINARY.items():
    for a in DT:
        for b in DT:
            cases.append({'op': op, 'a': {'dtype': a, 'values': A[a]}, 'b': {'dtype': b, 'kind': 'dim', 'values': B[b]}, **run(f, t(a, A[a]), t(b, B[b]))})
            if op in ('add', 'mul', 'div', 'floor_divide', 'remainder', 'maximum'):
                cases.append({'op': op, 'a': {'dtype': a, 'values': A[a]}, 'b': {'dtype': b, 'kind': 'zero', 'values': B[b][:1]}, **run(f, t(a, A[a]), t(b, B[b], 'zero'))})
    if op in ('maximum', 'minimum'):
        continue
    for a in DT:
        for s in (2, 2.5, True, -1):
            cases.append({'op': op, 'a': {'dtype': a, 'values': A[a]}, 'b': {'kind': 'scalar', 'value': s}, **run(f, t(a, A[a]), s)})
for a in DT:
    for b in DT:
        x, y = t(a, [[3, -2] if a != 'bool' else [True, False]]), t(b, [[2], [-3]] if b != 'bool' else [[True], [True]])
        cases.append({'op': 'matmul', 'a': {'dtype': a, 'values': x.tolist()}, 'b': {'dtype': b, 'kind': 'dim', 'values': y.tolist()}, **run(torch.mm, x, y)})

UNARY = {
    'neg': torch.neg, 'abs': torch.abs, 'exp': torch.exp, 'log': torch.log, 'sqrt': torch.sqrt,
    'sigmoid': torch.sigmoid, 'tanh': torch.tanh, 'reciprocal': torch.reciprocal, 'relu': torch.relu,
    'leaky_relu': torch.nn.functional.leaky_relu, 'floor': torch.floor, 'ceil': torch.ceil,
    'round': torch.round, 'trunc': torch.trunc, 'sign': torch.sign,
    'softmax': lambda x: torch.softmax(x, 0), 'log_softmax': lambda x: torch.log_softmax(x, 0),
    'sum': torch.sum, 'mean': torch.mean, 'var': torch.var, 'max': torch.amax, 'min': torch.amin,
    'argmax': torch.argmax, 'clamp': lambda x: torch.clamp(x, 0, 1), 'clamp_float': lambda x: torch.clamp(x, 0.5),
    'pow_2': lambda x: x ** 2, 'pow_2.5': lambda x: x ** 2.5, 'pow_-1': lambda x: x ** -1,
    'float': lambda x: x.float(), 'long': lambda x: x.long(), 'int': lambda x: x.int(), 'bool': lambda x: x.bool(),
}
U = {'float32': [2.5, -1.5, 0.0, -0.7], 'int64': [3, -2, 0, 1], 'int32': [3, -2, 0, 1], 'bool': [True, False, False, True]}
for op, f in UNARY.items():
    for a in DT:
        cases.append({'op': op, 'a': {'dtype': a, 'values': U[a]}, **run(f, t(a, U[a]))})

out = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'dtype_rules.json')
with open(out, 'w') as fh:
    json.dump({'torch': torch.__version__, 'cases': cases}, fh, indent=None, separators=(',', ':'))
    fh.write('\n')
print(f'{len(cases)} cases -> {os.path.normpath(out)}')
