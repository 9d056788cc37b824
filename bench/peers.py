"""numpy_ops.conv2d against the NumPy convolutions students and peers use, and against torch.

Three peers, each written here from its published algorithm, forward and backward:

- ``strided``: the ``as_strided`` approach of CS231n's ``fast_layers.py``. A strided view
  (C, kh, kw, N, H_out, W_out) of the padded input is copied once into the patch matrix of the
  whole batch, and one matrix product gives every output. The backward multiplies by the same
  matrix and adds each tap's columns back into the input gradient (col2im).
- ``einsum``: ``numpy.lib.stride_tricks.sliding_window_view`` gives every window as a view, and
  ``numpy.einsum`` contracts it with the filters. The input gradient is the full correlation of
  the zero-stuffed output gradient with the flipped filters, by the same two calls.
- ``im2col``: the patch matrix gathered by fancy indexing with precomputed row, column and
  channel index arrays (CS231n's ``im2col_indices``); the backward scatters with
  ``numpy.add.at``.

They handle what those sources handle: square stride and padding, no groups, no dilation, so
they run on the layers of the bench suite that need nothing else. For each layer the table gives
each contender's time over torch's CPU convolution (forward, and backward for the input and
weight gradients) and its peak memory beyond its result, traced by ``tracemalloc`` (NumPy reports
its allocations there; torch's allocator does not, so torch has no memory column).

This is a benchmark, not a test: it prints a table and never fails on speed.
Usage: python -m bench.peers [--repeats N] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc

from bench import _blas

BLAS_CHOICE = _blas.choose_kernels()  # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402
from numpy.lib.stride_tricks import as_strided, sliding_window_view  # noqa: E402

from cnnlib import numpy_ops  # noqa: E402


def _pad(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x


def _out(size, f, stride, pad):
    return (size + 2 * pad - f) // stride + 1


def _crop(xp, pad):
    return xp[:, :, pad:xp.shape[2] - pad, pad:xp.shape[3] - pad] if pad else xp


# --- the as_strided peer (CS231n fast_layers) ----------------------------------------------------

def _strided_cols(xp, kh, kw, stride):
    n, c, hp, wp = xp.shape
    oh, ow = (hp - kh) // stride + 1, (wp - kw) // stride + 1
    sn, sc, sh, sw = xp.strides
    view = as_strided(xp, (c, kh, kw, n, oh, ow), (sc, sh, sw, sn, stride * sh, stride * sw))
    return np.ascontiguousarray(view).reshape(c * kh * kw, n * oh * ow), oh, ow


def strided_forward(x, w, b, stride=1, pad=0):
    o = w.shape[0]
    cols, oh, ow = _strided_cols(_pad(x, pad), w.shape[2], w.shape[3], stride)
    out = w.reshape(o, -1) @ cols + b[:, None]
    return np.ascontiguousarray(out.reshape(o, x.shape[0], oh, ow).transpose(1, 0, 2, 3))


def strided_backward(g, x, w, b, stride=1, pad=0):
    o, c, kh, kw = w.shape
    xp = _pad(x, pad)
    cols, oh, ow = _strided_cols(xp, kh, kw, stride)
    g2 = g.transpose(1, 0, 2, 3).reshape(o, -1)
    dw = (g2 @ cols.T).reshape(w.shape)
    dcols = (w.reshape(o, -1).T @ g2).reshape(c, kh, kw, x.shape[0], oh, ow)
    dxp = np.zeros_like(xp)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += \
                dcols[:, i, j].transpose(1, 0, 2, 3)
    return _crop(dxp, pad), dw, g.sum(axis=(0, 2, 3))


# --- the sliding_window_view + einsum peer -------------------------------------------------------

def einsum_forward(x, w, b, stride=1, pad=0):
    win = sliding_window_view(_pad(x, pad), w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,ocij->nohw", win, w, optimize=True) + b[None, :, None, None]


def einsum_backward(g, x, w, b, stride=1, pad=0):
    o, c, kh, kw = w.shape
    xp = _pad(x, pad)
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    dw = np.einsum("nchwij,nohw->ocij", win, g, optimize=True)
    n, _, oh, ow = g.shape
    # The zero-stuffed gradient, padded so its full correlation with the flipped filters
    # covers the whole padded input.
    stuffed = np.zeros((n, o, xp.shape[2] + kh - 1, xp.shape[3] + kw - 1), g.dtype)
    stuffed[:, :, kh - 1:kh - 1 + stride * oh:stride, kw - 1:kw - 1 + stride * ow:stride] = g
    gwin = sliding_window_view(stuffed, (kh, kw), axis=(2, 3))
    dxp = np.einsum("nohwij,ocij->nchw", gwin, w[:, :, ::-1, ::-1], optimize=True)
    return _crop(dxp, pad), dw, g.sum(axis=(0, 2, 3))


# --- the fancy-indexing im2col peer (CS231n im2col_indices) --------------------------------------

def _indices(c, h, w, kh, kw, stride, pad):
    oh, ow = _out(h, kh, stride, pad), _out(w, kw, stride, pad)
    rows = np.tile(np.repeat(np.arange(kh), kw), c)[:, None] + \
        stride * np.repeat(np.arange(oh), ow)[None, :]
    cols = np.tile(np.arange(kw), kh * c)[:, None] + stride * np.tile(np.arange(ow), oh)[None, :]
    chans = np.repeat(np.arange(c), kh * kw)[:, None]
    return chans, rows, cols, oh, ow


def im2col_forward(x, w, b, stride=1, pad=0):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    k, i, j, oh, ow = _indices(c, h, wd, kh, kw, stride, pad)
    cols = _pad(x, pad)[:, k, i, j].transpose(1, 2, 0).reshape(c * kh * kw, -1)
    out = w.reshape(o, -1) @ cols + b[:, None]
    return out.reshape(o, oh, ow, n).transpose(3, 0, 1, 2)


def im2col_backward(g, x, w, b, stride=1, pad=0):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    k, i, j, oh, ow = _indices(c, h, wd, kh, kw, stride, pad)
    xp = _pad(x, pad)
    cols = xp[:, k, i, j].transpose(1, 2, 0).reshape(c * kh * kw, -1)
    g2 = g.transpose(1, 2, 3, 0).reshape(o, -1)
    dw = (g2 @ cols.T).reshape(w.shape)
    dcols = (w.reshape(o, -1).T @ g2).reshape(c * kh * kw, oh * ow, n).transpose(2, 0, 1)
    dxp = np.zeros_like(xp)
    np.add.at(dxp, (slice(None), k, i, j), dcols)
    return _crop(dxp, pad), dw, g.sum(axis=(0, 2, 3))


# --- the contenders ------------------------------------------------------------------------------

def _numpy_ops_forward(x, w, b, stride=1, pad=0):
    return numpy_ops.conv2d(x, w, b, stride=stride, padding=pad)


def _numpy_ops_backward(g, x, w, b, stride=1, pad=0):
    return numpy_ops.conv2d_backward(g, x, w, b, stride=stride, padding=pad)


#: name -> (forward, backward); every one takes (x, w, b, stride, pad) as NCHW float arrays.
CONTENDERS = {
    "numpy_ops": (_numpy_ops_forward, _numpy_ops_backward),
    "strided": (strided_forward, strided_backward),
    "einsum": (einsum_forward, einsum_backward),
    "im2col": (im2col_forward, im2col_backward),
}


def runs_on(layer) -> bool:
    """The peers take square stride and padding, no groups and no dilation."""
    return layer.groups == 1 and layer.dilation == 1


def peak_extra_bytes(fn, *args) -> int:
    """Peak memory NumPy allocates while ``fn(*args)`` runs, beyond the arrays it returns."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = fn(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    results = result if isinstance(result, tuple) else (result,)
    return max(0, peak - sum(r.nbytes for r in results if r is not None))


