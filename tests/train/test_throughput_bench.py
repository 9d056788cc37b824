"""bench.throughput: the training-throughput table of Part 2's networks (run small here)."""

import json

from bench import throughput
from cnnlib.models import cifar_resnet


def test_images_per_second_and_the_table(monkeypatch, tmp_path, capsys):
    tiny = throughput.Net("tiny resnet-8", lambda: cifar_resnet(8, width=2), 8, 4)
    assert throughput.images_per_second(tiny, "cpu", steps=2, warmup=1) > 0
    monkeypatch.setattr(throughput, "_nets", lambda: [tiny])
    rows = throughput.main(["--quick", "--json", str(tmp_path / "rows.json")])
    out = capsys.readouterr().out
    assert "tiny resnet-8" in out and "img/s" in out
    assert rows[0]["network"] == "tiny resnet-8" and rows[0]["cpu"] > 0
    assert json.loads((tmp_path / "rows.json").read_text())[0]["batch"] == 4


def test_the_benchmark_lists_the_networks_the_book_trains():
    names = [net.name for net in throughput._nets()]
    assert sum(name.startswith("2.2") for name in names) == 6
    assert any(name.startswith("2.4") for name in names)
