"""Time a student's Run All of each explorer notebook: the first run, then a second one.

Every explorer renders all of its frames for the book's kernel-free player when it is shown.
The frame cache (``cnnlib/viz/_frame_cache.py``) keeps those frames on disk, so a second Run All
of the same notebook should skip the rendering. A student meets two kinds of second run, and
this script times both, each notebook with an empty cache directory of its own to start from:

- *Run All again*: the notebook is open, its kernel running; Run All is pressed a second time.
  The columns ``1st run`` and ``again`` time the cells of the first and the second Run All in
  one kernel (the kernel starts when the notebook is opened, before the first Run All).
- *Restart and Run All*: a fresh kernel with the warm frame cache, timed from kernel start,
  against the first run timed the same way (``cold``); the imports are paid again here.

A last run with the cache turned off shows what the cache saves on a first run.
This is a benchmark, not a test: it prints a table and never fails on speed.
Usage: python -m bench.runall [NOTEBOOK ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def shows_an_explorer(path: Path) -> bool:
    """Whether the stored notebook displays a live explorer widget."""
    nb = nbformat.read(path, as_version=4)
    return any(WIDGET_VIEW in out.get("data", {})
               for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []))


class _Cache:
    """Point the kernels this process starts at the frame cache ``path`` (they inherit it)."""

    def __init__(self, path: str):
        self.path, self.previous = path, os.environ.get("CNNLIB_FRAME_CACHE")

    def __enter__(self):
        os.environ["CNNLIB_FRAME_CACHE"] = self.path

    def __exit__(self, *exc):
        if self.previous is None:
            os.environ.pop("CNNLIB_FRAME_CACHE", None)
        else:
            os.environ["CNNLIB_FRAME_CACHE"] = self.previous


def _client(path: Path) -> NotebookClient:
    nb = nbformat.read(path, as_version=4)
    return NotebookClient(nb, timeout=900, kernel_name="python3",
                          resources={"metadata": {"path": str(path.parent)}})


def run_fresh(path: Path, cache: str) -> float:
    """Seconds to execute ``path`` top to bottom in a fresh kernel, kernel start included."""
    with _Cache(cache):
        client = _client(path)
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start


def run_twice(path: Path, cache: str) -> tuple[float, float]:
    """Seconds of the cells of a first and a second Run All in one running kernel."""
    with _Cache(cache):
        client = _client(path)
        times = []
        with client.setup_kernel():
            for _ in range(2):
                start = time.perf_counter()
                for index, cell in enumerate(client.nb.cells):
                    client.execute_cell(cell, index)
                times.append(time.perf_counter() - start)
        return times[0], times[1]


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.runall",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to time (default: every book notebook with an explorer)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    paths = args.notebooks or [p for p in sorted((ROOT / "book").rglob("*.ipynb"))
                               if ".ipynb_checkpoints" not in p.parts and shows_an_explorer(p)]
    rows = []
    print(f"{'notebook':34s} {'1st run':>8s} {'again':>7s} {'ratio':>6s}   "
          f"{'cold':>6s} {'restart':>8s} {'ratio':>6s}   {'no cache':>8s}")
    for path in paths:
        with tempfile.TemporaryDirectory(prefix="cnnlib-frames-") as cache:
            first, again = run_twice(path, cache)
        with tempfile.TemporaryDirectory(prefix="cnnlib-frames-") as cache:
            cold = run_fresh(path, cache)
            restart = run_fresh(path, cache)
        off = run_fresh(path, "off")
        row = dict(notebook=str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
                   first_s=first, again_s=again, again_speedup=first / again,
                   cold_s=cold, restart_s=restart, restart_speedup=cold / restart,
                   no_cache_s=off)
        rows.append(row)
        print(f"{path.stem[:34]:34s} {first:7.1f}s {again:6.1f}s {first / again:5.1f}x   "
              f"{cold:5.1f}s {restart:7.1f}s {cold / restart:5.1f}x   {off:7.1f}s", flush=True)
    if rows:
        total = {k: sum(r[k] for r in rows) for k in ("first_s", "again_s", "cold_s",
                                                     "restart_s", "no_cache_s")}
        print(f"{'all':34s} {total['first_s']:7.1f}s {total['again_s']:6.1f}s "
              f"{total['first_s'] / total['again_s']:5.1f}x   {total['cold_s']:5.1f}s "
              f"{total['restart_s']:7.1f}s {total['cold_s'] / total['restart_s']:5.1f}x   "
              f"{total['no_cache_s']:7.1f}s")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
