"""MovieLens 100K loading shared by the model benchmarks (reads the files in place, never copies them)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _data import ml100k  # noqa: E402


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
