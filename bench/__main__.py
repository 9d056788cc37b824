"""Time cnnlib's conv2d against PyTorch on a fixed suite of layer shapes.

CPU: numpy_ops.conv2d forward and conv2d_backward on both of its kernels, the fast
one the ops use by default and the readable reference core (see
cnnlib/numpy_ops/conv.py), against torch's own CPU convolution on the same thread
count, as ratios (ours / torch; lower is better), with the fast kernel's GFLOP/s
against NumPy's own matrix product on this machine. With a CUDA GPU, the same suite
times torch_ops.conv2d on the GPU against cuDNN.

This is a benchmark, not a test: it prints a table and never fails on speed.
Usage: python -m bench [--repeats N] [--quick] [--json PATH] [--device cpu|cuda|all]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from dataclasses import asdict, dataclass

from bench import _blas

BLAS_CHOICE = _blas.choose_kernels()  # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cnnlib import numpy_ops, shapes, torch_ops  # noqa: E402
from cnnlib.numpy_ops import conv  # noqa: E402

KERNELS = [("fast", "fast"), ("reference", "reference")]   # (column label, conv kernel name)


@dataclass(frozen=True)
class Layer:
    name: str
    batch: int
    c_in: int
    c_out: int
    size: int
    f: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1

    @property
    def out_size(self) -> int:
        return shapes.output_size(self.size, self.f, self.padding, self.stride, self.dilation)

    @property
    def flops(self) -> float:
        """Multiply-adds x 2 of one forward pass."""
        return 2.0 * self.batch * self.c_out * self.out_size ** 2 * (self.c_in // self.groups) * \
            self.f ** 2

    def kwargs(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups)


SUITE = [
    Layer("resnet 3x3 @56", 8, 64, 64, 56, 3, padding=1),
    Layer("resnet 3x3 @28", 16, 128, 128, 28, 3, padding=1),
    Layer("resnet 3x3 @14", 32, 256, 256, 14, 3, padding=1),
    Layer("stem 7x7/2 @112", 8, 3, 64, 112, 7, stride=2, padding=3),
    Layer("lenet 5x5 @32", 128, 3, 8, 32, 5),
    Layer("1x1 256->64 @28", 16, 256, 64, 28, 1),
    Layer("dilated 3x3 d2 @28", 16, 64, 64, 28, 3, padding=2, dilation=2),
    Layer("depthwise 3x3 @28", 32, 128, 128, 28, 3, padding=1, groups=128),
]


def best_time(fn, repeats: int, sync=lambda: None) -> float:
    return best_times([fn], repeats, sync)[0]


def best_times(fns, repeats: int, sync=lambda: None, per_turn: int = 2) -> list[float]:
    """Best-of-``repeats`` seconds of each function, the contenders taking turns.

    Each turn runs one function once untimed, then ``per_turn`` timed calls. Turns
    expose the contenders to the same background load on a shared machine; the
    untimed call absorbs the hand-over, while the threads of the library that ran
    last (OpenBLAS, OpenMP) are still spinning and compete for the cores.
    """
    times = [[] for _ in fns]
    for _ in range(max(1, repeats // per_turn)):
        for fn, record in zip(fns, times):
            fn()
            sync()
            for _ in range(per_turn):
                start = time.perf_counter()
                fn()
                sync()
                record.append(time.perf_counter() - start)
    return [min(record) for record in times]


def warm_allocator() -> None:
    """Put the C allocator in the steady state a long-running program reaches, before any timing.

    glibc's ``malloc`` serves blocks above its *mmap threshold* (128 KiB at start) with fresh
    pages from the kernel, page faults and all, and raises that threshold (up to 32 MiB) the
    first time it frees such a block. Whatever ran before therefore decides how fast the
    next allocations are: torch's depthwise 3x3 ran in 16-17 ms before any large block had
    been freed and in about 3 ms after. Freeing one block just under 32 MiB here raises the
    threshold once, for every contender; other allocators ignore it.
    """
    np.empty((32 << 20) - (8 << 10), dtype=np.uint8)


def matmul_gflops(repeats: int) -> float:
    a = np.random.default_rng(0).standard_normal((1024, 1024), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((1024, 1024), dtype=np.float32)
    t = best_time(lambda: a @ b, repeats)
    return 2 * 1024 ** 3 / t / 1e9


def on_kernel(name: str, fn):
    """``fn`` run with numpy_ops' convolutions on the kernel ``name``."""
    def run():
        with conv.use_kernel(name):
            return fn()
    return run


def _entry(key: str, fwd: float, bwd: float, base_fwd: float, base_bwd: float) -> dict:
    return {f"{key}_fwd_ms": fwd * 1e3, f"{key}_fwd_ratio": fwd / base_fwd,
            f"{key}_bwd_ms": bwd * 1e3, f"{key}_bwd_ratio": bwd / base_bwd}


