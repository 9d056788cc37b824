"""cnnlib.models.summary: layer tables of any torch model."""

from torch import nn

from cnnlib.models import layers_of, summary


def test_summary_reproduces_the_course_lenet_table():
    model = nn.Sequential(nn.Conv2d(3, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                          nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    table = summary(model, (3, 32, 32), layout="NHWC")
    rows = {r.name: r for r in table.rows}
    assert rows["0"].output_shape == (28, 28, 8) and rows["0"].params == 608
    assert rows["2"].output_shape == (14, 14, 8) and rows["2"].activation_size == 1568
    assert rows["3"].output_shape == (10, 10, 16) and rows["3"].params == 3216
    assert rows["5"].output_shape == (5, 5, 16) and rows["5"].activation_size == 400
    assert [rows[k].params for k in ("7", "9", "11")] == [48120, 10164, 850]
    assert table.total_params == sum(p.numel() for p in model.parameters())
    assert "48,120" in str(table)
    assert layers_of(model) == [(5, 1, 1), (2, 2, 1), (5, 1, 1), (2, 2, 1)]
    assert summary(model, (3, 32, 32)).rows[0].output_shape == (8, 28, 28)


def test_summary_checks_its_arguments():
    import pytest

    from cnnlib.models import course_table

    model = nn.Sequential(nn.Conv2d(1, 2, 3))
    with pytest.raises(ValueError, match="summary: layout must be one of"):
        summary(model, (1, 8, 8), layout="NWHC")
    with pytest.raises(TypeError, match="summary: model must be a torch.nn.Module"):
        summary("model", (1, 8, 8))
    with pytest.raises(TypeError, match="summary: input_shape must be a tuple"):
        summary(model, 8)
    with pytest.raises(TypeError, match="summary: input_shape must be an int"):
        summary(model, (1, 8.0, 8))
    with pytest.raises(ValueError, match="course_table: input_shape must be positive"):
        course_table(model, (1, 0, 8))
    with pytest.raises(TypeError, match="course_table: labels must be a dict"):
        course_table(model, (1, 8, 8), labels=["conv"])
