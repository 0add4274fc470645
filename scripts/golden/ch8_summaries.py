#!/usr/bin/python3
"""Expected outputs of d2l.ai chapter 8 (PyTorch edition) for ferrograd's TypeScript models.

Run by hand, from the repository root, with an interpreter that has torch (Debian's
python3-torch lives in /usr/bin/python3):

    /usr/bin/python3 scripts/golden/ch8_summaries.py

It builds the book's models (§8.1 AlexNet, §8.3 NiN, §8.4 GoogLeNet, §8.5 BNLeNetScratch and
BNLeNet, §8.6 ResNeXtBlock, §8.7 DenseNet, §8.8 RegNetX32) with lazy layers exactly as the book
writes them, and rewrites test/fixtures/ch8_summaries.json with:

- each model's `layer_summary` lines, exactly as d2l prints them
  (`<Layer> output shape:\\t torch.Size([...])`);
- the book's shape checks (ResNeXtBlock, DenseBlock, transition_block);
- §8.5: the book's from-scratch `batch_norm`/`BatchNorm` and `nn.BatchNorm2d` on a
  deterministic input (no random numbers, so the TypeScript test can build the same input):
  outputs in training and prediction mode and the moving/running statistics.

The fixture is committed; the tests (test/examples_ch8.test.ts) only read it.
"""

import json
import math
import os

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test", "fixtures", "ch8_summaries.json")

torch.manual_seed(0)


def layer_summary(net, shape):
    """d2l.Classifier.layer_summary, returning the lines it prints."""
    X = torch.randn(*shape)
    lines = []
    for layer in net:
        X = layer(X)
        lines.append(f"{layer.__class__.__name__} output shape:\t {X.shape}")
    return lines


def size(shape):
    return str(torch.Size(shape))


# ---- §8.1 AlexNet ----
def alexnet(num_classes=10):
    return nn.Sequential(
        nn.LazyConv2d(96, kernel_size=11, stride=4, padding=1),
        nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2),
        nn.LazyConv2d(256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.LazyConv2d(384, kernel_size=3, padding=1), nn.ReLU(),
        nn.LazyConv2d(384, kernel_size=3, padding=1), nn.ReLU(),
        nn.LazyConv2d(256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2), nn.Flatten(),
        nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.LazyLinear(num_classes))


# ---- §8.3 NiN ----
def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())