def cpu_row(layer: Layer, repeats: int) -> dict:
    """numpy_ops.conv2d and its backward on each kernel of KERNELS, and torch's CPU conv2d."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((layer.batch, layer.c_in, layer.size, layer.size), dtype=np.float32)
    w = rng.standard_normal((layer.c_out, layer.c_in // layer.groups, layer.f, layer.f),
                            dtype=np.float32)
    b = rng.standard_normal(layer.c_out, dtype=np.float32)
    kw = layer.kwargs()
    g = rng.standard_normal((layer.batch, layer.c_out, layer.out_size, layer.out_size),
                            dtype=np.float32)
    # Copies, not torch.from_numpy views: torch's kernels then get their own (aligned)
    # allocations, as they would in a torch program. On a view of a NumPy buffer some of
    # them (depthwise, dilated) ran several times slower or faster from run to run.
    xt, wt, bt, gt = (torch.tensor(a) for a in (x, w, b, g))
    pad, st, dil = [layer.padding] * 2, [layer.stride] * 2, [layer.dilation] * 2
    *ours_f, torch_f = best_times(
        [on_kernel(kernel, lambda: numpy_ops.conv2d(x, w, b, **kw)) for _, kernel in KERNELS]
        + [lambda: torch.nn.functional.conv2d(xt, wt, bt, **kw)], repeats)
    *ours_b, torch_b = best_times(
        [on_kernel(kernel, lambda: numpy_ops.conv2d_backward(g, x, w, b, **kw))
         for _, kernel in KERNELS]
        + [lambda: torch.ops.aten.convolution_backward(
            gt, xt, wt, [layer.c_out], st, pad, dil, False, [0, 0], layer.groups,
            [True, True, True])], repeats)
    row = dict(layer=layer.name, torch_fwd_ms=torch_f * 1e3, torch_bwd_ms=torch_b * 1e3)
    for (key, _), fwd, bwd in zip(KERNELS, ours_f, ours_b):
        row.update(_entry(key, fwd, bwd, torch_f, torch_b))
    row.update(fast_fwd_gflops=layer.flops / ours_f[0] / 1e9,
               fast_bwd_gflops=2 * layer.flops / ours_b[0] / 1e9)
    return row


def cuda_row(layer: Layer, repeats: int) -> dict:
    dev = "cuda"
    gen = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(layer.batch, layer.c_in, layer.size, layer.size, generator=gen).to(dev)
    w = torch.randn(layer.c_out, layer.c_in // layer.groups, layer.f, layer.f, generator=gen).to(dev)
    b = torch.randn(layer.c_out, generator=gen).to(dev)
    kw = layer.kwargs()
    sync = torch.cuda.synchronize
    with torch.no_grad():
        ours_f, ref_f = best_times([lambda: torch_ops.conv2d(x, w, b, **kw),
                                    lambda: torch.nn.functional.conv2d(x, w, b, **kw)],
                                   repeats, sync)
    g = torch.randn(layer.batch, layer.c_out, layer.out_size, layer.out_size, device=dev)
    pad, st, dil = [layer.padding] * 2, [layer.stride] * 2, [layer.dilation] * 2
    ours_b, ref_b = best_times([
        lambda: torch_ops.conv2d_backward(g, x, w, b, **kw),
        lambda: torch.ops.aten.convolution_backward(
            g, x, w, [layer.c_out], st, pad, dil, False, [0, 0], layer.groups,
            [True, True, True])], repeats, sync)
    row = dict(layer=layer.name, cudnn_fwd_ms=ref_f * 1e3, cudnn_bwd_ms=ref_b * 1e3)
    row.update(_entry("torch_ops", ours_f, ours_b, ref_f, ref_b))
    row.update(torch_ops_fwd_gflops=layer.flops / ours_f / 1e9)
    return row


def training_times() -> dict:
    """Section 1.8's two training runs, timed end to end (target: LeNet-5 under 60 s here)."""
    from cnnlib import data
    from cnnlib.part1 import numpy_cnn
    from cnnlib.models import LeNet5
    from cnnlib.train import evaluate, fit, random_shift

    (x_train, y_train), _, (x_test, y_test) = data.digits(val_fraction=0)
    torch.manual_seed(0)
    model = LeNet5(in_channels=1)
    start = time.perf_counter()
    fit(model, (x_train, y_train), epochs=15, lr=2e-3, batch_size=16, schedule="cosine",
        augment=random_shift(2), seed=0, progress=False)
    lenet_s = time.perf_counter() - start
    lenet_acc = evaluate(model, (x_test, y_test))["acc"]
    start = time.perf_counter()
    params, _ = numpy_cnn.train(x_train, y_train, x_test, y_test, epochs=8, batch_size=32,
                                lr=2e-3, seed=0, progress=False)
    numpy_s = time.perf_counter() - start
    numpy_acc = float(np.mean(numpy_cnn.predict(params, x_test) == y_test))
    print("\nTraining, as in section 1.8 (digits, 32x32):")
    print(f"  LeNet-5 in torch:   {lenet_s:6.1f} s, test accuracy {lenet_acc:.2%}  "
          f"(target: >= 98% in under 60 s)")
    print(f"  NumPy-only CNN:     {numpy_s:6.1f} s, test accuracy {numpy_acc:.2%}  "
          f"(target: >= 95%)")
    return dict(lenet_seconds=lenet_s, lenet_accuracy=float(lenet_acc), numpy_seconds=numpy_s,
                numpy_accuracy=numpy_acc)


