"""ImageOptimisation: the sigmoid parametrisation, the per-step trace and snapshots."""

import pytest
import torch
import torch.nn.functional as F

from cnnlib.train import ImageOptimisation, fit


def _target():
    return torch.rand(1, 3, 5, 5, generator=torch.Generator().manual_seed(0))


def test_sigmoid_parametrisation_stays_in_range_without_clamping():
    target = _target() * 2 - 0.5                 # partly outside [0, 1]: unreachable there
    task = ImageOptimisation(lambda img: F.mse_loss(img, target), low=0.0, high=1.0,
                             parametrisation="sigmoid")
    start = torch.full((1, 3, 5, 5), 0.5)
    params = task.parameters_for(start)
    assert params.is_leaf and params.requires_grad
    torch.testing.assert_close(task.image(params), start)        # logit(0.5) = 0
    fit(params, task=task, epochs=3, steps_per_epoch=100, lr=0.1, progress=False)
    image = task.image(params).detach()
    assert image.min() > 0 and image.max() < 1                   # never clamped, always inside
    torch.testing.assert_close(image, target.clamp(0, 1), atol=0.05, rtol=0)
    assert params.detach().abs().max() > 2                        # the parameters themselves roam


def test_parameters_for_inverts_image_in_both_parametrisations():
    x = torch.rand(1, 3, 4, 4) * 0.9 + 0.05
    sig = ImageOptimisation(lambda t: t.sum(), low=-1.0, high=2.0, parametrisation="sigmoid")
    torch.testing.assert_close(sig.image(sig.parameters_for(x)), x, atol=1e-5, rtol=1e-5)
    plain = ImageOptimisation(lambda t: t.sum())
    p = plain.parameters_for(x * 2)
    assert torch.equal(plain.image(p), (x * 2).clamp(0, 1))       # clamped into range


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_trace_holds_one_entry_per_step_from_the_start(optimizer):
    target = _target()
    calls = []

    def objective(img):
        calls.append(1)
        loss = F.mse_loss(img, target, reduction="sum")
        return loss, {"mean": img.mean(), "double": 2 * loss}

    start = torch.zeros(1, 3, 5, 5)
    task = ImageOptimisation(objective, snapshot_steps=(0, 3, 6))
    params = task.parameters_for(start)
    fit(params, task=task, epochs=2, steps_per_epoch=3, optimizer=optimizer,
        lr=0.1 if optimizer == "adam" else 1.0, progress=False)
    assert set(task.trace) == {"loss", "mean", "double"}
    assert len(task.trace["loss"]) == 6 and task.steps == 6
    assert task.trace["loss"][0] == pytest.approx(float(F.mse_loss(start, target,
                                                                   reduction="sum")))
    assert task.trace["double"] == pytest.approx([2 * v for v in task.trace["loss"]])
    assert sorted(task.snapshots) == [0, 3]
    assert torch.equal(task.snapshots[0], start)
    final = task.finish(params)
    assert len(task.trace["loss"]) == 7 and sorted(task.snapshots) == [0, 3, 6]
    assert torch.equal(task.snapshots[6], final)
    assert task.trace["loss"][-1] < task.trace["loss"][0] / 2
    if optimizer == "lbfgs":
        assert len(calls) > 7              # the line search evaluates more than once a step
    task.reset()
    assert task.trace == {} and task.snapshots == {} and task.steps == 0


def test_history_reports_each_steps_first_evaluation():
    """fit's per-epoch stats describe the same images as its loss, also under L-BFGS."""
    target = _target()
    task = ImageOptimisation(lambda img: (F.mse_loss(img, target, reduction="sum"),
                                          {"copy": F.mse_loss(img, target, reduction="sum")}),
                             low=None, high=None)
    params = task.parameters_for(torch.zeros(1, 3, 5, 5))
    history = fit(params, task=task, epochs=3, steps_per_epoch=2, optimizer="lbfgs",
                  progress=False)
    assert history.train["copy"] == pytest.approx(history.train["loss"])


def test_bad_arguments():
    with pytest.raises(ValueError, match="parametrisation must be one of"):
        ImageOptimisation(lambda t: t.sum(), parametrisation="tanh")
    with pytest.raises(ValueError, match="sigmoid"):
        ImageOptimisation(lambda t: t.sum(), low=None, high=None, parametrisation="sigmoid")
    with pytest.raises(TypeError, match="snapshot_steps"):
        ImageOptimisation(lambda t: t.sum(), snapshot_steps=5)
    with pytest.raises(ValueError, match="snapshot_steps must be non-negative"):
        ImageOptimisation(lambda t: t.sum(), snapshot_steps=[-1])
    with pytest.raises(TypeError, match="floating torch tensor"):
        ImageOptimisation(lambda t: t.sum()).parameters_for([0.5])
