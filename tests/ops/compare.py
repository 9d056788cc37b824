"""Comparing an op's results with torch's: the helpers every registry-driven test uses."""

import inspect

import numpy as np
import pytest
import torch

from registry import TOLERANCES, dtype_of, to_numpy, to_torch


def value_scale(sample_scale, *arrays):
    """The sample's scale times the largest magnitude among ``arrays`` (at least 1)."""
    sizes = [float(np.abs(to_numpy(a)).max()) for a in arrays
             if a is not None and hasattr(a, "shape") and np.size(to_numpy(a))
             and to_numpy(a).dtype.kind == "f"]
    return sample_scale * max([1.0, *sizes])


def assert_same(actual, expected, scale=1.0, what="", computed_in=None):
    """Same type of result, shape, dtype and values (NaN where torch has NaN); ints exactly.

    ``computed_in`` names a dtype the values passed through (a float32 softmax of a float64
    input): the tolerance is the larger of its and the result's.
    """
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), what
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, scale, f"{what}[{i}]", computed_in)
        return
    if expected is None:
        assert actual is None, what
        return
    assert dtype_of(actual) == dtype_of(expected), f"{what}: dtype {dtype_of(actual)}, torch " \
                                                   f"{dtype_of(expected)}"
    a, e = np.asarray(to_numpy(actual)), np.asarray(to_numpy(expected))
    assert a.shape == e.shape, f"{what}: shape {a.shape}, torch {e.shape}"
    if e.dtype.kind in "biu":
        np.testing.assert_array_equal(a, e, err_msg=what)
        return
    rtol, atol = TOLERANCES[dtype_of(expected)]
    if computed_in in TOLERANCES:
        rtol, atol = max(rtol, TOLERANCES[computed_in][0]), max(atol, TOLERANCES[computed_in][1])
    np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), rtol=rtol,
                               atol=atol * scale, equal_nan=True, err_msg=what)


def call_with_grads(fn, args, kwargs, grads):
    """``fn`` on torch copies of ``args`` whose ``grads`` positions require grad."""
    targs = list(to_torch(args))
    for i in grads:
        if isinstance(targs[i], torch.Tensor) and targs[i].is_floating_point():
            targs[i].requires_grad_(True)
    return fn(*targs, **to_torch(kwargs)), targs


def autograd(out, targs, grads, g):
    """torch autograd of ``out`` (its first element, for a tuple) for the ``grads`` arguments."""
    out = out[0] if isinstance(out, tuple) else out
    leaves = [targs[i] for i in grads if targs[i] is not None]
    if not leaves:
        return tuple(None for _ in grads)
    found = torch.autograd.grad(out, leaves, to_torch(g), allow_unused=True)
    found = iter(found)
    return tuple(None if targs[i] is None else
                 (lambda t, r: torch.zeros_like(t) if r is None else r)(targs[i], next(found))
                 for i in grads)


def check_backward(op, args, kwargs, expected, targs, scale, namespaces=("numpy", "torch")):
    """``<op>_backward`` of both twins (or autograd through the torch twin) against torch."""
    out = expected[0] if isinstance(expected, tuple) else expected
    if not op.grads or not out.dtype.is_floating_point or not out.requires_grad or \
            not namespaces:
        return
    rng = np.random.default_rng(out.numel())
    g = rng.standard_normal(tuple(out.shape)).astype(to_numpy(out.detach()).dtype)
    want = autograd(expected, targs, op.grads, g)
    gscale = value_scale(scale, g)
    if op.numpy_backward is None:
        twin_out, twin_args = call_with_grads(op.torch, args, kwargs, op.grads)
        assert_same(autograd(twin_out, twin_args, op.grads, g), want, gscale,
                    f"autograd through torch_ops.{op.name}", dtype_of(out))
        return
    bkw = op.backward_kwargs(kwargs)
    single = len(op.grads) == 1
    if "numpy" in namespaces:
        ours = op.numpy_backward(g, *args, **bkw)
        assert_same(ours if not single else (ours,), want, gscale,
                    f"numpy_ops.{op.name}_backward", dtype_of(out))
    if "torch" in namespaces:
        twin = op.torch_backward(to_torch(g), *to_torch(args), **to_torch(bkw))
        assert_same(twin if not single else (twin,), want, gscale,
                    f"torch_ops.{op.name}_backward", dtype_of(out))




def narrow(result, dtype):
    """Floating tensors of ``result`` (a tensor or a tuple) cast to ``dtype``."""
    if isinstance(result, tuple):
        return tuple(narrow(r, dtype) for r in result)
    return result.to(dtype) if result.is_floating_point() else result


def data_arrays(op, args):
    """The array arguments whose dtype the op computes in (``grads``, or the first argument)."""
    return [a for i, a in enumerate(args) if i in (op.grads or (0,)) and hasattr(a, "dtype")]