def geomean(values) -> float:
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values))


def print_table(title: str, rows: list[dict], contenders: list[str], baseline: tuple[str, str],
                gflops: str, peak: float | None = None):
    """One line per layer: forward, then backward, each as the baseline's time followed by
    every contender's time and its ratio to the baseline; then the fast contender's GFLOP/s
    (row key ``gflops``, and as a share of NumPy's matmul ``peak``). The last line holds the
    geometric mean of each ratio column."""
    label, base = baseline
    columns = []                               # (header, width, row key)
    for p in ("fwd", "bwd"):
        columns.append((f"{label} ms", 10, f"{base}_{p}_ms"))
        for key in contenders:
            columns += [(f"{key} ms", max(10, len(key) + 4), f"{key}_{p}_ms"),
                        ("ratio", 7, f"{key}_{p}_ratio")]
    half = sum(width for _, width, _ in columns) // 2
    print(f"\n{title}")
    print(f"{'':<21}{' forward ':-^{half - 1}} {' backward ':-^{half - 1}}")
    head = (f"{'layer':<20}" + "".join(f"{h:>{w}}" for h, w, _ in columns)
            + f"{'fwd GF/s':>10}" + (f"{'% matmul':>10}" if peak else ""))
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['layer']:<20}" + "".join(f"{r[k]:>{w}.2f}" for _, w, k in columns)
              + f"{r[gflops]:>10.1f}" + (f"{100 * r[gflops] / peak:>9.0f}%" if peak else ""))
    print("-" * len(head))
    print(f"{'geometric mean':<20}" + "".join(
        f"{geomean(r[k] for r in rows):>{w}.2f}" if h == "ratio" else " " * w
        for h, w, k in columns))
    for key in contenders:
        print(f"{key} / {label}: forward {geomean(r[f'{key}_fwd_ratio'] for r in rows):.2f}x, "
              f"backward {geomean(r[f'{key}_bwd_ratio'] for r in rows):.2f}x (geometric means)")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="first three layers, 2 repeats")
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    suite = SUITE[:3] if args.quick else SUITE
    repeats = 2 if args.quick else args.repeats
    results = {"machine": platform.machine(), "torch": torch.__version__,
               "numpy": np.__version__, "threads": torch.get_num_threads(),
               "openblas_kernels": _blas.kernel_in_use(), "openblas_choice": BLAS_CHOICE,
               "suite": [asdict(layer) for layer in suite]}
    if args.device in ("cpu", "all"):
        warm_allocator()
        peak = matmul_gflops(repeats)
        print(f"CPU: {torch.get_num_threads()} torch threads; NumPy float32 1024x1024 matmul: "
              f"{peak:.1f} GFLOP/s")
        print(f"OpenBLAS kernels: {_blas.kernel_in_use()}; {BLAS_CHOICE}")
        rows = [cpu_row(layer, repeats) for layer in suite]
        print_table("numpy_ops.conv2d on its fast and reference kernels vs torch CPU conv2d "
                    f"(float32, best of {repeats}; ratio = ours / torch)", rows,
                    [key for key, _ in KERNELS], ("torch", "torch"), "fast_fwd_gflops", peak)
        print("targets for the fast kernel: forward <= 1.5x, backward <= 2x (geometric means)")
        results.update(cpu=rows, matmul_gflops=peak)
        if not args.quick:
            results.update(training=training_times())
    if args.device in ("cuda", "all"):
        if torch.cuda.is_available():
            print(f"\nGPU: {torch.cuda.get_device_name(0)}")
            rows = [cuda_row(layer, repeats) for layer in suite]
            print_table(f"torch_ops.conv2d on CUDA vs cuDNN (float32, best of {repeats})", rows,
                        ["torch_ops"], ("cuDNN", "cudnn"), "torch_ops_fwd_gflops")
            results.update(cuda=rows, gpu=torch.cuda.get_device_name(0))
        else:
            print("\nGPU: none (CUDA not available); the GPU table is skipped.")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return results


if __name__ == "__main__":
    main()
