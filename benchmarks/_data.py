"""The one loader of the shared benchmark data (read in place, never copied into the repository), and
small helpers the benchmarks share. Run a benchmark from the repository root: ``python -m benchmarks.<script>``."""

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


def load_ml100k():
    """(interactions, items) canonical frames through the product's own reader, or exit cleanly when absent."""
    ds = ml100k()
    return ds.interactions, ds.items


class FirstFolds:
    """The first ``n`` folds of a splitter (so a benchmark can run partially on the same folds)."""

    def __init__(self, splitter, n):
        self.splitter, self.n = splitter, n

    def split(self, df):
        for f, pair in enumerate(self.splitter.split(df)):
            if f >= self.n:
                break
            yield pair

    def describe(self):
        return {**self.splitter.describe(), "folds_run": self.n}


def machine_note() -> str:
    """One line on the machine's load, so numbers from a shared box can be read in context."""
    one, five, _ = os.getloadavg()
    return (
        f"machine: {os.cpu_count()} cores, load average {one:.1f} (1 min) / {five:.1f} (5 min); "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}"
    )
