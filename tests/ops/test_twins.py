"""Every public NumPy op has a PyTorch twin with the same name and signature."""

import inspect

from cnnlib import numpy_ops, torch_ops


def _public(module):
    return {name for name in dir(module) if not name.startswith("_")
            and callable(getattr(module, name)) and inspect.isfunction(getattr(module, name))}


def test_every_numpy_op_has_a_torch_twin_with_the_same_signature():
    numpy_names = set(numpy_ops.__all__)
    torch_names = set(torch_ops.__all__)
    assert numpy_names == torch_names, (numpy_names ^ torch_names)
    assert numpy_names == _public(numpy_ops), "numpy_ops.__all__ misses a public function"
    assert torch_names == _public(torch_ops), "torch_ops.__all__ misses a public function"
    for name in sorted(numpy_names):
        ref = inspect.signature(getattr(numpy_ops, name))
        twin = inspect.signature(getattr(torch_ops, name))
        assert ref == twin, f"{name}: numpy {ref} != torch {twin}"
        assert getattr(torch_ops, name).__doc__, f"torch_ops.{name} has no docstring"
        assert getattr(numpy_ops, name).__doc__, f"numpy_ops.{name} has no docstring"


# Arguments an op adds to torch's, documented in its docstring: dropout's explicit generator.
EXTRA_ARGUMENTS = {"dropout": {"generator"}}


def test_signatures_follow_torch_nn_functional():
    import torch.nn.functional as F

    for name in numpy_ops.__all__:
        if name.endswith("_backward") or not hasattr(F, name):
            continue
        ours = list(inspect.signature(getattr(numpy_ops, name)).parameters.values())
        try:
            theirs = inspect.signature(getattr(F, name)).parameters
        except ValueError:   # a builtin without a signature: nothing to compare
            continue
        if any(p.kind is p.VAR_POSITIONAL for p in theirs.values()):
            # max_poolNd dispatch on return_indices; the real signature is on _max_poolNd.
            theirs = inspect.signature(getattr(F, "_" + name)).parameters
        for p in ours:
            if p.name in EXTRA_ARGUMENTS.get(name, ()):
                continue
            assert p.name in theirs, f"{name}: torch has no argument {p.name!r}"
            if theirs[p.name].default is not inspect.Parameter.empty and \
                    p.default is not inspect.Parameter.empty:
                assert p.default == theirs[p.name].default, (name, p.name)
