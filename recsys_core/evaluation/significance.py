"""Paired significance tests between two models, with the answer in plain words (zh and en).

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
_TEST_NAMES = {
    "t": ("配对 t 检验", "paired t-test"),
    "wilcoxon": ("Wilcoxon 符号秩检验", "Wilcoxon signed-rank test"),
}
_METRIC_LABELS_ZH = {
    "rmse": "RMSE",
    "mae": "MAE",
    "precision": "准确率",
    "recall": "召回率",
    "ndcg": "NDCG",
    "map": "MAP",
    "hit_rate": "命中率",
    "coverage": "覆盖率",
    "diversity": "多样性",
    "novelty": "新颖度",
    "personalization": "个性化程度",
    "fit_seconds": "训练耗时",
    "test_seconds": "预测耗时",
}
_METRIC_LABELS_EN = {
    "precision": "Precision",
    "recall": "Recall",
    "hit_rate": "hit rate",
    "coverage": "coverage",
    "diversity": "diversity",
    "novelty": "novelty",
    "personalization": "personalization",
    "fit_seconds": "training time",
    "test_seconds": "prediction time",
    "map": "MAP",
    "rmse": "RMSE",
    "mae": "MAE",
    "ndcg": "NDCG",
}


def metric_label(column: str, lang: str = "zh") -> str:
    base, _, k = column.partition("@")
    table = _METRIC_LABELS_ZH if lang == "zh" else _METRIC_LABELS_EN
    label = table.get(base, base)
    return f"{label}@{k}" if k else label


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
    text_zh: str
    text_en: str

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

    def text(self, lang: str = "zh") -> str:
        return self.text_zh if lang == "zh" else self.text_en

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
            "text_zh": self.text_zh,
            "text_en": self.text_en,
        }


def format_p(p: float, lang: str = "en") -> str:
    if not np.isfinite(p):
        return "p=?" if lang == "zh" else "p = ?"
    if p < 0.001:
        return "p<0.001" if lang == "zh" else "p < 0.001"
    s = f"{p:.3f}" if p < 0.01 else f"{p:.2g}" if p < 1 else "1"
    return f"p={s}" if lang == "zh" else f"p = {s}"


def _fmt(x: float) -> str:
    ax = abs(x)
    if ax == 0:
        return "0"
    if ax >= 100:
        return f"{ax:.0f}"
    if ax >= 1:
        return f"{ax:.2f}"
    if ax >= 0.001:
        return f"{ax:.3f}"
    return f"{ax:.2g}"


def _sentences(a, b, column, mean_a, mean_b, p, alpha, test, by, n, lower) -> tuple[str, str]:
    zh_m, en_m = metric_label(column, "zh"), metric_label(column, "en")
    if by == "user":  # the compared numbers are means of per-user values, not the headline metric
        en_m = f"mean per-user {en_m}"
    t_zh, t_en = _TEST_NAMES[test]
    unit_zh = f"{n} 折" if by == "fold" else f"{n} 位用户"
    unit_en = f"{n} folds" if by == "fold" else f"{n} users"
    if not (np.isfinite(mean_a) and np.isfinite(mean_b)):
        return (
            f"{a} 与 {b} 的 {zh_m} 无法比较（至少一个模型没有这个指标）。",
            f"{a} and {b} cannot be compared on {en_m} (at least one has no value for it).",
        )
    d = mean_a - mean_b
    if d == 0 and (not np.isfinite(p) or p >= 1):
        return (
            f"{a} 与 {b} 的 {zh_m} 完全相同，没有差异（{format_p(1.0, 'zh')}）。",
            f"{a} and {b} have the same {en_m}; there is no difference ({format_p(1.0, 'en')}).",
        )
    hint_zh = "越低越好" if lower else "越高越好"
    a_better = (d < 0) if lower else (d > 0)
    dir_zh = "低" if d < 0 else "高"
    dir_en = "lower" if d < 0 else "higher"
    verdict_en = "better" if a_better else "worse"
    head_zh = f"{a} 的 {zh_m} 比 {b} {dir_zh} {_fmt(d)}（{hint_zh}，即{'更好' if a_better else '更差'}）"
    if by == "user":
        head_zh = "按用户平均，" + head_zh
    head_en = f"{a}'s {en_m} is {_fmt(d)} {dir_en} than {b}'s ({verdict_en})"
    if not np.isfinite(p):
        return (
            f"{head_zh}，但样本太少，无法做显著性检验（需要至少 2 个配对值；单次划分请按用户检验）。",
            f"{head_en}, but there are too few pairs to test it (need at least 2; with a single split, "
            f"test across users).",
        )
    how_zh = f"{format_p(p, 'zh')}，{t_zh}，{unit_zh}"
    how_en = f"{format_p(p, 'en')}, {t_en} over {unit_en}"
    if p < alpha:
        return (
            f"{head_zh}，差异在统计上显著（{how_zh}）。",
            f"{head_en}; the difference is unlikely to be chance ({how_en}).",
        )
    return (
        f"{head_zh}，但差异在统计上不显著（{how_zh}），可能只是随机波动。",
        f"{head_en}, but the difference could well be chance ({how_en}).",
    )


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
    zh, en = _sentences(model_a, model_b, column, mean_a, mean_b, p, alpha, test, by, len(va), lower)
    return PairedTest(model_a, model_b, column, by, test, int(len(va)), mean_a, mean_b, stat, p, alpha, lower, zh, en)
