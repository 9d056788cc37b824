"""cnnlib.practice: the checker machinery names a mistake when a wrong answer matches it."""

import numpy as np
import pytest

from cnnlib.practice import Case, Mistake, compare, run_cases


def test_compare_names_the_matching_mistake():
    want = np.arange(6.0).reshape(2, 3)
    compare("f", want.copy(), want)
    with pytest.raises(Mistake, match="f: flipped"):
        compare("f", want[:, ::-1].copy(), want, [("doubled", lambda: 2 * want),
                                                  ("flipped", lambda: want[:, ::-1])])
    with pytest.raises(Mistake, match=r"shape \(3, 2\), expected \(2, 3\)"):
        compare("f", want.T.copy(), want)
    with pytest.raises(Mistake, match="largest difference is 1 at index \\(1, 2\\)"):
        bad = want.copy()
        bad[1, 2] += 1
        compare("f", bad, want)
    with pytest.raises(Mistake, match="dtype is float32"):
        compare("f", want.astype(np.float32), want)
    with pytest.raises(Mistake, match="returned list"):
        compare("f", [1, 2], want)


def test_run_cases_copies_inputs_and_reports(capsys):
    x = np.ones(3)

    def scale_in_place(a):
        a *= 2
        return a

    assert run_cases("double", scale_in_place, [Case("one", (x,), 2 * x), Case("two", (x,), 2 * x)]) == 2
    assert "all 2 cases pass" in capsys.readouterr().out
    assert np.array_equal(x, np.ones(3))

    def todo(a):
        raise NotImplementedError

    with pytest.raises(Mistake, match="not written yet"):
        run_cases("double", todo, [Case("one", (x,), 2 * x)])
    with pytest.raises(TypeError, match="your function"):
        run_cases("double", None, [])
