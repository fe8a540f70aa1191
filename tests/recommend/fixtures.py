"""A tiny seeded dataset with two taste groups, built in code (no data files needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_core.data.dataset import Dataset

GENRES = ["剧情", "喜剧", "科幻", "动作"]
REGIONS = ["中国大陆", "美国", "日本"]


def tiny_dataset(n_users: int = 40, n_items: int = 24, seed: int = 7) -> Dataset:
    """Users u01.. in two groups: group 0 loves drama/comedy films, group 1 sci-fi/action films."""
    rng = np.random.default_rng(seed)
    items = []
    for j in range(n_items):
        g = [GENRES[j % 4]] + ([GENRES[(j + 1) % 4]] if j % 3 == 0 else [])
        items.append(
            {
                "item_id": f"m{j + 1:02d}",
                "title": f"影片{j + 1:02d}",
                "genres": "|".join(g),
                "year": 1990 + j,
                "region": REGIONS[j % 3],
                "synopsis": "",
                "people": f"导演{j % 5}",
            }
        )
    rows = []
    t0 = pd.Timestamp("2024-01-01")
    for u in range(n_users):
        grp = u % 2
        for j in range(n_items):
            if rng.random() > 0.45:
                continue
            primary = j % 4
            fan = (grp == 0 and primary in (0, 1)) or (grp == 1 and primary in (2, 3))
            r = int(np.clip(round((4.5 if fan else 2.0) + rng.normal(0, 0.6)), 1, 5))
            rows.append(
                {
                    "user_id": f"u{u + 1:02d}",
                    "item_id": f"m{j + 1:02d}",
                    "rating": float(r),
                    "timestamp": t0 + pd.Timedelta(hours=int(rng.integers(0, 24 * 300))),
                    "text": None,
                }
            )
    users = pd.DataFrame(
        {
            "user_id": [f"u{u + 1:02d}" for u in range(n_users)],
            "gender": ["女" if u % 2 else "男" for u in range(n_users)],
        }
    )
    return Dataset.from_frames(
        pd.DataFrame(rows), items=pd.DataFrame(items), users=users, rating_scale=(1, 5), name="tiny"
    )
