"""cnnlib.part1.transposed: the stamps of a transposed convolution and the checkerboard rule."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from cnnlib.part1 import transposed as T


def direct_count(n, f, s):
    cover = np.zeros(((n - 1) * s + f,) * 2)
    for i in range(n):
        for j in range(n):
            cover[i * s:i * s + f, j * s:j * s + f] += 1
    return cover


@pytest.mark.parametrize("f", range(1, 8))
@pytest.mark.parametrize("s", range(1, 5))
def test_interior_is_even_exactly_when_s_divides_f(f, s):
    for n in (None, T.smallest_input(f, s), 9):
        if n is not None and n < 4 and n < T.smallest_input(f, s):
            continue
        st = T.stamp_counts(f, s, n)
        assert np.array_equal(st.cover, direct_count(st.n, f, s))
        assert st.even == (f % s == 0), (f, s, st.n)
        assert st.interior.sum() >= s * s                  # at least one whole period


def test_interior_is_where_every_stamp_exists():
    st = T.stamp_counts(3, 2, 5)
    start, stop = T.interior_range(5, 3, 2)
    assert (start, stop) == (2, 9)
    inside = st.cover[st.interior]
    assert sorted(set(inside.tolist())) == [1.0, 2.0, 4.0]   # the checkerboard of section 1.6.2
    assert st.cover.max() == 4 and st.cover.min() == 1


def test_too_small_an_input_is_refused():
    # The bug this module fixes: a 4x4 input leaves no interior for f = 6, s = 1.
    assert T.smallest_input(6, 1) == 6
    with pytest.raises(ValueError, match="too small"):
        T.stamp_counts(6, 1, 4)
    with pytest.raises(TypeError):
        T.stamp_counts(3.0, 2)
    with pytest.raises(ValueError, match="positive"):
        T.stamp_counts(3, 0)


def test_draw_stamps_returns_a_figure_that_states_the_verdict():
    fig = T.draw_stamps(3, 2, 6)
    assert isinstance(fig, Figure)
    assert "uneven" in fig.axes[0].get_title()
    assert "even" in T.draw_stamps(4, 2, 6).axes[0].get_title()
