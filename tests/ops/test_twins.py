"""Every public NumPy op has a PyTorch twin with the same name and signature, and a registry entry.

Both namespaces are enumerated (``__all__`` and every public function found in them), so an
op added to one and not the other, or to neither registry nor ``__all__``, fails here.
"""

import importlib
import inspect

import pytest
import torch.nn.functional as F

from cnnlib import numpy_ops, torch_ops
from registry import OPS


def _public(module):
    return {name for name in dir(module) if not name.startswith("_")
            and inspect.isfunction(getattr(module, name))}


def test_every_numpy_op_has_a_torch_twin_with_the_same_signature():
    numpy_names = set(numpy_ops.__all__)
    torch_names = set(torch_ops.__all__)
    assert numpy_names == torch_names, (numpy_names ^ torch_names)
    assert numpy_names == _public(numpy_ops), "numpy_ops.__all__ misses a public function"
    assert torch_names == _public(torch_ops), "torch_ops.__all__ misses a public function"
    for name in sorted(numpy_names):
        ref, twin = getattr(numpy_ops, name), getattr(torch_ops, name)
        assert inspect.signature(ref) == inspect.signature(twin), \
            f"{name}: numpy {inspect.signature(ref)} != torch {inspect.signature(twin)}"
        assert ref.__doc__ and twin.__doc__, f"{name} has no docstring"
        assert ref.__name__ == twin.__name__ == name, name


OP_MODULES = sorted({inspect.getmodule(getattr(ns, name)).__name__
                     for ns in (numpy_ops, torch_ops) for name in ns.__all__})


@pytest.mark.parametrize("module", OP_MODULES)
def test_public_ops_are_written_out(module):
    """Each public op is a ``def`` in its own module, not generated into ``globals()``: the name
    a reader greps for, and the signature tools show, are in the source."""
    mod = importlib.import_module(module)
    source = inspect.getsource(mod)
    assert "globals()" not in source, f"{module} writes into globals()"
    for name in mod.__all__:
        fn = getattr(mod, name)
        assert fn.__module__ == module and fn.__qualname__ == name, name
        assert f"\ndef {name}(" in source, f"{module}.{name} is not written out"


def test_every_public_op_is_in_the_registry():
    registered = {op.name for op in OPS}
    assert len(registered) == len(OPS), "an op is registered twice"
    backwards = {op.name + "_backward" for op in OPS if op.numpy_backward is not None}
    public = set(numpy_ops.__all__)
    assert public - registered - backwards == set(), \
        "add these to tests/ops/registry.py (its docstring says how)"
    assert registered - public == set(), "registered ops that numpy_ops does not export"
    for op in OPS:
        if op.grads:
            assert op.numpy_backward is not None or not op.fd_examples, op.name


# Arguments an op adds to torch's, documented in its docstring: dropout's explicit generator.
EXTRA_ARGUMENTS = {"dropout": {"generator"}}


def test_signatures_follow_torch_nn_functional():
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


def test_each_backward_takes_the_forward_arguments():
    """``<op>_backward(grad_output, *forward_args)``: the forward's parameters, in order, after
    ``grad_output`` (less the forward-only switches such as ``return_indices``)."""
    for op in OPS:
        if op.numpy_backward is None:
            continue
        forward = list(inspect.signature(op.numpy).parameters)
        backward = list(inspect.signature(op.numpy_backward).parameters)
        assert backward[0] == "grad_output", op.name
        assert backward[1:] == [p for p in forward if p in backward[1:]], op.name
        assert set(forward) - set(backward) <= {"return_indices", "inplace"}, op.name
