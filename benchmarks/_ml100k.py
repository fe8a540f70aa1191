"""MovieLens 100K loading shared by the model benchmarks (reads the files in place, never copies them)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

ML100K = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "movielens-100k"
if not ML100K.exists():
    ML100K = Path("/work/shared/data/movielens-100k")


def load_ml100k():
    """(interactions, items) canonical frames, or exit cleanly when the data is absent."""
    path = ML100K / "u.data"
    if not path.exists():
        print(f"MovieLens 100K not found at {path}; nothing to benchmark.")
        sys.exit(0)
    df = pd.read_csv(path, sep="\t", names=["user_id", "item_id", "rating", "ts"])
    df["user_id"] = df["user_id"].astype(str)
    df["item_id"] = df["item_id"].astype(str)
    df["rating"] = df["rating"].astype(float)
    df["timestamp"] = pd.to_datetime(df.pop("ts"), unit="s")
    df["text"] = None
    items = None
    if (ML100K / "u.item").exists() and (ML100K / "u.genre").exists():
        genres = [ln.split("|")[0] for ln in (ML100K / "u.genre").read_text(encoding="latin-1").splitlines() if ln.strip()]
        it = pd.read_csv(ML100K / "u.item", sep="|", header=None, encoding="latin-1")
        flags = it.iloc[:, 5:5 + len(genres)].to_numpy()
        items = pd.DataFrame({
            "item_id": it[0].astype(str), "title": it[1],
            "genres": [[g for g, f in zip(genres, row) if f] for row in flags],
            "year": pd.to_datetime(it[2], format="%d-%b-%Y", errors="coerce").dt.year.astype("Int64"),
            "region": None, "synopsis": None, "people": [[] for _ in range(len(it))],
        })
    return df, items


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
    return (f"machine: {os.cpu_count()} cores, load average {one:.1f} (1 min) / {five:.1f} (5 min); "
            f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
