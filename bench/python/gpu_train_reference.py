#!/usr/bin/env python3
"""PyTorch twin of bench/gpu_train/GpuTrainBench.cpp: training-step images/s
of ResNet-18 on synthetic ImageNet-shaped batches, fp32 and LSQ W4A4 QAT, AMP
off and bf16.

The network is the ImageNet plugin's ResNet (plugins/imagenet/ResNet.cpp,
BasicBlock.cpp: torchvision's layout, a ReLU module per use), written here
without torchvision. LSQ W4A4 follows configs/imagenet/ResNet.lsq-w4a4.yaml:
weights 4-bit per output channel (stem conv1 and fc 8-bit per channel), a
4-bit unsigned LSQ after every ReLU. Fake quantization is COMPOSED of PyTorch
ops, as a Python QAT code base writes it (Esser et al. 2020):
  s = grad_scale(step, g)            value step, gradient g * d/dstep
  q = round_pass(clamp(x / s, Qn, Qp)) * s, round_pass(v) = (v.round() - v).detach() + v
with g = 1 / sqrt(elements per step * Qp) (quantlib's default), the step a
learned parameter initialised to 2 mean|x| / sqrt(Qp) from the first tensor
it sees. SGD as the configs (momentum 0.9; LSQ: nesterov, weight decay 5e-5;
fp32: weight decay 1e-4). Timing: rounds of --round steps between two CUDA
synchronisations, trainees alternating, median round; warm-up first.

Prints a table and, with --json FILE, one JSON line per trainee.
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# --- LSQ, composed ---------------------------------------------------------

def grad_scale(x, scale):
    y = x * scale
    return (x - y).detach() + y


def round_pass(x):
    return (x.round() - x).detach() + x


class Lsq(nn.Module):
    """LSQ fake quantizer; per_channel: one step per slice along dim 0."""

    def __init__(self, bits, signed, channels=None):
        super().__init__()
        if signed:
            self.qn, self.qp = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        else:
            self.qn, self.qp = 0, 2 ** bits - 1
        self.step = nn.Parameter(torch.ones(channels if channels else 1))
        self.per_channel = channels is not None
        self.initialised = False

    def forward(self, x):
        if not self.initialised:
            with torch.no_grad():
                if self.per_channel:
                    magnitude = x.detach().abs().flatten(1).mean(1)
                else:
                    magnitude = x.detach().abs().mean().reshape(1)
                self.step.copy_((2 * magnitude / math.sqrt(self.qp)).clamp_min(1e-8))
            self.initialised = True
        step = self.step.view(-1, *([1] * (x.dim() - 1))) if self.per_channel else self.step
        g = 1.0 / math.sqrt(x.numel() / self.step.numel() * self.qp)
        s = grad_scale(step, g)
        return round_pass(torch.clamp(x / s, self.qn, self.qp)) * s


class QConv2d(nn.Conv2d):
    def __init__(self, *args, weight_bits=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.weight_quantizer = Lsq(weight_bits, True, self.out_channels) if weight_bits else None

    def forward(self, x):
        w = self.weight_quantizer(self.weight) if self.weight_quantizer else self.weight
        return self._conv_forward(x, w, self.bias)


class QLinear(nn.Linear):
    def __init__(self, *args, weight_bits=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.weight_quantizer = Lsq(weight_bits, True, self.out_features) if weight_bits else None

    def forward(self, x):
        w = self.weight_quantizer(self.weight) if self.weight_quantizer else self.weight
        return F.linear(x, w, self.bias)


class QReLU(nn.Module):
    """ReLU, then (QAT) a 4-bit unsigned LSQ on its output."""

    def __init__(self, act_bits=None):
        super().__init__()
        self.quantizer = Lsq(act_bits, False) if act_bits else None

    def forward(self, x):
        x = F.relu(x)
        return self.quantizer(x) if self.quantizer else x


# --- ResNet-18 (the plugin's layout) --------------------------------------

class BasicBlock(nn.Module):
    def __init__(self, in_channels, channels, stride, wbits, abits):
        super().__init__()
        self.conv1 = QConv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False, weight_bits=wbits)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu1 = QReLU(abits)
        self.conv2 = QConv2d(channels, channels, 3, padding=1, bias=False, weight_bits=wbits)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                QConv2d(in_channels, channels, 1, stride=stride, bias=False, weight_bits=wbits),
                nn.BatchNorm2d(channels))
        self.relu2 = QReLU(abits)

    def forward(self, x):
        identity = self.downsample(x) if self.downsample is not None else x
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + identity)


class ResNet18(nn.Module):
    def __init__(self, classes, qat):
        super().__init__()
        wbits, abits, edge_bits = (4, 4, 8) if qat else (None, None, None)
        self.conv1 = QConv2d(3, 64, 7, stride=2, padding=3, bias=False, weight_bits=edge_bits)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = QReLU(abits)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        layers = []
        in_channels = 64
        for stage, channels in enumerate([64, 128, 256, 512]):
            stride = 1 if stage == 0 else 2
            blocks = [BasicBlock(in_channels, channels, stride, wbits, abits),
                      BasicBlock(channels, channels, 1, wbits, abits)]
            layers.append(nn.Sequential(*blocks))
            in_channels = channels
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = QLinear(512, classes, weight_bits=edge_bits)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# --- timing ------------------------------------------------------------------

def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Trainee:
    def __init__(self, variant, amp, args, device):
        self.variant, self.amp, self.device = variant, amp, device
        torch.manual_seed(1)
        qat = variant == "lsq-w4a4"
        self.network = ResNet18(args.classes, qat).to(device).train()
        if qat:
            self.optimizer = torch.optim.SGD(self.network.parameters(), lr=0.01, momentum=0.9,
                                             weight_decay=0.00005, nesterov=True)
        else:
            self.optimizer = torch.optim.SGD(self.network.parameters(), lr=0.1, momentum=0.9,
                                             weight_decay=0.0001)
        generator = torch.Generator().manual_seed(2)
        self.batches = [(torch.randn(args.batch, 3, args.image, args.image, generator=generator).to(device),
                         torch.randint(0, args.classes, (args.batch,), generator=generator).to(device))
                        for _ in range(2)]
        self.steps = 0
        self.round_seconds = []
        self.timed_steps = 0
        self.loss = None

    def name(self):
        return f"{self.variant} amp={self.amp}"

    def step(self):
        images, labels = self.batches[self.steps % len(self.batches)]
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp == "bf16"):
            loss = F.cross_entropy(self.network(images), labels)
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        self.loss = loss

    def timed_round(self, count):
        synchronize(self.device)
        start = time.perf_counter()
        for _ in range(count):
            self.step()
        synchronize(self.device)
        self.round_seconds.append((time.perf_counter() - start) / count)
        self.timed_steps += count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--amp", default="off,bf16", help="comma-separated: off, bf16")
    parser.add_argument("--variants", default="fp32,lsq-w4a4", help="comma-separated: fp32, lsq-w4a4")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--image", type=int, default=224)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--round", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (default: PyTorch's)")
    parser.add_argument("--no-cudnn-benchmark", action="store_true")
    parser.add_argument("--json", default="", help="also write one JSON line per trainee here")
    args = parser.parse_args()
    amps = args.amp.split(",")
    variants = args.variants.split(",")
    for amp in amps:
        if amp not in ("off", "bf16"):
            parser.error(f"--amp: {amp} is not off or bf16")
    for variant in variants:
        if variant not in ("fp32", "lsq-w4a4"):
            parser.error(f"--variants: {variant} is not fp32 or lsq-w4a4")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"gpu_train_reference: --device {args.device}: torch {torch.__version__} sees no CUDA device",
              file=sys.stderr)
        return 2
    torch.backends.cudnn.benchmark = not args.no_cudnn_benchmark

    trainees = [Trainee(v, a, args, device) for v in variants for a in amps]
    print(f"ResNet-18 training step (PyTorch, composed LSQ), batch {args.batch}, {args.image}x{args.image}, "
          f"{args.classes} classes, device {device}, torch {torch.__version__}, {torch.get_num_threads()} thread(s); "
          f"{args.warmup} warm-up + {args.steps} timed steps per trainee in rounds of {args.round}", flush=True)
    for trainee in trainees:
        for _ in range(args.warmup):
            trainee.step()
        synchronize(device)
    left = True
    while left:
        left = False
        for trainee in trainees:
            count = min(args.round, args.steps - trainee.timed_steps)
            if count > 0:
                trainee.timed_round(count)
            left = left or trainee.timed_steps < args.steps

    print("\n| impl    | variant  | amp  | images/s | ms/step | steps | loss   |")
    print("| ------- | -------- | ---- | -------: | ------: | ----: | -----: |")
    lines = []
    for trainee in trainees:
        step_s = statistics.median(trainee.round_seconds)
        loss = float(trainee.loss.item())
        print(f"| pytorch | {trainee.variant:<8} | {trainee.amp:<4} | {args.batch / step_s:>8.1f} | "
              f"{step_s * 1e3:>7.2f} | {trainee.timed_steps:>5} | {loss:>6.3f} |")
        lines.append(json.dumps({"impl": "pytorch", "variant": trainee.variant, "amp": trainee.amp,
                                 "device": str(device), "batch": args.batch, "image": args.image,
                                 "images_per_s": round(args.batch / step_s, 3), "step_ms": round(step_s * 1e3, 4),
                                 "steps": trainee.timed_steps, "loss": round(loss, 5),
                                 "torch": torch.__version__}))
    if args.json:
        with open(args.json, "w") as out:
            out.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
