"""Seeded splitters. Each yields (train_df, test_df) pairs of canonical interaction frames."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def _rated(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["rating"].notna()].reset_index(drop=True)


@dataclass
class KFold:
    n_folds: int = 5
    seed: int = 0
    kind = "kfold"

    def split(self, df: pd.DataFrame):
        d = _rated(df)
        if self.n_folds < 2:
            raise ValueError("k-fold needs at least 2 folds")
        if len(d) < self.n_folds:
            raise ValueError(f"only {len(d)} rated rows: too few for {self.n_folds} folds")
        order = np.random.default_rng(self.seed).permutation(len(d))
        for part in np.array_split(order, self.n_folds):
            mask = np.zeros(len(d), dtype=bool)
            mask[part] = True
            yield d[~mask], d[mask]

    def describe(self) -> dict:
        return {"kind": "kfold", "folds": self.n_folds, "test_size": None, "seed": self.seed}


@dataclass
class Holdout:
    test_size: float = 0.2
    seed: int = 0
    kind = "holdout"

    def split(self, df: pd.DataFrame):
        d = _rated(df)
        if not 0 < self.test_size < 1:
            raise ValueError("test_size must be between 0 and 1")
        n_test = int(round(len(d) * self.test_size))
        if n_test < 1 or n_test >= len(d):
            raise ValueError(f"only {len(d)} rated rows: too few for a {self.test_size:.0%} holdout")
        order = np.random.default_rng(self.seed).permutation(len(d))
        mask = np.zeros(len(d), dtype=bool)
        mask[order[:n_test]] = True
        yield d[~mask], d[mask]

    def describe(self) -> dict:
        return {"kind": "holdout", "folds": 1, "test_size": self.test_size, "seed": self.seed}