def head_to_head(ours, theirs, rounds: int, seed: int = 0, clock=time.perf_counter) -> dict:
    """Time ``ours`` and ``theirs`` in ``rounds`` rounds, in random order within each round.

    Each round runs both once untimed and once timed, the order drawn afresh. Best-of-N times
    of a few milliseconds swing by 10-30% from run to run on a shared machine, and a slow
    spell lasts seconds: two contenders timed in the same round meet the same spell, so the
    ratio of their times within a round is steadier than the ratio of two bests. Returns the
    median of the per-round ratios (ours / theirs) and the share of rounds ``ours`` won.
    """
    order = np.random.default_rng(seed)
    ratios = []
    for _ in range(rounds):
        took = [0.0, 0.0]
        for i in order.permutation(2):
            fn = (ours, theirs)[i]
            fn()
            start = clock()
            fn()
            took[i] = clock() - start
        ratios.append(took[0] / took[1])
    return dict(ratio=float(np.median(ratios)), won=float(np.mean(np.array(ratios) < 1)))


def peer_row(layer, repeats: int, rounds: int = 0) -> dict:
    from bench.__main__ import best_times

    rng = np.random.default_rng(0)
    x = rng.standard_normal((layer.batch, layer.c_in, layer.size, layer.size), dtype=np.float32)
    w = rng.standard_normal((layer.c_out, layer.c_in, layer.f, layer.f), dtype=np.float32)
    b = rng.standard_normal(layer.c_out, dtype=np.float32)
    g = rng.standard_normal((layer.batch, layer.c_out, layer.out_size, layer.out_size),
                            dtype=np.float32)
    xt, wt, bt, gt = (torch.tensor(a) for a in (x, w, b, g))
    s, p = layer.stride, layer.padding
    fwd = [lambda f=f: f(x, w, b, s, p) for f, _ in CONTENDERS.values()]
    bwd = [lambda f=f: f(g, x, w, b, s, p) for _, f in CONTENDERS.values()]
    *ours_f, torch_f = best_times(
        fwd + [lambda: torch.nn.functional.conv2d(xt, wt, bt, stride=s, padding=p)], repeats)
    *ours_b, torch_b = best_times(
        bwd + [lambda: torch.ops.aten.convolution_backward(
            gt, xt, wt, [layer.c_out], [s, s], [p, p], [1, 1], False, [0, 0], 1,
            [True, True, True])], repeats)
    row = dict(layer=layer.name, torch_fwd_ms=torch_f * 1e3, torch_bwd_ms=torch_b * 1e3)
    for (key, (f, bk)), tf, tb in zip(CONTENDERS.items(), ours_f, ours_b):
        row.update({f"{key}_fwd_ratio": tf / torch_f, f"{key}_bwd_ratio": tb / torch_b,
                    f"{key}_fwd_ms": tf * 1e3, f"{key}_bwd_ms": tb * 1e3,
                    f"{key}_fwd_mb": peak_extra_bytes(f, x, w, b, s, p) / 2 ** 20,
                    f"{key}_bwd_mb": peak_extra_bytes(bk, g, x, w, b, s, p) / 2 ** 20})
    if rounds:
        # numpy_ops against the peer that was fastest in the table, head to head.
        for p_, contenders in (("fwd", fwd), ("bwd", bwd)):
            keys = list(CONTENDERS)
            peer = min(keys[1:], key=lambda k: row[f"{k}_{p_}_ratio"])
            h2h = head_to_head(contenders[0], contenders[keys.index(peer)], rounds)
            row.update({f"h2h_{p_}_peer": peer, f"h2h_{p_}_ratio": h2h["ratio"],
                        f"h2h_{p_}_won": h2h["won"]})
    return row


