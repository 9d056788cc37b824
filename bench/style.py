"""Time one step of neural style transfer (Part 5) on the CPU, and on a CUDA GPU if present.

One step is what :func:`cnnlib.vision.style.style_transfer` repeats: the extractor's forward
pass on the generated image G, the content, style and total-variation costs
(:func:`cnnlib.vision.style.style_objective`), the backward pass to the pixels, and one
optimiser update (Adam, or L-BFGS without line search). It is timed for the book's two
extractors, the random multi-scale filters and the small VGG trained in the book (its
architecture, with average pooling; the weights do not change the time), at the sizes the
notebooks use, and for a full-size VGG-19 (random weights) as a reader with ImageNet weights
would run it. The Gram matrix alone is timed in the NumPy reference and in torch.

This is a benchmark, not a test: it prints a table and never fails on speed.
Usage: python -m bench.style [--repeats N] [--sizes 64 96 128] [--device cpu|cuda|all]
[--no-vgg19] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np
import torch

from cnnlib import numpy_ops, torch_ops
from cnnlib.models import VGG
from cnnlib.vision.extractors import TRAINED_CONFIG, average_pooling, random_extractor
from cnnlib.vision.style import style_objective


def _extractors(include_vgg19: bool):
    small = VGG(config=TRAINED_CONFIG, num_classes=12, batch_norm=True, hidden=64, pool_size=1,
                dropout=0.0)
    out = {"random multi-scale (32 x 5 scales)": random_extractor(),
           "book VGG (16-32-64-128, avg pool)": average_pooling(small)}
    if include_vgg19:
        out["VGG-19 (full size)"] = average_pooling(VGG(19))
    return out


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_step(extractor, size: int, optimizer: str, device, repeats: int) -> float:
    """Median seconds of one optimisation step (after two warm-up steps)."""
    extractor = extractor.to(device)
    g = torch.Generator().manual_seed(0)
    content = torch.rand(1, 3, size, size, generator=g).to(device)
    style = torch.rand(1, 3, size, size, generator=g).to(device)
    objective = style_objective(extractor, content, style, alpha=1.0, beta=10.0, tv_weight=1e-5)
    image = content.clone().requires_grad_(True)
    if optimizer == "adam":
        opt = torch.optim.Adam([image], lr=0.02)
    else:
        opt = torch.optim.LBFGS([image], lr=1.0, max_iter=1, history_size=20,
                                tolerance_grad=0.0, tolerance_change=0.0)

    def closure():
        opt.zero_grad(set_to_none=True)
        loss, _ = objective(image)
        loss.backward()
        return loss

    times = []
    for i in range(repeats + 2):
        _sync(device)
        start = time.perf_counter()
        opt.step(closure)
        with torch.no_grad():
            image.clamp_(0, 1)
        _sync(device)
        if i >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_gram(size: int, channels: int, repeats: int) -> dict:
    """Seconds of gram_matrix on (channels, size, size) float32: NumPy reference and torch."""
    a = np.random.default_rng(0).standard_normal((1, channels, size, size)).astype(np.float32)
    t = torch.from_numpy(a)
    out = {}
    for name, fn in (("numpy_ops", lambda: numpy_ops.gram_matrix(a)),
                     ("torch_ops", lambda: torch_ops.gram_matrix(t))):
        fn()
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        out[name] = statistics.median(samples)
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.style", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 96, 128])
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--no-vgg19", action="store_true", help="skip the full-size VGG-19")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    devices = [torch.device("cpu")] if args.device in ("cpu", "all") else []
    if args.device in ("cuda", "all") and torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    elif args.device == "cuda":
        print("no CUDA device: nothing to time")
    print(f"style-transfer step: torch {torch.__version__}, {platform.machine()}, "
          f"{torch.get_num_threads()} CPU threads")
    rows = []
    for device in devices:
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
        print(f"\n{name}: median milliseconds per step ({args.repeats} repeats)")
        print(f"{'extractor':38} {'size':>5} {'adam':>9} {'lbfgs':>9}")
        for ex_name, extractor in _extractors(not args.no_vgg19).items():
            sizes = args.sizes if "VGG-19" not in ex_name else [max(args.sizes)]
            for size in sizes:
                ms = {opt: 1000 * time_step(extractor, size, opt, device, args.repeats)
                      for opt in ("adam", "lbfgs")}
                rows.append(dict(device=name, extractor=ex_name, size=size, **ms))
                print(f"{ex_name:38} {size:>5} {ms['adam']:>9.1f} {ms['lbfgs']:>9.1f}",
                      flush=True)
    gram = {size: time_gram(size, 32, args.repeats) for size in args.sizes}
    print("\ngram_matrix of 32 channels (ms): " + ", ".join(
        f"{s}x{s}: numpy {1000 * g['numpy_ops']:.2f}, torch {1000 * g['torch_ops']:.2f}"
        for s, g in gram.items()))
    result = {"steps": rows, "gram_ms": {str(s): {k: 1000 * v for k, v in g.items()}
                                         for s, g in gram.items()}}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
