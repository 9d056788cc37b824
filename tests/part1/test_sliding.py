"""cnnlib.part1.sliding and volumes: the sliding-window pictures of sections 1.3 and 1.5."""

import pytest
from matplotlib.figure import Figure

from cnnlib import shapes
from cnnlib.part1 import sliding, volumes


@pytest.mark.parametrize("f", [1, 3, 5])
def test_named_paddings_give_dumoulin_and_visin_output_sizes(f):
    n = 6
    sizes = {name: shapes.output_size(n, f, sliding.padding_for(name, f)) for name in
             sliding.PADDINGS}
    assert sizes == {"no": n - f + 1, "half": n, "full": n + f - 1}
    for name in sliding.PADDINGS:
        positions = sliding.sliding_positions(n, f, sliding.padding_for(name, f))
        assert len(positions) == sizes[name] ** 2 and positions[0] == (0, 0)


def test_sliding_pictures_change_with_the_step_and_stop_at_the_end():
    from cnnlib.viz.widgets import figure_to_png

    frames = [figure_to_png(sliding.draw_sliding_window(4, 3, "no", k)) for k in range(6)]
    assert len(set(frames[:4])) == 4                 # every output position looks different
    assert frames[4] == frames[5] != frames[3]       # past the end: the finished output
    fig = sliding.draw_sliding_window(4, 3, "full", 0)
    assert isinstance(fig, Figure) and "full padding" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="name"):
        sliding.padding_for("same-ish", 3)
    with pytest.raises(ValueError, match="does not fit"):
        sliding.sliding_positions(2, 3, 0)


def test_volume_picture_covers_every_position():
    assert isinstance(volumes.draw_volume_conv(5, 3, 8), Figure)
    with pytest.raises(ValueError, match="position"):
        volumes.draw_volume_conv(5, 3, 9)
