"""Locate the shared benchmark data (never copied into the repository)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

SHARED = Path(os.environ.get("CINELENS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
ML100K = SHARED / "movielens-100k"
DOUBAN = SHARED / "douban-dev"


def require(path: Path) -> Path:
    if not path.exists():
        print(f"skipped: {path} not found (set CINELENS_SHARED_DATA to the folder holding it)")
        sys.exit(0)
    return path


def ml100k():
    """MovieLens 100K as a CineLens Dataset, read in place through the product's own reader (exits cleanly
    when the shared data is absent)."""
    require(ML100K)
    from recsys_core.data.io import load_path

    return load_path(ML100K)


def surprise_dataset(ratings, rating_scale=(1, 5)):
    """A Surprise Dataset over the (user_id, item_id, rating) columns of a canonical frame."""
    from surprise import Dataset, Reader

    return Dataset.load_from_df(ratings[["user_id", "item_id", "rating"]], Reader(rating_scale=tuple(rating_scale)))
