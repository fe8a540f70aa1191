"""A/B tests between two recommenders.

* Side by side: :func:`overlap` (Jaccard of two lists, shared items).
* Offline A/B: :func:`offline_ab` fits both models on the same random holdout, scores hit rate@K and
  NDCG@K per user, bootstraps 95% confidence intervals over users (paired resampling, so the CI of the
  difference accounts for the pairing) and runs a paired test across users, with the answer in words.
* Online-style A/B: :func:`assign_arm` (stable sha256 hash of the visitor id -> arm),
  :func:`online_summary` (feedback events and like-rate per arm), :func:`two_proportion_ztest`, and
  :func:`min_sample_size` (per arm, for a baseline rate and a detectable lift).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..data.dataset import relevance_threshold
from ..evaluation import metrics as M
from ..evaluation.significance import paired_test_values
from ..evaluation.splits import Holdout
from ..trainset import Trainset

DEFAULT_SALT = "cinelens-ab"


# ---------------------------------------------------------------------------- side by side
def overlap(list_a, list_b) -> dict:
    """{"jaccard", "shared" (in list_a order), "only_a", "only_b"} of two lists of ids."""
    a, b = [str(x) for x in list_a], [str(x) for x in list_b]
    sa, sb = set(a), set(b)
    union = sa | sb
    return {
        "jaccard": len(sa & sb) / len(union) if union else float("nan"),
        "shared": [x for x in a if x in sb],
        "only_a": [x for x in a if x not in sb],
        "only_b": [x for x in b if x not in sa],
    }


# ---------------------------------------------------------------------------- online-style
def assign_arm(visitor_id, arms=("A", "B"), salt: str = DEFAULT_SALT) -> str:
    """The arm of a visitor: sha256(salt:visitor_id) as an integer, modulo the number of arms.

    Stable across sessions, servers and Python versions (no ``hash()`` randomisation).
    """
    arms = list(arms)
    if not arms:
        raise ValueError("need at least one arm")
    h = hashlib.sha256(f"{salt}:{visitor_id}".encode()).hexdigest()
    return arms[int(h[:16], 16) % len(arms)]


@dataclass(frozen=True)
class ZTest:
    rate_a: float
    rate_b: float
    n_a: int
    n_b: int
    z: float
    p_value: float

    @property
    def diff(self) -> float:
        return self.rate_b - self.rate_a


def two_proportion_ztest(x_a: int, n_a: int, x_b: int, n_b: int) -> ZTest:
    """Two-sided pooled z-test of p_a = p_b: z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b))."""
    if n_a <= 0 or n_b <= 0:
        nan = float("nan")
        return ZTest(x_a / n_a if n_a > 0 else nan, x_b / n_b if n_b > 0 else nan, int(n_a), int(n_b), nan, nan)
    pa, pb = x_a / n_a, x_b / n_b
    pool = (x_a + x_b) / (n_a + n_b)
    se = math.sqrt(pool * (1 - pool) * (1 / n_a + 1 / n_b))
    if se == 0:
        return ZTest(pa, pb, int(n_a), int(n_b), 0.0, 1.0)
    z = (pb - pa) / se
    return ZTest(pa, pb, int(n_a), int(n_b), float(z), float(2 * stats.norm.sf(abs(z))))


def min_sample_size(
    baseline: float, lift: float, alpha: float = 0.05, power: float = 0.8, relative: bool = True
) -> int:
    """Events per arm to detect a change from ``baseline`` to ``baseline x (1 + lift)`` (or
    ``baseline + lift`` when ``relative=False``) with a two-sided test at ``alpha`` and ``power``::

        n = (z_{1-a/2} sqrt(2 pbar (1 - pbar)) + z_{power} sqrt(p1 (1 - p1) + p2 (1 - p2)))^2 / (p2 - p1)^2
    """
    p1 = float(baseline)
    p2 = p1 * (1 + lift) if relative else p1 + lift
    if not (0 < p1 < 1 and 0 < p2 < 1) or p1 == p2:
        raise ValueError("baseline and baseline + lift must be different rates strictly between 0 and 1")
    za = stats.norm.ppf(1 - alpha / 2)
    zb = stats.norm.ppf(power)
    pbar = (p1 + p2) / 2
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2
    return int(math.ceil(n))


def positive(actions: pd.Series, values: pd.Series, scale) -> np.ndarray:
    """Positive feedback: a like, or a rating at/above the relevance threshold."""
    thr = relevance_threshold(scale)
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return (actions.to_numpy() == "like") | ((actions.to_numpy() == "rate") & (np.nan_to_num(v, nan=-np.inf) >= thr))


def online_summary(fb: pd.DataFrame, arms=("A", "B"), scale=(1.0, 5.0)) -> pd.DataFrame:
    """Per arm: events, likes (positive feedback), like_rate, visitors, models (ids seen)."""
    rows = []
    for arm in arms:
        d = fb[fb["arm"] == arm] if fb is not None and not fb.empty else pd.DataFrame(columns=["action", "value"])
        n = len(d)
        likes = int(positive(d["action"], d["value"], scale).sum()) if n else 0
        rows.append(
            {
                "arm": arm,
                "events": n,
                "likes": likes,
                "like_rate": likes / n if n else float("nan"),
                "visitors": int(d["user_id"].nunique()) if n else 0,
                "models": ", ".join(sorted({str(m) for m in d["model_id"].dropna()})) if n else "",
            }
        )
    return pd.DataFrame(rows, columns=["arm", "events", "likes", "like_rate", "visitors", "models"])


def online_verdict(summary: pd.DataFrame, lift: float = 0.1, alpha: float = 0.05, power: float = 0.8) -> dict:
    """z-test between the first two arms of :func:`online_summary`, plus the sample needed.

    ``verdict``: ``too_little`` (an arm has no events), ``significant`` or ``chance``; ``better`` is
    the better arm when significant. The UI words it from its catalogue.
    """
    a, b = summary.iloc[0], summary.iloc[1]
    z = two_proportion_ztest(int(a.likes), int(a.events), int(b.likes), int(b.events))
    base = a.like_rate if np.isfinite(a.like_rate) and 0 < a.like_rate < 1 else 0.5
    try:
        need = min_sample_size(base, lift, alpha, power)
    except ValueError:
        need = None
    na, nb = int(a.events), int(b.events)
    if na == 0 or nb == 0:
        verdict, better = "too_little", None
    elif np.isfinite(z.p_value) and z.p_value < alpha:
        verdict, better = "significant", (b.arm if z.diff > 0 else a.arm)
    else:
        verdict, better = "chance", None
    return {
        "arm_a": str(a.arm),
        "arm_b": str(b.arm),
        "events_a": na,
        "events_b": nb,
        "z": z.z,
        "p_value": z.p_value,
        "rate_a": z.rate_a,
        "rate_b": z.rate_b,
        "verdict": verdict,
        "better": better,
        "min_n": need,
        "base": float(base),
        "lift": float(lift),
        "power": float(power),
        "alpha": float(alpha),
    }


# ---------------------------------------------------------------------------- offline
@dataclass
class OfflineAB:
    names: tuple[str, str]
    k: int
    per_user: pd.DataFrame  # user_id, hit_rate_a, hit_rate_b, ndcg_a, ndcg_b
    summary: pd.DataFrame  # arm, model, metric, mean, ci_lo, ci_hi
    diffs: pd.DataFrame  # metric, diff (b - a), ci_lo, ci_hi, p_value, test, significant, users
    split: dict


def bootstrap_ci(values, n_boot: int = 1000, seed: int = 0, level: float = 0.95, idx=None) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean (``idx``: a precomputed (n_boot, n) resample index)."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return float("nan"), float("nan")
    if idx is None:
        idx = np.random.default_rng(seed).integers(0, len(v), size=(n_boot, len(v)))
    means = v[idx].mean(axis=1)
    q = (1 - level) / 2
    return float(np.quantile(means, q)), float(np.quantile(means, 1 - q))


def offline_ab(
    ratings: pd.DataFrame,
    scale,
    model_a,
    model_b,
    names=("A", "B"),
    k: int = 10,
    test_size: float = 0.2,
    seed: int = 0,
    n_boot: int = 1000,
    alpha: float = 0.05,
    items_meta=None,
    progress=None,
) -> OfflineAB:
    """Fit unfitted ``model_a`` and ``model_b`` on one seeded holdout and compare them user by user.

    Relevant items: held-out films rated at/above the relevance threshold. Users: test users known
    to the training split with at least one relevant film the training split knows.
    """
    splitter = Holdout(test_size=test_size, seed=seed)
    train, test = next(splitter.split(ratings))
    ts = Trainset.from_frame(train, scale, items_meta=items_meta)
    thr = relevance_threshold(scale)
    rel = test[test["rating"] >= thr]
    uin = ts.inner_uids(rel["user_id"].astype(str).tolist())
    iin = ts.inner_iids(rel["item_id"].astype(str).tolist())
    ok = (uin >= 0) & (iin >= 0)
    sets: dict[int, set] = {}
    for u, i in zip(uin[ok], iin[ok], strict=False):
        sets.setdefault(int(u), set()).add(int(i))
    users = np.array(sorted(sets), dtype=np.int64)
    if len(users) < 2:
        raise ValueError("too few held-out users with a liked film to compare the two models; use more data")
    relevant = [sets[int(u)] for u in users]
    per = {"user_id": ts.users_raw[users]}
    for tag, model in (("a", model_a), ("b", model_b)):
        if progress:
            progress(tag)
        fitted = model.clone().fit(ts)
        top = fitted.top_n_inner(users, k)
        mm = M.ranking_metrics_matrix(top, relevant, k)
        per[f"hit_rate_{tag}"] = mm["hit_rate"]
        per[f"ndcg_{tag}"] = mm["ndcg"]
    per_user = pd.DataFrame(per)[["user_id", "hit_rate_a", "hit_rate_b", "ndcg_a", "ndcg_b"]]
    n = len(per_user)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    srows, drows = [], []
    for metric in ("hit_rate", "ndcg"):
        va, vb = per_user[f"{metric}_a"].to_numpy(), per_user[f"{metric}_b"].to_numpy()
        for arm, name, v in (("A", names[0], va), ("B", names[1], vb)):
            lo, hi = bootstrap_ci(v, idx=idx)
            srows.append(
                {"arm": arm, "model": name, "metric": metric, "mean": float(v.mean()), "ci_lo": lo, "ci_hi": hi}
            )
        d = vb - va
        lo, hi = bootstrap_ci(d, idx=idx)
        _, p = paired_test_values(vb, va, "wilcoxon")
        drows.append(
            {
                "metric": metric,
                "diff": float(d.mean()),
                "ci_lo": lo,
                "ci_hi": hi,
                "p_value": p,
                "test": "wilcoxon",
                "significant": bool(np.isfinite(p) and p < alpha),
                "users": n,
            }
        )
    return OfflineAB(
        tuple(names), int(k), per_user, pd.DataFrame(srows), pd.DataFrame(drows), {**splitter.describe(), "users": n}
    )
