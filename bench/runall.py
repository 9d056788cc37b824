"""Time a student's Run All of each explorer notebook: the first run, then a second one.

Every explorer renders all of its frames for the book's kernel-free player when it is shown.
The frame cache (``cnnlib/viz/_frame_cache.py``) keeps those frames on disk, so a second Run All
of the same notebook should skip the rendering. This script runs each notebook that shows an
explorer twice in a fresh kernel, with an empty cache directory of its own before the first run,
and prints both times and their ratio. A third run with the cache turned off shows what the
cache saves.

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


def run_once(path: Path, cache: str) -> float:
    """Seconds to execute ``path`` top to bottom in a fresh kernel with the frame cache ``cache``."""
    nb = nbformat.read(path, as_version=4)
    previous = os.environ.get("CNNLIB_FRAME_CACHE")
    os.environ["CNNLIB_FRAME_CACHE"] = cache       # the kernel inherits the environment
    try:
        client = NotebookClient(nb, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start
    finally:
        if previous is None:
            os.environ.pop("CNNLIB_FRAME_CACHE", None)
        else:
            os.environ["CNNLIB_FRAME_CACHE"] = previous


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
    print(f"{'notebook':40s} {'no cache':>9s} {'1st run':>9s} {'2nd run':>9s} {'1st/2nd':>8s}")
    for path in paths:
        with tempfile.TemporaryDirectory(prefix="cnnlib-frames-") as cache:
            off = run_once(path, "off")
            first = run_once(path, cache)
            second = run_once(path, cache)
        row = dict(notebook=str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
                   no_cache_s=off, first_s=first, second_s=second, speedup=first / second)
        rows.append(row)
        print(f"{path.stem:40s} {off:8.1f}s {first:8.1f}s {second:8.1f}s {first / second:7.1f}x",
              flush=True)
    if rows:
        total_first = sum(r["first_s"] for r in rows)
        total_second = sum(r["second_s"] for r in rows)
        print(f"{'all':40s} {sum(r['no_cache_s'] for r in rows):8.1f}s {total_first:8.1f}s "
              f"{total_second:8.1f}s {total_first / total_second:7.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
