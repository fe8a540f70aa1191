"""Small synthetic datasets with hand-known structure for the profiling tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_core.data.dataset import Dataset

GENRES = ["科幻", "动作", "爱情", "剧情", "喜剧", "动画"]


def planted_dataset(n_per_group: int = 40, seed: int = 7, own: int = 16) -> tuple[Dataset, dict]:
    """3 planted audience groups; group g watches and likes genres 2g and 2g+1.

    60 films, 10 per genre (one genre each); every user rates ``own`` films of the group's two
    genres (4-5 stars) and 4 other films (1-3 stars). Returns (dataset, user -> group).
    """
    rng = np.random.default_rng(seed)
    items = pd.DataFrame(
        {
            "item_id": [f"F{k:02d}" for k in range(60)],
            "title": [f"片{k:02d}" for k in range(60)],
            "genres": [[GENRES[k // 10]] for k in range(60)],
            "year": [1990 + k % 30 for k in range(60)],
            "region": ["中国大陆" if k % 2 else "美国" for k in range(60)],
        }
    )
    rows, users, truth = [], [], {}
    t0 = pd.Timestamp("2024-01-01")
    for g in range(3):
        own_items = np.arange(20 * g, 20 * g + 20)
        other = np.setdiff1d(np.arange(60), own_items)
        for k in range(n_per_group):
            u = f"u{g}{k:03d}"
            truth[u] = g
            users.append(
                {
                    "user_id": u,
                    "age": int(rng.integers(18, 60)),
                    "gender": rng.choice(["男", "女"]),
                    "city": rng.choice(["一线城市", "二线城市"]),
                }
            )
            for i in rng.choice(own_items, own, replace=False):
                rows.append(
                    (u, f"F{i:02d}", float(rng.integers(4, 6)), t0 + pd.Timedelta(days=int(rng.integers(0, 300))))
                )
            for i in rng.choice(other, 4, replace=False):
                rows.append(
                    (u, f"F{i:02d}", float(rng.integers(1, 4)), t0 + pd.Timedelta(days=int(rng.integers(0, 300))))
                )
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    return Dataset.from_frames(inter, items, pd.DataFrame(users), rating_scale=(1, 5), name="planted"), truth


@pytest.fixture(scope="session")
def planted():
    return planted_dataset()


@pytest.fixture(scope="session")
def planted_full():
    """Every user rates all 20 films of the group's genres: hidden likers are the group's only non-raters."""
    return planted_dataset(own=20)


@pytest.fixture()
def tiny():
    """Two users, three films; numbers checked by hand in the tests."""
    t0 = pd.Timestamp("2024-01-01")
    inter = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b", "b"],
            "item_id": ["x", "y", "x", "z", "y"],
            "rating": [5.0, 3.0, 3.0, 4.0, np.nan],
            "timestamp": [
                t0,
                t0 + pd.Timedelta(days=10),
                t0 + pd.Timedelta(days=5),
                t0 + pd.Timedelta(days=20),
                t0 + pd.Timedelta(days=12),
            ],
            "text": [None, "剧情精彩，配乐动人", None, None, "特效震撼，节奏紧凑"],
        }
    )
    items = pd.DataFrame(
        {
            "item_id": ["x", "y", "z"],
            "title": ["X", "Y", "Z"],
            "genres": [["动作"], ["爱情"], ["动作", "爱情"]],
            "year": [1995, 2003, 2008],
        }
    )
    users = pd.DataFrame({"user_id": ["a", "b"], "age": [23, 41], "gender": ["女", "男"]})
    return Dataset.from_frames(inter, items, users, rating_scale=(1, 5), name="tiny")
