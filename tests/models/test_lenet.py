"""cnnlib.models: LeNet-5 reproduces the course's table exactly."""

import pytest
import torch

from cnnlib import shapes
from cnnlib.models import LeNet5, course_table, layers_of, summary

COURSE_TABLE = [
    ("Input", (32, 32, 3), 3072, 0),
    ("CONV1 (f = 5, s = 1)", (28, 28, 8), 6272, 608),
    ("POOL1", (14, 14, 8), 1568, 0),
    ("CONV2 (f = 5, s = 1)", (10, 10, 16), 1600, 3216),
    ("POOL2", (5, 5, 16), 400, 0),
    ("FC3", (120,), 120, 48120),
    ("FC4", (84,), 84, 10164),
    ("Softmax (FC5)", (10,), 10, 850),
]


def test_lenet5_matches_the_course_table():
    model = LeNet5()
    assert course_table(model, (3, 32, 32)) == COURSE_TABLE
    s = summary(model, (3, 32, 32), layout="NHWC")
    by_name = {r.name: r for r in s.rows}
    assert [by_name[n].params for n in ("conv1", "conv2", "fc3", "fc4", "fc5")] == \
        [608, 3216, 48120, 10164, 850]
    assert s.total_params == sum(p.numel() for p in model.parameters()) == 62958
    assert by_name["conv1"].params == shapes.conv_params(3, 8, 5)
    assert by_name["fc3"].params == shapes.linear_params(400, 120)


def test_lenet5_shapes_and_options():
    torch.manual_seed(0)
    x = torch.zeros(2, 1, 32, 32)
    model = LeNet5(in_channels=1)
    assert model(x).shape == (2, 10)
    assert model.features(x).shape == (2, 16, 5, 5)
    assert course_table(model, (1, 32, 32))[1][3] == 8 * 25 + 8
    m = LeNet5(in_channels=1, channels=(6, 16), activation="tanh", pool="avg", input_size=28,
               num_classes=4)
    assert isinstance(m.act1, torch.nn.Tanh) and isinstance(m.pool1, torch.nn.AvgPool2d)
    assert m.fc3.in_features == 16 * 4 * 4
    assert m(torch.zeros(1, 1, 28, 28)).shape == (1, 4)
    assert layers_of(model) == [(5, 1, 1), (2, 2, 1), (5, 1, 1), (2, 2, 1)]


def test_lenet5_validation():
    with pytest.raises(ValueError, match="activation"):
        LeNet5(activation="gelu")
    with pytest.raises(ValueError, match="pool"):
        LeNet5(pool="min")
    with pytest.raises(ValueError, match="too small"):
        LeNet5(input_size=12)
    with pytest.raises(TypeError, match="in_channels"):
        LeNet5(in_channels=1.0)
    with pytest.raises(TypeError, match="channels"):
        LeNet5(channels=8)
    with pytest.raises(TypeError, match="LeNet5: f must be an int, got True"):
        LeNet5(f=True)
    with pytest.raises(ValueError, match="LeNet5: num_classes must be positive"):
        LeNet5(num_classes=0)
    with pytest.raises(ValueError, match="LeNet5: hidden must be positive"):
        LeNet5(hidden=(120, 0))
    with pytest.raises(ValueError, match="LeNet5: x expects a 4-D"):
        LeNet5()(torch.zeros(3, 32, 32))
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        LeNet5(in_channels=1)(torch.zeros(1, 3, 32, 32))