def assert_clear(op, err, backward=False):
    """A ``ValueError``/``TypeError`` whose message starts with ``op:`` and names an argument."""
    name = op.name + ("_backward" if backward else "")
    message = str(err)
    assert isinstance(err, (ValueError, TypeError)), f"{type(err).__name__}: {message}"
    assert message.startswith(name + ":"), f"the message does not start with {name!r}: {message}"
    fn = op.numpy_backward if backward else op.numpy
    params = inspect.signature(fn).parameters
    assert any(p in message for p in params), f"the message names no argument: {message}"


def _run(fn, args, kwargs):
    try:
        return fn(*args, **kwargs), None
    except Exception as err:   # noqa: BLE001 - torch raises many kinds
        return None, err


def check_like_torch(op, args, kwargs, scale=1.0, twin_layout=None, backward=False):
    """Both twins on ``args``: torch's result where torch gives one, a clear error where it fails.

    ``args`` are the NumPy-side arguments (the oracle and the twin get contiguous tensor
    copies; ``twin_layout`` may rearrange the twin's). Where torch answers, an op may raise
    instead only where its registry entry lists a deviation that applies; a case its entry
    lists as a known bug is not checked. With ``backward``, the backward passes are checked
    too wherever torch's forward succeeded in float32 or float64.
    """
    expected, torch_error = None, None
    try:
        expected, targs = call_with_grads(op.oracle, args, kwargs, op.grads)
    except Exception as err:   # noqa: BLE001
        torch_error = err
    half = [a for a in data_arrays(op, args) if dtype_of(a) == "float16"]
    if isinstance(torch_error, NotImplementedError) and half:
        # torch has no CPU kernel for this op in half precision: compare with its float32
        # result, rounded to half.
        wide = tuple(a.astype(np.float32) if any(a is h for h in half) else a for a in args)
        expected, targs = call_with_grads(op.oracle, wide, kwargs, op.grads)
        expected = narrow(expected, torch.float16)
        torch_error = None
    deviation = op.deviation(args, kwargs)
    answered = {}
    for ns in ("numpy", "torch"):
        fn = op.numpy if ns == "numpy" else op.torch
        call_args = args if ns == "numpy" else to_torch(args)
        if ns == "torch" and twin_layout is not None:
            call_args = tuple(twin_layout(a) if isinstance(a, torch.Tensor) else a
                              for a in call_args)
        call_kwargs = kwargs if ns == "numpy" else to_torch(kwargs)
        ours, err = _run(fn, call_args, call_kwargs)
        if op.known_bug(ns, args, kwargs) is not None:
            continue          # expected to fail (or not: pytest's non-strict xfail)
        where = f"{ns} {op.name}{[getattr(a, 'shape', a) for a in args]} {kwargs}"
        if torch_error is not None:
            assert err is not None, f"{where} returns a result where torch raises " \
                                    f"{type(torch_error).__name__}: {torch_error}"
            assert_clear(op, err)
            continue
        supported = op.numpy_dtypes if ns == "numpy" else op.torch_dtypes
        if any(dtype_of(a) not in supported for a in data_arrays(op, args)):
            assert isinstance(err, TypeError) and "dtype" in str(err), \
                f"{where}: an unsupported dtype must raise a TypeError naming it, got {err!r}"
            assert_clear(op, err)
            continue
        if err is not None:
            assert deviation is not None, f"{where} rejects what torch accepts: {err!r}"
            assert_clear(op, err)
            continue
        assert_same(ours, expected, scale, where)
        answered[ns] = True
    if backward and torch_error is None and all(dtype_of(a) in ("float32", "float64") for a in data_arrays(op, args)):
        check_backward(op, args, kwargs, expected, targs, scale, [
            ns for ns in answered if not op.known_bug(ns, args, kwargs, backward=True)])


def numeric_grad(f, arrays, g, eps=1e-6):
    """d<f(arrays), g>/d arrays by central differences, one array at a time."""
    grads = []
    for a in arrays:
        if a is None:
            grads.append(None)
            continue
        grad = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + eps
            up = np.sum(f() * g)
            a[idx] = old - eps
            down = np.sum(f() * g)
            a[idx] = old
            grad[idx] = (up - down) / (2 * eps)
        grads.append(grad)
    return grads


def on_torch(call):
    """``call(ops)`` written against ``numpy_ops``, run on ``torch_ops`` instead: every NumPy
    array argument becomes a tensor. For the bad-input tables of the twins."""
    from cnnlib import torch_ops

    def convert(v):
        return torch.from_numpy(v) if isinstance(v, np.ndarray) else v

    class OnTorch:
        def __getattr__(self, name):
            return lambda *a, **k: getattr(torch_ops, name)(*[convert(x) for x in a],
                                                            **{n: convert(x) for n, x in k.items()})
    return lambda: call(OnTorch())
