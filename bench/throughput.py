"""Training throughput (images per second) of the networks Part 2 trains.

Each row times full training steps (forward, cross-entropy, backward, an SGD step with
momentum) of one network at the size the book trains it: the plain and residual CIFAR-style
networks of section 2.2's degradation experiment, and the small ResNet of section 2.4's
transfer-learning and augmentation experiments; for scale, ResNet-18 at 224x224 on a GPU.
The CPU column uses the threads torch is given; a GPU column appears where CUDA is present.

This is a benchmark, not a test: it prints a table and never fails on speed.
Usage: ``python -m bench.throughput [--quick] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from cnnlib.models import cifar_resnet, resnet18


@dataclass(frozen=True)
class Net:
    name: str
    build: Callable[[], torch.nn.Module]
    size: int
    batch: int
    classes: int = 10
    cpu: bool = True


def _nets() -> list[Net]:
    nets = []
    for depth in (8, 20, 32):         # section 2.2: 12x12 images, width 8
        for residual in (False, True):
            kind = "residual" if residual else "plain"
            nets.append(Net(f"2.2 {kind}-{depth}, 12x12",
                            lambda d=depth, r=residual: cifar_resnet(d, width=8, residual=r),
                            12, 64))
    nets.append(Net("2.4 resnet-8 (width 16), 24x24",
                    lambda: cifar_resnet(8, width=16, num_classes=10), 24, 32))
    nets.append(Net("resnet-18, 224x224", lambda: resnet18(num_classes=1000), 224, 64, 1000,
                    cpu=False))
    return nets


def images_per_second(net: Net, device: str, steps: int, warmup: int = 2) -> float:
    """Images per second of ``steps`` training steps on ``device``, after ``warmup`` steps."""
    torch.manual_seed(0)
    model = net.build().to(device).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(net.batch, 3, net.size, net.size, device=device)
    y = torch.randint(0, net.classes, (net.batch,), device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return net.batch * steps / (time.perf_counter() - start)


def run(quick: bool = False) -> list[dict]:
    """One row per network: ``{"network", "batch", "cpu", "cuda"}`` in images per second."""
    cuda = torch.cuda.is_available()
    rows = []
    for net in _nets():
        row = {"network": net.name, "batch": net.batch, "cpu": None, "cuda": None}
        if net.cpu:
            row["cpu"] = images_per_second(net, "cpu", 3 if quick else 10)
        if cuda:
            row["cuda"] = images_per_second(net, "cuda", 10 if quick else 50, warmup=5)
        if row["cpu"] is not None or row["cuda"] is not None:
            rows.append(row)
    return rows


def print_table(rows: list[dict]) -> None:
    cuda = any(r["cuda"] is not None for r in rows)
    head = ["network", "batch", f"CPU ({torch.get_num_threads()} threads) img/s"]
    if cuda:
        head.append(f"GPU ({torch.cuda.get_device_name(0)}) img/s")
    body = [[r["network"], str(r["batch"]),
             "-" if r["cpu"] is None else f"{r['cpu']:,.0f}"]
            + ([] if not cuda else ["-" if r["cuda"] is None else f"{r['cuda']:,.0f}"])
            for r in rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    print("Training throughput of Part 2's networks (forward + backward + SGD step)")
    for k, line in enumerate([head, *body]):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(line, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps per network")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows = run(quick=args.quick)
    print_table(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
