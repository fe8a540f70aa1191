"""Paired significance tests between two models; the answer is numbers plus a verdict code.

Pairs are the same fold (``by="fold"``: paired t-test over per-fold values) or the same user
(``by="user"``: each user's value averaged over the folds that tested them; Wilcoxon signed-rank by
default, or a paired t-test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .compare import lower_is_better

TESTS = ("t", "wilcoxon")


@dataclass(frozen=True)
class PairedTest:
    model_a: str
    model_b: str
    metric: str
    by: str
    test: str
    n: int
    mean_a: float
    mean_b: float
    statistic: float
    p_value: float
    alpha: float
    lower_is_better: bool

    @property
    def diff(self) -> float:
        """mean_a - mean_b"""
        return self.mean_a - self.mean_b

    @property
    def significant(self) -> bool:
        return bool(np.isfinite(self.p_value) and self.p_value < self.alpha)

    @property
    def better(self) -> str | None:
        """The model with the better mean (None when equal or not comparable)."""
        if not np.isfinite(self.diff) or self.diff == 0:
            return None
        a_better = (self.diff < 0) if self.lower_is_better else (self.diff > 0)
        return self.model_a if a_better else self.model_b

    @property
    def verdict(self) -> str:
        """What the numbers say, as a code the UI words from its catalogue:
        ``incomparable`` (a mean is missing), ``identical``, ``untestable`` (fewer than 2 pairs),
        ``significant`` (p < alpha) or ``chance``."""
        if not (np.isfinite(self.mean_a) and np.isfinite(self.mean_b)):
            return "incomparable"
        if self.diff == 0 and (not np.isfinite(self.p_value) or self.p_value >= 1):
            return "identical"
        if not np.isfinite(self.p_value):
            return "untestable"
        return "significant" if self.p_value < self.alpha else "chance"

    def as_dict(self) -> dict:
        return {
            "model_a": self.model_a,
            "model_b": self.model_b,
            "metric": self.metric,
            "by": self.by,
            "test": self.test,
            "n": self.n,
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "diff": self.diff,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "significant": self.significant,
            "better": self.better,
            "verdict": self.verdict,
        }


def _pairs(frame: pd.DataFrame, a: str, b: str, column: str, by: str) -> tuple[np.ndarray, np.ndarray]:
    if column not in frame.columns:
        raise ValueError(
            f"metric {column!r} is not in the results; available: "
            f"{', '.join(c for c in frame.columns if c not in ('model', 'fold', 'user_id'))}"
        )
    for m in (a, b):
        if m not in set(frame["model"]):
            raise ValueError(
                f"model {m!r} is not in the results; available: {', '.join(dict.fromkeys(frame['model']))}"
            )
    if by == "fold":
        keys = ["fold"]
        xa = frame.loc[frame["model"] == a, [*keys, column]]
        xb = frame.loc[frame["model"] == b, [*keys, column]]
    else:
        # one value per user: the mean over the folds in which the user was tested
        keys = ["user_id"]
        xa = frame.loc[frame["model"] == a].groupby("user_id", sort=False)[column].mean().reset_index()
        xb = frame.loc[frame["model"] == b].groupby("user_id", sort=False)[column].mean().reset_index()
    m = xa.merge(xb, on=keys, suffixes=("_a", "_b"))
    va = m[f"{column}_a"].to_numpy(float)
    vb = m[f"{column}_b"].to_numpy(float)
    ok = np.isfinite(va) & np.isfinite(vb)
    return va[ok], vb[ok]


def paired_test_values(va, vb, test: str = "t") -> tuple[float, float]:
    """(statistic, p-value) of a two-sided paired test. Identical samples give (0, 1); a constant
    non-zero difference gives (inf, 0); fewer than 2 pairs give NaN."""
    va = np.asarray(va, float)
    vb = np.asarray(vb, float)
    d = va - vb
    if len(d) < 2:
        return float("nan"), float("nan")
    if np.allclose(d, 0, rtol=0, atol=1e-12):
        return 0.0, 1.0
    from scipy import stats  # imported here: scipy.stats takes a second to import

    if test == "t":
        if np.allclose(d, d[0], rtol=1e-12, atol=1e-15):
            return float(np.sign(d[0]) * np.inf), 0.0
        r = stats.ttest_rel(va, vb)
        return float(r.statistic), float(r.pvalue)
    if test == "wilcoxon":
        r = stats.wilcoxon(va, vb, zero_method="wilcox", alternative="two-sided")
        return float(r.statistic), float(r.pvalue)
    raise ValueError(f"unknown test {test!r}; choose from: {', '.join(TESTS)}")


def paired_test(
    results,
    model_a: str,
    model_b: str,
    metric: str,
    by: str = "fold",
    test: str | None = None,
    alpha: float = 0.05,
    k: int | None = None,
) -> PairedTest:
    """Paired test of ``metric`` between two models.

    ``results``: an :class:`~recsys_core.evaluation.compare.Evaluation`, or a per-fold / per-user
    DataFrame with columns model, fold (and user_id for ``by="user"``).
    ``metric``: a column (``rmse``, ``ndcg@10``) or a base name (``ndcg``, resolved with ``k``).
    ``test``: ``"t"`` or ``"wilcoxon"``; default t across folds, Wilcoxon across users.
    """
    if by not in ("fold", "user"):
        raise ValueError("by must be 'fold' or 'user'")
    if hasattr(results, "folds"):
        k = k or results.k
        frame = results.folds if by == "fold" else results.users
    else:
        frame = results
    column = metric
    if column not in frame.columns and k is not None and f"{metric}@{k}" in frame.columns:
        column = f"{metric}@{k}"
    test = test or ("t" if by == "fold" else "wilcoxon")
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; choose from: {', '.join(TESTS)}")
    va, vb = _pairs(frame, model_a, model_b, column, by)
    mean_a = float(np.mean(va)) if len(va) else float("nan")
    mean_b = float(np.mean(vb)) if len(vb) else float("nan")
    stat, p = paired_test_values(va, vb, test)
    lower = lower_is_better(column)
    return PairedTest(model_a, model_b, column, by, test, int(len(va)), mean_a, mean_b, stat, p, alpha, lower)