def print_table(rows: list[dict], repeats: int) -> None:
    from bench.__main__ import geomean

    keys = list(CONTENDERS)
    for p, title in (("fwd", "forward"), ("bwd", "backward (input, weight and bias gradients)")):
        print(f"\nconv2d {title}: time over torch's CPU conv (best of {repeats}), "
              "and peak extra memory in MB")
        head = f"{'layer':<20}{'torch ms':>10}" + "".join(f"{k:>18}" for k in keys)
        print(head)
        print("-" * len(head))
        for r in rows:
            print(f"{r['layer']:<20}{r[f'torch_{p}_ms']:>10.2f}" + "".join(
                f"{r[f'{k}_{p}_ratio']:>8.2f}x {r[f'{k}_{p}_mb']:>6.1f}MB" for k in keys))
        print("-" * len(head))
        print(f"{'geometric mean':<30}" + "".join(
            f"{geomean(r[f'{k}_{p}_ratio'] for r in rows):>8.2f}x {'':>8}" for k in keys))
    best = {}
    for r in rows:
        peer = min((k for k in keys if k != "numpy_ops"), key=lambda k: r[f"{k}_fwd_ratio"])
        best[r["layer"]] = (peer, r["numpy_ops_fwd_ratio"] / r[f"{peer}_fwd_ratio"])
    wins = sum(ratio < 1 for _, ratio in best.values())
    print(f"\nnumpy_ops forward is faster than the best peer on {wins} of {len(best)} layers: "
          + ", ".join(f"{layer} {ratio:.2f}x of {peer}" for layer, (peer, ratio) in best.items()))
    if rows and "h2h_fwd_ratio" in rows[0]:
        print("\nhead to head, numpy_ops against the best peer of each layer: median of the "
              "per-round time ratios (rounds in random order), and rounds won")
        for r in rows:
            print(f"{r['layer']:<20}" + "".join(
                f"  {title} {r[f'h2h_{p}_ratio']:.2f}x of {r[f'h2h_{p}_peer']}"
                f" ({r[f'h2h_{p}_won']:.0%} won)" for p, title in (("fwd", "forward"),
                                                                  ("bwd", "backward"))))
    print("targets: forward <= 1.5x torch (geometric mean) and no layer above 2.5x; "
          "backward <= 1.25x; faster than the best peer on every layer at a fraction of its memory")


def main(argv=None) -> list[dict]:
    from bench.__main__ import SUITE, warm_allocator

    parser = argparse.ArgumentParser(prog="python -m bench.peers",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=20,
                        help="head-to-head rounds against the best peer (0: none)")
    parser.add_argument("--quick", action="store_true", help="two small layers, 2 repeats")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    suite = [layer for layer in SUITE if runs_on(layer)]
    if args.quick:
        suite = [layer for layer in suite if layer.name.startswith(("lenet", "1x1"))]
    repeats = 2 if args.quick else args.repeats
    warm_allocator()
    print(f"OpenBLAS kernels: {_blas.kernel_in_use()}; {BLAS_CHOICE}; "
          f"{torch.get_num_threads()} torch threads")
    rounds = min(args.rounds, 2) if args.quick else args.rounds
    rows = [peer_row(layer, repeats, rounds) for layer in suite]
    print_table(rows, repeats)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(openblas=_blas.kernel_in_use(), choice=BLAS_CHOICE, rows=rows), fh,
                      indent=1)
    return rows


if __name__ == "__main__":
    main()
