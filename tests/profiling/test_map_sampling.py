"""The segment map draws at most MAP_MAX_POINTS users (a seeded sample) and its title says so."""

import numpy as np
import pandas as pd

from ui.audience import map_chart


def _xy(n):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"user_id": [f"u{k}" for k in range(n)], "segment": np.arange(n) % 3, "x": rng.random(n), "y": rng.random(n)}
    )


def test_large_maps_are_sampled_and_say_so():
    names = {0: "a", 1: "b", 2: "c"}
    fig = map_chart(_xy(6_000), names, max_points=5_000)
    assert sum(len(tr.x) for tr in fig.data) == 5_000
    assert "5,000" in fig.layout.title.text and "6,000" in fig.layout.title.text
    again = map_chart(_xy(6_000), names, max_points=5_000)
    assert [list(tr.customdata[:, 0]) for tr in fig.data] == [list(tr.customdata[:, 0]) for tr in again.data]
    small = map_chart(_xy(100), names, max_points=5_000)
    assert sum(len(tr.x) for tr in small.data) == 100
    assert "5,000" not in small.layout.title.text
