"""Seeded splitters. Each yields (train_df, test_df) pairs of canonical interaction frames.

* :class:`KFold` – k-fold cross-validation over rated rows (random, seeded).
* :class:`Holdout` – one random holdout of ``test_size`` of the rated rows.
* :class:`Temporal` – one global time cut: the latest ``test_size`` of rated rows (by timestamp) are the test set.
* :class:`UserLeaveLastN` – per user, the latest ``n`` ratings are held out (users with at least n+1 ratings).

:func:`make_splitter` builds one from the names used by the CLI and the Models page.
Only rows with a rating take part; review/view-only rows are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SPLIT_KINDS = ("kfold", "random", "temporal", "user")


def _rated(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["rating"].notna()].reset_index(drop=True)


def _time_order(d: pd.DataFrame) -> np.ndarray:
    """Row positions sorted by timestamp (missing times first, i.e. treated as oldest), ties by row order."""
    if "timestamp" in d:
        ts = pd.to_datetime(d["timestamp"], errors="coerce")
        key = ts.to_numpy("datetime64[ns]").astype("int64")
        key = np.where(ts.isna().to_numpy(), np.iinfo(np.int64).min, key)
    else:
        key = np.zeros(len(d), dtype=np.int64)
    return np.lexsort((np.arange(len(d)), key))


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

    @property
    def n_splits(self) -> int:
        return int(self.n_folds)

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

    n_splits = 1

    def describe(self) -> dict:
        return {"kind": "holdout", "folds": 1, "test_size": self.test_size, "seed": self.seed}


@dataclass
class Temporal:
    """Global time cut: the latest ``test_size`` share of rated rows form the test set.

    Every test row is at least as recent as every training row. Rows without a timestamp count as
    the oldest (they stay in training). Needs timestamps on at least some rows.
    """

    test_size: float = 0.2
    seed: int = 0  # unused (the split is deterministic); kept so every splitter takes a seed
    kind = "temporal"
    n_splits = 1

    def split(self, df: pd.DataFrame):
        d = _rated(df)
        if not 0 < self.test_size < 1:
            raise ValueError("test_size must be between 0 and 1")
        if "timestamp" not in d or pd.to_datetime(d["timestamp"], errors="coerce").notna().sum() == 0:
            raise ValueError("a temporal split needs timestamps; this data has none (use a random or k-fold split)")
        n_test = int(round(len(d) * self.test_size))
        if n_test < 1 or n_test >= len(d):
            raise ValueError(f"only {len(d)} rated rows: too few for a {self.test_size:.0%} temporal holdout")
        order = _time_order(d)
        mask = np.zeros(len(d), dtype=bool)
        mask[order[len(d) - n_test :]] = True
        yield d[~mask], d[mask]

    def describe(self) -> dict:
        return {"kind": "temporal", "folds": 1, "test_size": self.test_size, "seed": self.seed}


@dataclass
class UserLeaveLastN:
    """Per user, hold out the ``n`` most recent ratings (by timestamp, ties and missing times by row order).

    Only users with at least ``n + 1`` ratings contribute test rows, so every test user keeps at
    least one rating in training.
    """

    n: int = 1
    seed: int = 0  # unused (deterministic); kept for a uniform interface
    kind = "user"
    n_splits = 1

    def split(self, df: pd.DataFrame):
        d = _rated(df)
        n = int(self.n)
        if n < 1:
            raise ValueError("leave-last-n needs n >= 1")
        order = _time_order(d)
        users = d["user_id"].to_numpy()[order]
        # position of each row from the end within its user (0 = latest), in time order
        s = pd.Series(np.arange(len(order)), index=pd.Index(users))
        from_end = s.groupby(level=0, sort=False).cumcount(ascending=False).to_numpy()
        counts = pd.Series(users).map(pd.Series(users).value_counts()).to_numpy()
        test_sorted = (from_end < n) & (counts >= n + 1)
        mask = np.zeros(len(d), dtype=bool)
        mask[order[test_sorted]] = True
        if not mask.any():
            raise ValueError(f"no user has at least {n + 1} ratings: nothing to hold out with leave-last-{n}")
        yield d[~mask], d[mask]

    def describe(self) -> dict:
        return {"kind": "user", "folds": 1, "test_size": None, "n": int(self.n), "seed": self.seed}


def make_splitter(kind: str = "kfold", folds: int = 5, test_size: float = 0.2, seed: int = 0, n: int = 1):
    """Build a splitter from its name: ``kfold``, ``random`` (holdout), ``temporal`` or ``user`` (leave-last-n)."""
    kind = (kind or "kfold").strip().lower()
    if kind in ("kfold", "cv"):
        return KFold(int(folds), int(seed))
    if kind in ("random", "holdout"):
        return Holdout(float(test_size), int(seed))
    if kind == "temporal":
        return Temporal(float(test_size), int(seed))
    if kind in ("user", "leave_last_n", "loo"):
        return UserLeaveLastN(int(n), int(seed))
    raise ValueError(f"unknown split {kind!r}; choose from: {', '.join(SPLIT_KINDS)}")
