#!/usr/bin/env python3
"""Time training steps of Fashion-MNIST's SimpleCNN in PyTorch, fp32 and PACT W8A8.

The PACT W8A8 variant is written the way the original (Python) QuantLab wrote
fake quantization: composed tensor ops (clamp, round, divide) and the detach
trick y = x + (q(x) - x).detach(), which makes the rounding's gradient the
identity (straight-through estimator). It is the baseline the C++ fused
kernels are measured against (bench/qat_step); run it with Debian's
python3-torch, the same LibTorch 1.13 the C++ build links.

The network is plugins/fashionmnist/SimpleCnn.cpp with its default params
(channels [32, 64], hidden 256, dropout 0.25). Prints one JSON line per variant.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 128
CLASSES = 10
IMAGE_SIDE = 28
WEIGHT_LEVELS = 127   # symmetric 8-bit: integers -127 .. 127
ACTIVATION_STEPS = 255  # unsigned 8-bit: integers 0 .. 255
PACT_ALPHA_INIT = 6.0


def quantize_weight_per_channel(weight, scale):
    """Symmetric 8-bit per output channel with the layer's fixed scale."""
    quantized = torch.clamp(torch.round(weight / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS) * scale
    return weight + (quantized - weight).detach()


def max_scale(weight):
    """max|w| / 127 per output channel, shaped to broadcast over the weight."""
    with torch.no_grad():
        scale = weight.abs().flatten(1).max(dim=1).values.clamp(min=1e-8) / WEIGHT_LEVELS
        return scale.view(-1, *([1] * (weight.dim() - 1)))


class WeightScale:
    """Set from the first weight it sees and kept, as the C++ recipe's
    `uniform` quantizer with init: max does (a buffer in the original's
    layers, computed on the first forward)."""

    def scale_for(self, weight):
        if not hasattr(self, "scale"):
            self.scale = max_scale(weight)
        return self.scale


class PactActivation(nn.Module):
    """Unsigned 8-bit PACT: clamp to [0, alpha] (alpha learned), D = alpha / 255, round."""

    def __init__(self):
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor([PACT_ALPHA_INIT]))

    def forward(self, x):
        # Clamping against the tensor alpha gives alpha the PACT gradient:
        # 1 where x >= alpha, 0 elsewhere.
        clipped = torch.clamp(x, min=torch.zeros_like(self.alpha), max=self.alpha)
        step = (self.alpha / ACTIVATION_STEPS).detach()
        quantized = torch.round(clipped / step) * step
        return clipped + (quantized - clipped).detach()


class QuantConv2d(nn.Conv2d, WeightScale):
    def forward(self, x):
        return self._conv_forward(x, quantize_weight_per_channel(self.weight, self.scale_for(self.weight)), self.bias)


class QuantLinear(nn.Linear, WeightScale):
    def forward(self, x):
        return F.linear(x, quantize_weight_per_channel(self.weight, self.scale_for(self.weight)), self.bias)


class SimpleCnn(nn.Module):
    def __init__(self, quantized, channels=(32, 64), hidden=256, dropout=0.25):
        super().__init__()
        conv = QuantConv2d if quantized else nn.Conv2d
        linear = QuantLinear if quantized else nn.Linear
        activation = PactActivation if quantized else nn.Identity
        self.conv1 = conv(1, channels[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels[0])
        self.act1 = activation()
        self.conv2 = conv(channels[0], channels[1], 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels[1])
        self.act2 = activation()
        self.dropout = nn.Dropout(dropout)
        side = IMAGE_SIDE // 4
        self.fc1 = linear(channels[1] * side * side, hidden)
        self.act3 = activation()
        self.fc2 = linear(hidden, CLASSES)

    def forward(self, x):
        x = F.max_pool2d(self.act1(F.relu(self.bn1(self.conv1(x)))), 2)
        x = F.max_pool2d(self.act2(F.relu(self.bn2(self.conv2(x)))), 2)
        x = self.dropout(x.flatten(1))
        x = self.dropout(self.act3(F.relu(self.fc1(x))))
        return self.fc2(x)


class Trainee:
    """One variant's network, optimizer and a fixed set of synthetic batches."""

    def __init__(self, variant, seed, batches=4):
        torch.manual_seed(seed)
        self.variant = variant
        self.model = SimpleCnn(quantized=(variant == "pact-w8a8"))
        self.model.train()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                                         weight_decay=5e-4)
        generator = torch.Generator().manual_seed(seed + 1)
        self.batches = [(torch.randn(BATCH, 1, IMAGE_SIDE, IMAGE_SIDE, generator=generator),
                         torch.randint(0, CLASSES, (BATCH,), generator=generator)) for _ in range(batches)]
        self.steps = 0
        self.seconds = []

    def step(self):
        images, labels = self.batches[self.steps % len(self.batches)]
        self.steps += 1
        start = time.perf_counter()
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(images), labels)
        loss.backward()
        self.optimizer.step()
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="intra-op threads")
    parser.add_argument("--steps", type=int, default=100, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps per variant first")
    parser.add_argument("--round", type=int, default=10, help="steps per round; variants alternate by round")
    parser.add_argument("--variant", choices=["fp32", "pact-w8a8", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.threads < 1 or args.steps < 1 or args.warmup < 0 or args.round < 1:
        parser.error("--threads, --steps and --round must be positive, --warmup not negative")

    torch.set_num_threads(args.threads)
    variants = ["fp32", "pact-w8a8"] if args.variant == "both" else [args.variant]
    trainees = [Trainee(variant, args.seed) for variant in variants]
    for trainee in trainees:
        for _ in range(args.warmup):
            trainee.step()
    # Alternating rounds spread slow drift of the machine over all variants.
    while any(len(t.seconds) < args.steps for t in trainees):
        for trainee in trainees:
            for _ in range(min(args.round, args.steps - len(trainee.seconds))):
                trainee.seconds.append(trainee.step())

    for trainee in trainees:
        print(json.dumps({
            "impl": "python", "variant": trainee.variant, "threads": args.threads, "batch": BATCH,
            "steps": len(trainee.seconds), "warmup": args.warmup,
            "median_s": statistics.median(trainee.seconds), "mean_s": statistics.fmean(trainee.seconds),
            "torch": torch.__version__,
        }))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