def nin(num_classes=10):
    return nn.Sequential(
        nin_block(96, kernel_size=11, strides=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        nin_block(256, kernel_size=5, strides=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(384, kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block(num_classes, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten())


# ---- §8.4 GoogLeNet ----
class Inception(nn.Module):
    def __init__(self, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        self.b1_1 = nn.LazyConv2d(c1, kernel_size=1)
        self.b2_1 = nn.LazyConv2d(c2[0], kernel_size=1)
        self.b2_2 = nn.LazyConv2d(c2[1], kernel_size=3, padding=1)
        self.b3_1 = nn.LazyConv2d(c3[0], kernel_size=1)
        self.b3_2 = nn.LazyConv2d(c3[1], kernel_size=5, padding=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.LazyConv2d(c4, kernel_size=1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


def googlenet(num_classes=10):
    b1 = nn.Sequential(
        nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3),
        nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b2 = nn.Sequential(
        nn.LazyConv2d(64, kernel_size=1), nn.ReLU(),
        nn.LazyConv2d(192, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b3 = nn.Sequential(Inception(64, (96, 128), (16, 32), 32),
                       Inception(128, (128, 192), (32, 96), 64),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b4 = nn.Sequential(Inception(192, (96, 208), (16, 48), 64),
                       Inception(160, (112, 224), (24, 64), 64),
                       Inception(128, (128, 256), (24, 64), 64),
                       Inception(112, (144, 288), (32, 64), 64),
                       Inception(256, (160, 320), (32, 128), 128),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    b5 = nn.Sequential(Inception(256, (160, 320), (32, 128), 128),
                       Inception(384, (192, 384), (48, 128), 128),
                       nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
    return nn.Sequential(b1, b2, b3, b4, b5, nn.LazyLinear(num_classes))


# ---- §8.5 Batch normalization ----
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean,
            self.moving_var, eps=1e-5, momentum=0.1)
        return Y


def bn_lenet_scratch(num_classes=10):
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5), BatchNorm(6, num_dims=4),
        nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), BatchNorm(16, num_dims=4),
        nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.LazyLinear(120),
        BatchNorm(120, num_dims=2), nn.Sigmoid(), nn.LazyLinear(84),
        BatchNorm(84, num_dims=2), nn.Sigmoid(),
        nn.LazyLinear(num_classes))


def bn_lenet(num_classes=10):
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5), nn.LazyBatchNorm2d(),
        nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(),
        nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.LazyLinear(120), nn.LazyBatchNorm1d(),
        nn.Sigmoid(), nn.LazyLinear(84), nn.LazyBatchNorm1d(),
        nn.Sigmoid(), nn.LazyLinear(num_classes))


def det_input(shape, a, b):
    """A deterministic input: x[i] = sin(a * i + b) * (1 + c) + 0.5 * c (i the flat index, c the channel)."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    c = (i // int(np.prod(shape[2:]))) % shape[1]
    return torch.from_numpy((np.sin(a * i + b) * (1 + c) + 0.5 * c).astype(np.float32).reshape(shape))


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def batchnorm_check():
    """The book's scratch BatchNorm and nn.BatchNorm2d: two training steps, then prediction."""
    shape = (4, 3, 5, 5)
    X1, X2, X3 = det_input(shape, 0.37, 0.1), det_input(shape, 0.23, 0.7), det_input(shape, 0.11, 1.3)
    gamma = torch.tensor([1.0, 1.1, 1.2])
    beta = torch.tensor([0.0, 0.05, 0.1])
    scratch = BatchNorm(3, num_dims=4)
    with torch.no_grad():
        scratch.gamma.copy_(gamma.reshape(1, 3, 1, 1))
        scratch.beta.copy_(beta.reshape(1, 3, 1, 1))
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
    bn.train()
    out = {"shape": list(shape), "inputs": [[0.37, 0.1], [0.23, 0.7], [0.11, 1.3]],
           "gamma": flat(gamma), "beta": flat(beta), "eps": 1e-5, "momentum": 0.1}
    ys, yn = scratch(X1), bn(X1)
    out["train1_scratch"], out["train1_nn"] = flat(ys), flat(yn)
    ys2, yn2 = scratch(X2), bn(X2)
    out["train2_scratch"], out["train2_nn"] = flat(ys2), flat(yn2)
    out["moving_mean"], out["moving_var"] = flat(scratch.moving_mean), flat(scratch.moving_var)
    out["running_mean"], out["running_var"] = flat(bn.running_mean), flat(bn.running_var)
    bn.eval()
    with torch.no_grad():
        out["eval_scratch"], out["eval_nn"] = flat(scratch(X3)), flat(bn(X3))
    return out


# ---- §8.6 ResNeXt ----
class ResNeXtBlock(nn.Module):
    def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot_channels = int(round(num_channels * bot_mul))
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1,
                                   groups=bot_channels // groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()
        self.bn3 = nn.LazyBatchNorm2d()
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            self.bn4 = nn.LazyBatchNorm2d()
        else:
            self.conv4 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


# ---- §8.7 DenseNet ----
def conv_block(num_channels):
    return nn.Sequential(
        nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.LazyConv2d(num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super(DenseBlock, self).__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(num_channels):
    return nn.Sequential(
        nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.LazyConv2d(num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2))


def densenet(num_channels=64, growth_rate=32, arch=(4, 4, 4, 4), num_classes=10):
    net = nn.Sequential(nn.Sequential(
        nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3),
        nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1)))
    for i, num_convs in enumerate(arch):
        net.add_module(f'dense_blk{i+1}', DenseBlock(num_convs, growth_rate))
        num_channels += num_convs * growth_rate
        if i != len(arch) - 1:
            num_channels //= 2
            net.add_module(f'tran_blk{i+1}', transition_block(num_channels))
    net.add_module('last', nn.Sequential(
        nn.LazyBatchNorm2d(), nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        nn.LazyLinear(num_classes)))
    return net


# ---- §8.8 AnyNet / RegNetX32 ----
def anynet(arch, stem_channels, num_classes=10):
    def stage(depth, num_channels, groups, bot_mul):
        blk = []
        for i in range(depth):
            if i == 0:
                blk.append(ResNeXtBlock(num_channels, groups, bot_mul, use_1x1conv=True, strides=2))
            else:
                blk.append(ResNeXtBlock(num_channels, groups, bot_mul))
        return nn.Sequential(*blk)

    net = nn.Sequential(nn.Sequential(
        nn.LazyConv2d(stem_channels, kernel_size=3, stride=2, padding=1),
        nn.LazyBatchNorm2d(), nn.ReLU()))
    for i, s in enumerate(arch):
        net.add_module(f'stage{i+1}', stage(*s))
    net.add_module('head', nn.Sequential(
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        nn.LazyLinear(num_classes)))
    return net


def regnetx32(num_classes=10):
    stem_channels, groups, bot_mul = 32, 16, 1
    depths, channels = (4, 6), (32, 80)
    return anynet(((depths[0], channels[0], groups, bot_mul),
                   (depths[1], channels[1], groups, bot_mul)), stem_channels, num_classes)


def main():
    out = {"torch": torch.__version__}
    out["alexnet"] = layer_summary(alexnet(), (1, 1, 224, 224))
    out["nin"] = layer_summary(nin(), (1, 1, 224, 224))
    out["googlenet"] = layer_summary(googlenet(), (1, 1, 96, 96))
    # batch 2: BatchNorm1d in training mode needs more than one value per channel
    out["bnlenet_scratch"] = layer_summary(bn_lenet_scratch(), (2, 1, 28, 28))
    out["bnlenet"] = layer_summary(bn_lenet(), (2, 1, 28, 28))
    out["batchnorm"] = batchnorm_check()
    out["resnext"] = {
        "book": size(ResNeXtBlock(32, 16, 1)(torch.randn(4, 32, 96, 96)).shape),
        "strided": size(ResNeXtBlock(64, 16, 0.5, use_1x1conv=True, strides=2)(torch.randn(4, 32, 12, 12)).shape),
    }
    blk = DenseBlock(2, 10)
    Y = blk(torch.randn(4, 3, 8, 8))
    out["densenet"] = {
        "dense_block": size(Y.shape),
        "transition_block": size(transition_block(10)(Y).shape),
        "summary": layer_summary(densenet(), (1, 1, 96, 96)),
    }
    out["regnetx32"] = layer_summary(regnetx32(), (1, 1, 96, 96))
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
