"""bench.nms: the non-max suppression timing table, run small."""

import numpy as np

from bench import nms as bench_nms
from cnnlib import numpy_ops


def test_random_boxes_are_valid_and_seeded():
    boxes, scores, labels = bench_nms.random_boxes(500, seed=3)
    assert boxes.shape == (500, 4) and boxes.dtype == np.float32
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    assert set(np.unique(labels)) <= set(range(20))
    again = bench_nms.random_boxes(500, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((boxes, scores, labels), again))


def test_the_table(capsys, tmp_path):
    rows = bench_nms.main(["--sizes", "200", "10000", "--repeats", "1",
                           "--json", str(tmp_path / "nms.json")])
    boxes, scores, _ = bench_nms.random_boxes(200)
    assert rows[0]["kept"] == len(numpy_ops.nms(boxes, scores, 0.5))
    assert all(r["numpy_ms"] > 0 and r["torch_cpu_ms"] > 0 for r in rows)
    out = capsys.readouterr().out
    assert "numpy nms on 10,000 boxes under 50 ms" in out
    assert (tmp_path / "nms.json").exists()
