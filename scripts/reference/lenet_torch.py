#!/usr/bin/env python3
"""PyTorch reference for d2l's LeNet on Fashion-MNIST (run by hand; CI never needs PyTorch).

    /usr/bin/python3 scripts/reference/lenet_torch.py train   [--epochs 10] [--threads 1]
        Trains d2l's LeNet exactly as the book (batch 128, lr 0.1, SGD, Xavier init, 10 epochs)
        on the Debian Fashion-MNIST files and prints per-epoch val loss/accuracy and wall time.
    /usr/bin/python3 scripts/reference/lenet_torch.py same [--epochs 10] [--seed 0] --init-out F
        Like `train`, but writes its initial (Xavier) weights to F (safetensors, d2l names
        `net.N.weight`) and visits the batches in ferrograd's order for `FashionMNIST({seed})`
        (ts/data/random.ts), so `npm run train -- --init-from F --seed 0` trains the same model
        on the same batches and the two curves can be compared step for step.
    /usr/bin/python3 scripts/reference/lenet_torch.py fixture
        Trains for 3 epochs on the 60,000 training images, then writes test/fixtures/lenet/:
        lenet.safetensors (PyTorch parameter names) and lenet_logits.json (10 test images, their
        labels and the model's logits) so the TypeScript test can check that ferrograd loads the
        weights and reproduces the logits.

Data: /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist).
"""
import gzip
import json
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'fixtures'))
from ferrograd_order import epoch_seed, permutation  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATA = Path('/usr/share/datasets/fashion-mnist')


def read_idx(name):
    raw = gzip.open(DATA / name, 'rb').read()
    magic, n = struct.unpack('>II', raw[:8])
    if magic == 2051:
        rows, cols = struct.unpack('>II', raw[8:16])
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, rows, cols)
    return np.frombuffer(raw, np.uint8, offset=8)


def load():
    xs = torch.tensor(read_idx('train-images-idx3-ubyte.gz'), dtype=torch.float32) / 255
    ys = torch.tensor(read_idx('train-labels-idx1-ubyte.gz'), dtype=torch.int64)
    xv = torch.tensor(read_idx('t10k-images-idx3-ubyte.gz'), dtype=torch.float32) / 255
    yv = torch.tensor(read_idx('t10k-labels-idx1-ubyte.gz'), dtype=torch.int64)
    return xs, ys, xv, yv


def lenet():
    # d2l §7.6, with the lazy layers' sizes written out
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def init_cnn(m):
    if type(m) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight)


def evaluate(net, xv, yv, batch=128):
    net.eval()
    loss = acc = 0.0
    n = 0
    with torch.no_grad():
        for i in range(0, len(xv), batch):
            out = net(xv[i:i + batch])
            y = yv[i:i + batch]
            # d2l averages per-batch means over batches
            loss += F.cross_entropy(out, y).item()
            acc += (out.argmax(1) == y).float().mean().item()
            n += 1
    net.train()
    return loss / n, acc / n


def ferrograd_permutation(n, seed, epoch):
    return torch.tensor(permutation(n, epoch_seed(seed, epoch)))


def train(net, xs, ys, xv, yv, epochs, batch=128, lr=0.1, seed=0, log=print, order='torch'):
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    start = time.time()
    for epoch in range(epochs):
        # ferrograd's d2l flow draws one epoch's order for apply_init's first batch, so its
        # training epochs use orders 1, 2, ...
        perm = torch.randperm(len(xs), generator=g) if order == 'torch' else ferrograd_permutation(len(xs), seed, epoch + 1)
        train_loss, nb = 0.0, 0
        t0 = time.time()
        for i in range(0, len(xs), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(net(xs[idx]), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            train_loss += loss.item()
            nb += 1
        secs = time.time() - t0
        vl, va = evaluate(net, xv, yv)
        log(f'epoch {epoch + 1}/{epochs}: train_loss {train_loss / nb:.4f}, val_loss {vl:.4f}, '
            f'val_acc {va:.4f} ({len(xs) / secs:.0f} img/s)')
    return time.time() - start


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().cpu().numpy()
        dtype = {np.float32: 'F32', np.int64: 'I64'}[a.dtype.type]
        b = np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    path.write_bytes(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else 'train'
    args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
    torch.set_num_threads(int(args.get('--threads', 1)))
    torch.manual_seed(0)
    xs, ys, xv, yv = load()
    net = lenet()
    net(xs[:1])
    net.apply(init_cnn)
    if mode == 'train':
        epochs = int(args.get('--epochs', 10))
        print(f'PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), LeNet, batch 128, lr 0.1')
        wall = train(net, xs, ys, xv, yv, epochs)
        vl, va = evaluate(net, xv, yv)
        print(json.dumps({'framework': f'pytorch {torch.__version__}', 'epochs': epochs, 'val_loss': vl,
                          'val_acc': va, 'wall_seconds': wall, 'threads': torch.get_num_threads()}))
    elif mode == 'same':
        epochs = int(args.get('--epochs', 10))
        seed = int(args.get('--seed', 0))
        write_safetensors(Path(args['--init-out']), {f'net.{k}': v for k, v in net.state_dict().items()})
        print(f'PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), LeNet, batch 128, lr 0.1, '
              f'ferrograd batch order (seed {seed}), initial weights in {args["--init-out"]}')
        wall = train(net, xs, ys, xv, yv, epochs, seed=seed, order='ferrograd')
        vl, va = evaluate(net, xv, yv)
        print(json.dumps({'framework': f'pytorch {torch.__version__}', 'epochs': epochs, 'val_loss': vl,
                          'val_acc': va, 'wall_seconds': wall, 'threads': torch.get_num_threads()}))
    elif mode == 'fixture':
        train(net, xs, ys, xv[:1000], yv[:1000], 3)
        out = ROOT / 'test/fixtures/lenet'
        out.mkdir(parents=True, exist_ok=True)
        write_safetensors(out / 'lenet.safetensors', net.state_dict())
        net.eval()
        with torch.no_grad():
            logits = net(xv[:10])
        (out / 'lenet_logits.json').write_text(json.dumps({
            'torch': 'scripts/reference/lenet_torch.py fixture: d2l LeNet, 3 epochs SGD lr 0.1 batch 128 '
                     'on the 60000 training images; logits of the first 10 test images in eval mode',
            'images': [float(v) for v in xv[:10].flatten().numpy()],
            'labels': [int(v) for v in yv[:10]],
            'logits': [float(v) for v in logits.flatten().numpy()],
        }))
        print('wrote', out)


if __name__ == '__main__':
    main()
