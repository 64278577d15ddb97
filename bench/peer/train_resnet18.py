#!/usr/bin/python3
"""PyTorch peer of `Chorus.Benchmarks --train`: fine-tuning throughput of ResNet-18 at 224 px on the CPU.

One training step = zero_grad, forward (train mode), cross-entropy, full backward, AdamW step, on a fixed random
batch (randn N x 3 x 224 x 224, random labels out of 8; seed 0). A torchvision-layout ResNet-18 with random weights
(seed 0) whose fc is replaced by an 8-class Linear; AdamW lr 1e-3, weight decay 1e-4; 2 intra-op threads.
`--warmup` untimed steps, then `--steps` timed steps; images/s (median over steps and mean) as JSON on stdout.

Run with Debian's PyTorch (`apt-get install python3-torch python3-torchvision`), i.e. /usr/bin/python3:

    /usr/bin/python3 bench/peer/train_resnet18.py [--batch 32] [--steps 5] [--warmup 2] [--threads 2] [--channels-last]

Without python3-torchvision the same network is built in this script (BasicBlock, [2, 2, 2, 2], torchvision's
initialisation); the JSON says which.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    """torchvision.models.resnet18's layout and initialisation (kaiming fan_out convs, BN gamma 1 beta 0)."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._layer(64, 1)
        self.layer2 = self._layer(128, 2)
        self.layer3 = self._layer(256, 2)
        self.layer4 = self._layer(512, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _layer(self, planes, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        blocks = [BasicBlock(self.inplanes, planes, stride, downsample), BasicBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build_model(num_classes):
    """Random-weight ResNet-18 (seed 0 set by the caller) with fc replaced by a num_classes Linear."""
    try:
        import torchvision

        model = torchvision.models.resnet18()
        source = f"torchvision {torchvision.__version__} models.resnet18(), random init"
    except ImportError:
        model = ResNet18()
        source = "in-script ResNet-18 (torchvision layout; python3-torchvision missing), random init"
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model, source


def debian_versions():
    """Versions of Debian's packages, when this is Debian's PyTorch (torch.__version__ reads 1.13.0a0 there)."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "python3-torch", "python3-torchvision"],
                             capture_output=True, text=True, timeout=10).stdout
        return dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)
    except (OSError, subprocess.SubprocessError):
        return {}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--classes", type=int, default=8)
    ap.add_argument("--channels-last", action="store_true")
    args = ap.parse_args()
    if args.steps < 1 or args.warmup < 0 or args.batch < 1:
        ap.error("--steps >= 1, --warmup >= 0, --batch >= 1")

    torch.set_num_threads(args.threads)
    load_start = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "n/a"

    torch.manual_seed(0)
    model, source = build_model(args.classes)
    x = torch.randn(args.batch, 3, args.size, args.size)
    y = torch.randint(args.classes, (args.batch,))
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

    def step():
        # set_to_none=False: gradients zeroed in place, as TorchSharp's zero_grad does (and PyTorch 1.13's default).
        optimizer.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    losses = []
    for _ in range(args.warmup):
        losses.append(step())
    seconds = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        losses.append(step())
        seconds.append(time.perf_counter() - t0)

    ips = [args.batch / s for s in seconds]
    load_end = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "n/a"
    out = {
        "benchmark": "pytorch_resnet18_finetune_cpu",
        "argv": sys.argv[1:],
        "engine": "PyTorch",
        "layout": "channels-last" if args.channels_last else "nchw",
        "images_per_s_median": statistics.median(ips),
        "images_per_s_mean": args.batch * len(seconds) / sum(seconds),
        "step_seconds": seconds,
        "losses": losses,
        "config": {
            "model": source + ", seed 0, fc -> Linear(512, %d), train mode" % args.classes,
            "input": "torch.randn(batch,3,size,size) and torch.randint(classes) after the model, seed 0; the same batch every step",
            "optimizer": "AdamW lr 1e-3 weight_decay 1e-4 (betas 0.9/0.999, eps 1e-8), zero_grad(set_to_none=False)",
            "loss": "cross_entropy",
            "batch": args.batch,
            "size": args.size,
            "classes": args.classes,
            "warmup": args.warmup,
            "steps": args.steps,
            "channels_last": args.channels_last,
        },
        "versions": {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "debian_packages": debian_versions(),
            "mkldnn_available": torch.backends.mkldnn.is_available(),
            "mkldnn_enabled": torch.backends.mkldnn.enabled,
            "build": torch.__config__.show(),
        },
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "loadavg_start": load_start,
        "loadavg_end": load_end,
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
