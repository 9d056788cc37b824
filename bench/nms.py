"""Time greedy non-max suppression (section 3.7) on scenes of many boxes.

``numpy_ops.nms`` and its torch twin on N random boxes (default 1,000, 10,000 and 30,000), seeded:
centres uniform over a 1,000-pixel image, sides 10-100 pixels, so that a box overlaps a few
others as in a detector's raw output. Also ``batched_nms`` over 20 classes. The issue's target is
the NumPy ``nms`` on 10,000 boxes in under 50 ms on this machine's CPU. With CUDA, the twin on
the GPU too.

This is a benchmark, not a test: it prints a table and never fails on speed.
Usage: python -m bench.nms [--sizes 1000 10000] [--threshold 0.5] [--repeats N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from cnnlib import numpy_ops, torch_ops

TARGET_MS = 50.0          # NumPy nms on 10,000 boxes


def random_boxes(n: int, seed: int = 0):
    """``n`` 'xyxy' boxes in a 1000 x 1000 image with scores and 20 class labels (float32)."""
    rng = np.random.default_rng(seed)
    centre = rng.uniform(0, 1000, (n, 2))
    half = rng.uniform(5, 50, (n, 2))
    boxes = np.concatenate([centre - half, centre + half], axis=1).astype(np.float32)
    return boxes, rng.random(n, dtype=np.float32), rng.integers(0, 20, n)


def best_ms(fn, repeats: int, sync=lambda: None) -> float:
    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


def row(n: int, threshold: float, repeats: int) -> dict:
    boxes, scores, labels = random_boxes(n)
    kept = numpy_ops.nms(boxes, scores, threshold)
    tb, ts, tl = torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(labels)
    out = dict(boxes=n, kept=int(len(kept)),
               numpy_ms=best_ms(lambda: numpy_ops.nms(boxes, scores, threshold), repeats),
               numpy_batched_ms=best_ms(
                   lambda: numpy_ops.batched_nms(boxes, scores, labels, threshold), repeats),
               torch_cpu_ms=best_ms(lambda: torch_ops.nms(tb, ts, threshold), repeats))
    if torch.cuda.is_available():
        gb, gs = tb.cuda(), ts.cuda()
        out["torch_cuda_ms"] = best_ms(lambda: torch_ops.nms(gb, gs, threshold), repeats,
                                       torch.cuda.synchronize)
    return out


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.nms", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 30000])
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    rows = [row(n, args.threshold, args.repeats) for n in args.sizes]
    cuda = torch.cuda.is_available()
    print(f"non-max suppression, IoU threshold {args.threshold}, best of {args.repeats} (ms)")
    print(f"{'boxes':>8}{'kept':>8}{'numpy nms':>12}{'numpy batched':>15}{'torch cpu':>11}"
          + (f"{'torch cuda':>12}" if cuda else ""))
    for r in rows:
        print(f"{r['boxes']:>8}{r['kept']:>8}{r['numpy_ms']:>12.1f}{r['numpy_batched_ms']:>15.1f}"
              f"{r['torch_cpu_ms']:>11.1f}" + (f"{r['torch_cuda_ms']:>12.2f}" if cuda else ""))
    at_10k = [r for r in rows if r["boxes"] == 10000]
    if at_10k:
        ms = at_10k[0]["numpy_ms"]
        print(f"target: numpy nms on 10,000 boxes under {TARGET_MS:.0f} ms: {ms:.1f} ms, "
              f"{'met' if ms < TARGET_MS else 'not met'}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return rows


if __name__ == "__main__":
    main()
