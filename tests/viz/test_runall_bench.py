"""bench.runall: the Run All timing of explorer notebooks, on a notebook the test writes."""

import json

import nbformat

from bench import runall

SLOW_RENDER = """\
import time
from matplotlib.figure import Figure
from cnnlib.viz.widgets import explorer

def render(n):
    time.sleep(0.3)          # a frame that costs something to draw
    fig = Figure(figsize=(1, 1))
    fig.add_subplot().plot(range(n + 2))
    return fig

explorer(render, n=[0, 1, 2, 3, 4])
"""


def test_both_second_runs_skip_the_rendering(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SLOW_RENDER)])
    path = tmp_path / "slow_explorer.ipynb"
    nbformat.write(nb, path)
    rows = runall.main([str(path), "--json", str(tmp_path / "rows.json")])
    (row,) = rows
    # five frames at 0.3 s each on the first run; the cache serves them on the second
    assert row["first_s"] > 1.5 and row["cold_s"] > 1.5 and row["no_cache_s"] > 1.5
    assert row["again_s"] < row["first_s"] / 2
    assert row["restart_s"] < row["cold_s"]
    assert "slow_explorer" in capsys.readouterr().out
    assert json.loads((tmp_path / "rows.json").read_text())[0]["again_speedup"] > 2
