#!/usr/bin/env python3
"""PyTorch figures for `npm run bench` (scripts/bench.mjs spawns this with /usr/bin/python3).

    /usr/bin/python3 scripts/bench/torch_ref.py --threads N [--quick] [--only lenet,sgemm,vgg,resnet]
    python3 scripts/bench/torch_ref.py --device cuda [--quick]

Times the same work as the wasm rows, on N intra-op threads: sgemm 1024³, and one training step
(forward, cross-entropy, backward, SGD) of d2l's LeNet (batch 128, 28×28), the small VGG
(batch 32, 224×224) and ResNet-18 (batch 32, 96×96), all on random inputs. Prints one JSON
object: {"torch": version, "threads": N, "rows": {name: {"ms": median, "best": fastest}}}.
Exit status 3 when torch is not importable.

With --device cuda: the work of the native GPU benchmark (crates/ferrograd-core/examples/
gpu_bench.rs) in fp32 with TF32 off (cuBLAS and cuDNN), each call followed by a synchronize:
sgemm 1024³ and 4096³, LeNet at batch 256, the small VGG and ResNet-18 at batch 32; the JSON
adds "device" (the card's name) and "rows" carry "gflops" or "img_s".
"""
import json
import sys
import time

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError:
    print(json.dumps({'error': 'torch is not installed for this python'}))
    sys.exit(3)


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
        nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))


def vgg(arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))):
    layers, cin = [], 1
    for convs, cout in arch:
        for _ in range(convs):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]
            cin = cout
        layers.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 10))


class Residual(nn.Module):
    def __init__(self, cin, cout, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv3 = nn.Conv2d(cin, cout, 1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(cout)
        self.bn2 = nn.BatchNorm2d(cout)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        return F.relu(y + x)


def resnet18():
    layers = [nn.Conv2d(1, 64, 7, stride=2, padding=3), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for i, (n, c) in enumerate(((2, 64), (2, 128), (2, 256), (2, 512))):
        for j in range(n):
            first = j == 0 and i != 0
            layers.append(Residual(cin, c, use_1x1conv=first, strides=2 if first else 1))
            cin = c
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, 10))


def timed(fn, warmup, samples, min_s):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        reps, t0 = 0, time.perf_counter()
        while True:
            fn()
            reps += 1
            if time.perf_counter() - t0 >= min_s:
                break
        times.append((time.perf_counter() - t0) / reps * 1000)
    times.sort()
    return {'ms': times[len(times) // 2], 'best': times[0]}


def train_step(net, batch, size, device='cpu', sync=lambda: None):
    net = net.to(device)
    x = torch.randn(batch, 1, size, size, device=device)
    y = torch.arange(batch, device=device) % 10
    opt = torch.optim.SGD(net.parameters(), lr=0.01)

    def step():
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()
    return step


def cuda_main(quick):
    if not torch.cuda.is_available():
        print(json.dumps({'error': 'torch.cuda.is_available() is False'}))
        sys.exit(4)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    dev, sync = torch.device('cuda'), torch.cuda.synchronize
    rows = {}
    for n in (1024, 4096):
        a, b = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
        t = timed(lambda: (torch.mm(a, b), sync()), 3, 3 if quick else 7, 0.1 if quick else 0.5)
        rows[f'sgemm {n}'] = {**t, 'gflops': 2 * n ** 3 / (t['ms'] * 1e6)}
    for name, net, batch, size in (('lenet', lenet(), 256, 28), ('vgg', vgg(), 32, 224), ('resnet18', resnet18(), 32, 96)):
        t = timed(train_step(net, batch, size, dev, sync), 5, 3 if quick else 7, 0.1 if quick else 0.5)
        rows[name] = {**t, 'batch': batch, 'img_s': batch * 1000 / t['ms']}
    print(json.dumps({'torch': torch.__version__, 'device': torch.cuda.get_device_name(), 'tf32': False, 'rows': rows}))


def main():
    args = sys.argv[1:]
    threads = int(args[args.index('--threads') + 1]) if '--threads' in args else 1
    quick = '--quick' in args
    if '--device' in args and args[args.index('--device') + 1] == 'cuda':
        return cuda_main(quick)
    only = set(args[args.index('--only') + 1].split(',')) if '--only' in args else {'sgemm', 'lenet', 'vgg', 'resnet'}
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rows = {}
    if 'sgemm' in only:
        a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
        rows['sgemm 1024'] = timed(lambda: torch.mm(a, b), 3, 3 if quick else 7, 0.05 if quick else 0.3)
    if 'lenet' in only:
        rows['lenet'] = timed(train_step(lenet(), 128, 28), 5, 3 if quick else 9, 0.1 if quick else 0.3)
    if 'vgg' in only:
        rows['vgg'] = timed(train_step(vgg(), 32, 224), 1, 1 if quick else 3, 0)
    if 'resnet' in only:
        rows['resnet18'] = timed(train_step(resnet18(), 32, 96), 1, 1 if quick else 3, 0)
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'rows': rows}))


if __name__ == '__main__':
    main()
