"""Did the campaign work? Conversion uplift with and without a randomised control.

* :func:`campaign_lift` - randomised test / control: uplift (test rate - control rate) with a 95 %
  Wald interval, two-proportion z-test, bootstrap interval and p-value, incremental conversions,
  cost per incremental conversion, uplift per segment and per channel;
* :func:`diff_in_diff` - no control group: exposed users' change in an outcome from the behaviour
  log (watch events per week, before vs after the first exposure) minus the change of matched
  non-exposed users. Weaker evidence: matching only removes differences that were measured;
* :func:`uplift_model` - two-model (T-learner) uplift on profile features: who responded most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import UserError
from .tables import per_user

Z95 = 1.959963984540054


def _norm_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def two_proportion(x1: int, n1: int, x0: int, n0: int) -> dict:
    """Difference of proportions p1 - p0: Wald 95 % interval (unpooled SE) and the two-sided
    p-value of the pooled two-proportion z-test."""
    if n1 == 0 or n0 == 0:
        raise UserError("both arms need users: a randomised comparison needs test and control rows")
    p1, p0 = x1 / n1, x0 / n0
    diff = p1 - p0
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    pool = (x1 + x0) / (n1 + n0)
    se0 = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n0))
    z = diff / se0 if se0 > 0 else 0.0
    return {
        "rate_test": p1,
        "rate_control": p0,
        "uplift": diff,
        "se": se,
        "ci_low": diff - Z95 * se,
        "ci_high": diff + Z95 * se,
        "z": z,
        "p_value": 2 * _norm_sf(abs(z)),
    }


def bootstrap_uplift(y1: np.ndarray, y0: np.ndarray, n_boot: int = 2000, seed: int = 0) -> dict:
    """Percentile bootstrap interval of the uplift and a two-sided bootstrap p-value
    (share of resamples on the other side of zero, doubled)."""
    rng = np.random.default_rng(seed)
    n1, n0 = len(y1), len(y0)
    s1 = rng.binomial(n1, y1.mean(), size=n_boot) / n1 if n1 else np.zeros(n_boot)
    s0 = rng.binomial(n0, y0.mean(), size=n_boot) / n0 if n0 else np.zeros(n_boot)
    d = s1 - s0
    diff = float(y1.mean() - y0.mean())
    side = np.mean(d <= 0) if diff > 0 else np.mean(d >= 0)
    return {
        "boot_ci_low": float(np.quantile(d, 0.025)),
        "boot_ci_high": float(np.quantile(d, 0.975)),
        "boot_p_value": float(min(1.0, 2 * side)),
    }


@dataclass
class LiftResult:
    campaign: str
    n_test: int
    n_control: int
    stats: dict  # rate_test, rate_control, uplift, ci_low, ci_high, z, p_value, boot_*
    incremental: float
    spend: float | None
    cost_per_incremental: float | None
    by_segment: pd.DataFrame | None
    by_channel: pd.DataFrame | None
    notes: list = field(default_factory=list)

    def summary(self) -> dict:
        s = self.stats
        return {
            "campaign": self.campaign,
            "n_test": self.n_test,
            "n_control": self.n_control,
            "rate_test": s["rate_test"],
            "rate_control": s["rate_control"],
            "uplift": s["uplift"],
            "ci_low": s["ci_low"],
            "ci_high": s["ci_high"],
            "p_value": s["p_value"],
            "boot_ci_low": s.get("boot_ci_low"),
            "boot_ci_high": s.get("boot_ci_high"),
            "boot_p_value": s.get("boot_p_value"),
            "incremental": self.incremental,
            "spend": self.spend,
            "cost_per_incremental": self.cost_per_incremental,
        }


def campaigns(exposures: pd.DataFrame) -> pd.DataFrame:
    """Per campaign: users, arms present, and which analysis applies (randomised / no_control)."""
    if "campaign" not in exposures:
        exposures = exposures.assign(campaign="campaign")
    rows = []
    for c, g in exposures.groupby("campaign", sort=True):
        arms = set(per_user(g)["arm"])
        kind = "randomised" if {"test", "control"} <= arms else "no_control"
        rows.append({"campaign": str(c), "users": int(g["user_id"].nunique()), "arms": sorted(arms), "analysis": kind})
    return pd.DataFrame(rows)


def _pick_campaign(exposures: pd.DataFrame, campaign: str | None) -> tuple[pd.DataFrame, str]:
    if "campaign" not in exposures:
        return exposures.assign(campaign="campaign"), "campaign"
    names = sorted(exposures["campaign"].astype(str).unique())
    if campaign is None:
        cs = campaigns(exposures)
        rnd = cs[cs["analysis"] == "randomised"]
        campaign = str(rnd["campaign"].iloc[0]) if len(rnd) else names[0]
    if str(campaign) not in names:
        raise UserError(f"exposure log: no campaign {campaign!r}; campaigns are {', '.join(names)}")
    return exposures[exposures["campaign"].astype(str) == str(campaign)], str(campaign)


def _group_uplift(users: pd.DataFrame, by: str, min_users: int = 20) -> pd.DataFrame:
    rows = []
    for v, g in users.groupby(by, sort=True, dropna=True):
        t, c = g[g["arm"] == "test"], g[g["arm"] == "control"]
        if len(t) < min_users or len(c) < min_users:
            continue
        s = two_proportion(int(t["converted"].sum()), len(t), int(c["converted"].sum()), len(c))
        rows.append(
            {
                by: v,
                "n_test": len(t),
                "n_control": len(c),
                "rate_test": s["rate_test"],
                "rate_control": s["rate_control"],
                "uplift": s["uplift"],
                "ci_low": s["ci_low"],
                "ci_high": s["ci_high"],
                "p_value": s["p_value"],
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values("uplift", ascending=False, kind="stable").reset_index(drop=True) if len(out) else out


def campaign_lift(
    exposures: pd.DataFrame,
    campaign: str | None = None,
    spend: float | None = None,
    segments: pd.DataFrame | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    min_group: int = 20,
) -> LiftResult:
    """Randomised test vs control on one campaign (the first randomised one by default)."""
    df, name = _pick_campaign(exposures, campaign)
    users = per_user(df)
    arms = set(users["arm"])
    if not {"test", "control"} <= arms:
        only = ", ".join(sorted(map(str, arms)))
        raise UserError(
            f"campaign {name}: column 'arm' has only {only}; a randomised comparison needs both test and control "
            "rows - add the control group, or use the without-control analysis (difference-in-differences with a "
            "behaviour log)"
        )
    if spend is not None and spend < 0:
        raise UserError(f"spend is {spend:g}; spend cannot be negative - give the campaign's total cost (>= 0)")
    t, c = users[users["arm"] == "test"], users[users["arm"] == "control"]
    y1, y0 = t["converted"].to_numpy(float), c["converted"].to_numpy(float)
    stats = two_proportion(int(y1.sum()), len(y1), int(y0.sum()), len(y0))
    stats.update(bootstrap_uplift(y1, y0, n_boot, seed))
    stats["relative_uplift"] = stats["uplift"] / stats["rate_control"] if stats["rate_control"] > 0 else None
    incremental = float(stats["uplift"] * len(t))
    notes = []
    if spend is None and "cost" in users and users["cost"].notna().any():
        spend = float(users["cost"].fillna(0).sum())
        notes.append("spend = sum of the log's cost column")
    cpi = float(spend / incremental) if spend is not None and incremental > 0 else None
    by_seg = None
    if segments is not None and len(segments):
        seg = segments[["user_id", "segment"]].drop_duplicates("user_id")
        by_seg = _group_uplift(users.merge(seg, on="user_id", how="left"), "segment", min_group)
    by_ch = _group_uplift(users, "channel", min_group) if "channel" in users else None
    return LiftResult(name, len(t), len(c), stats, incremental, spend, cpi, by_seg, by_ch, notes)


# ---------------------------------------------------------------------------- without a control
@dataclass
class DidResult:
    campaign: str
    start: pd.Timestamp
    window_days: int
    n_exposed: int
    n_matched: int
    exposed_before: float
    exposed_after: float
    matched_before: float
    matched_after: float
    did: float
    ci_low: float
    ci_high: float
    naive_after_gap: float  # exposed after - all non-exposed after (what a naive comparison would say)
    evidence: str = "weaker"

    def summary(self) -> dict:
        return {k: (str(v) if isinstance(v, pd.Timestamp) else v) for k, v in self.__dict__.items()}


def _strata(match_on: pd.DataFrame | None, users: np.ndarray) -> np.ndarray:
    if match_on is None or match_on.empty:
        return np.zeros(len(users), dtype=object).astype(str)
    m = match_on.reindex(users).astype(str).fillna("?")
    return m.apply(lambda r: "|".join(r.to_numpy()), axis=1).to_numpy(dtype=object).astype(str)


def match_strata(features: pd.DataFrame, describe: pd.DataFrame | None = None, bands: int = 4) -> pd.DataFrame:
    """Strata for matching: activity band (quantiles of log ratings) plus gender and age band."""
    out = pd.DataFrame(index=features.index)
    if "log_ratings" in features:
        out["activity"] = pd.qcut(features["log_ratings"].rank(method="first"), bands, labels=False).astype(str)
    if describe is not None:
        for c in ("gender", "age_band"):
            if c in describe:
                out[c] = describe[c].reindex(out.index).astype(str)
    return out


def _weekly_counts(beh: pd.DataFrame, users: np.ndarray, lo, hi, days: int) -> np.ndarray:
    b = beh[(beh["timestamp"] >= lo) & (beh["timestamp"] < hi)]
    counts = b.groupby("user_id").size().reindex(users).fillna(0).to_numpy(float)
    return counts * 7.0 / days


def diff_in_diff(
    exposures: pd.DataFrame,
    behaviour: pd.DataFrame,
    campaign: str | None = None,
    action: str | None = "watch",
    window_days: int = 28,
    n_boot: int = 1000,
    seed: int = 0,
    match_on: pd.DataFrame | None = None,
) -> DidResult:
    """Before/after change of exposed users minus that of matched non-exposed users.

    Outcome: ``action`` events per week in the behaviour log (all events when None), in
    ``window_days`` before and after the campaign's first exposure. Each exposed user is matched
    (with replacement) to the non-exposed user with the nearest pre-period rate.
    """
    df, name = _pick_campaign(exposures, campaign)
    if "exposed_at" not in df or df["exposed_at"].isna().all():
        raise UserError(
            f"campaign {name}: column 'exposed_at' is missing or empty - the before/after comparison needs "
            "the time of each exposure"
        )
    beh = behaviour
    if action and "action" in beh:
        beh = beh[beh["action"].astype(str).str.lower() == action]
    if beh.empty:
        raise UserError(f"behaviour log: no {action!r} events - the before/after comparison needs them")
    start = pd.Timestamp(df["exposed_at"].min()).normalize()
    d = pd.Timedelta(days=window_days)
    exposed = np.array(sorted(df["user_id"].dropna().unique()), dtype=object)
    everyone = np.array(sorted(set(behaviour["user_id"].dropna()) | set(exposed)), dtype=object)
    others = np.setdiff1d(everyone, exposed)
    if len(others) < 10 or len(exposed) < 10:
        raise UserError(
            f"campaign {name}: {len(exposed)} exposed and {len(others)} non-exposed users in the behaviour log; "
            "the comparison needs at least 10 of each"
        )
    e_pre = _weekly_counts(beh, exposed, start - d, start, window_days)
    e_post = _weekly_counts(beh, exposed, start, start + d, window_days)
    o_pre = _weekly_counts(beh, others, start - d, start, window_days)
    o_post = _weekly_counts(beh, others, start, start + d, window_days)
    # coarsened exact matching on profile strata measured before the campaign (``match_on``: one
    # row per user, categorical columns such as activity band, gender, age band). Matching on the
    # pre-period outcome itself is avoided: with noisy counts it biases the estimate (regression
    # to the mean). Each exposed user is compared with the average non-exposed user of its stratum.
    e_st, o_st = _strata(match_on, exposed), _strata(match_on, others)
    o_change = o_post - o_pre
    stratum_change = pd.Series(o_change).groupby(o_st).mean()
    stratum_pre = pd.Series(o_pre).groupby(o_st).mean()
    stratum_post = pd.Series(o_post).groupby(o_st).mean()
    ok = np.isin(e_st, stratum_change.index.to_numpy())
    if not ok.any():
        raise UserError(f"campaign {name}: no non-exposed users similar to the exposed ones to compare with")
    e_st, e_pre, e_post = e_st[ok], e_pre[ok], e_post[ok]
    delta = (e_post - e_pre) - stratum_change.reindex(e_st).to_numpy()
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for b in range(n_boot):  # resample exposed users and non-exposed users
        ei = rng.integers(0, len(delta), len(delta))
        oi = rng.integers(0, len(o_change), len(o_change))
        sc = pd.Series(o_change[oi]).groupby(o_st[oi]).mean().reindex(e_st[ei]).to_numpy()
        boots[b] = np.nanmean((e_post[ei] - e_pre[ei]) - sc)
    matched_n = int(np.isin(o_st, np.unique(e_st)).sum())
    return DidResult(
        campaign=name,
        start=start,
        window_days=int(window_days),
        n_exposed=len(exposed),
        n_matched=matched_n,
        exposed_before=float(e_pre.mean()),
        exposed_after=float(e_post.mean()),
        matched_before=float(stratum_pre.reindex(e_st).mean()),
        matched_after=float(stratum_post.reindex(e_st).mean()),
        did=float(delta.mean()),
        ci_low=float(np.quantile(boots, 0.025)),
        ci_high=float(np.quantile(boots, 0.975)),
        naive_after_gap=float(e_post.mean() - o_post.mean()),
    )


# ---------------------------------------------------------------------------- uplift model
@dataclass
class UpliftModelResult:
    campaign: str
    scores: pd.DataFrame  # user_id, uplift (predicted), arm, converted
    by_group: pd.DataFrame  # feature, value, users, predicted uplift (mean), observed uplift
    qini: pd.DataFrame  # top share, observed uplift in that top share
    top_observed: float  # observed uplift in the top 30 % by predicted uplift
    rest_observed: float  # observed uplift in the other 70 %


def uplift_model(
    exposures: pd.DataFrame,
    features: pd.DataFrame,
    campaign: str | None = None,
    seed: int = 0,
    describe: pd.DataFrame | None = None,
) -> UpliftModelResult:
    """T-learner: one conversion model on test users, one on control users (gradient boosting on
    profile ``features`` indexed by user_id); uplift = difference of the two predictions. Scores are
    out of fold (2 folds), so the observed uplift among the top-scored users is an honest check."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    df, name = _pick_campaign(exposures, campaign)
    users = per_user(df)
    users = users[users["arm"].isin(["test", "control"])]
    if users["arm"].nunique() < 2:
        raise UserError(f"campaign {name}: the uplift model needs test and control users (column 'arm')")
    X = features.reindex(users["user_id"]).fillna(0.0)
    y = users["converted"].to_numpy(int)
    is_t = (users["arm"] == "test").to_numpy()
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(users)) % 2
    up = np.zeros(len(users))

    def fit(mask):
        if len(np.unique(y[mask])) < 2:
            return None
        return HistGradientBoostingClassifier(max_iter=80, max_depth=3, learning_rate=0.05, random_state=seed).fit(
            X.to_numpy()[mask], y[mask]
        )

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # sklearn.ensemble is imported above, so its OpenMP runtime is limited
        for f in (0, 1):
            tr, te = fold != f, fold == f
            mt, mc = fit(tr & is_t), fit(tr & ~is_t)
            pt = mt.predict_proba(X.to_numpy()[te])[:, 1] if mt else np.full(te.sum(), y[tr & is_t].mean())
            pc = mc.predict_proba(X.to_numpy()[te])[:, 1] if mc else np.full(te.sum(), y[tr & ~is_t].mean())
            up[te] = pt - pc
    scores = pd.DataFrame(
        {"user_id": users["user_id"].to_numpy(), "uplift": up, "arm": users["arm"].to_numpy(), "converted": y}
    )
    order = np.argsort(-up, kind="stable")
    rows = []
    for share in (0.1, 0.2, 0.3, 0.5, 0.7, 1.0):
        top = order[: max(1, int(round(share * len(order))))]
        rows.append({"share": share, "observed_uplift": _observed(y[top], is_t[top])})
    k = max(1, int(round(0.3 * len(order))))
    groups = []
    if describe is not None:
        d = describe.reindex(scores["user_id"])
        for col in d.columns:
            for v, idx in scores.groupby(d[col].astype(str).to_numpy()).groups.items():
                if v in ("nan", "None", "<NA>") or len(idx) < 20:
                    continue
                sub = scores.loc[idx]
                groups.append(
                    {
                        "feature": col,
                        "value": v,
                        "users": len(sub),
                        "predicted_uplift": float(sub["uplift"].mean()),
                        "observed_uplift": _observed(sub["converted"].to_numpy(), (sub["arm"] == "test").to_numpy()),
                    }
                )
    by_group = pd.DataFrame(groups)
    if len(by_group):
        by_group = by_group.sort_values("predicted_uplift", ascending=False, kind="stable").reset_index(drop=True)
    return UpliftModelResult(
        name,
        scores,
        by_group,
        pd.DataFrame(rows),
        _observed(y[order[:k]], is_t[order[:k]]),
        _observed(y[order[k:]], is_t[order[k:]]),
    )


def _observed(y: np.ndarray, is_t: np.ndarray) -> float:
    if is_t.sum() == 0 or (~is_t).sum() == 0:
        return float("nan")
    return float(y[is_t].mean() - y[~is_t].mean())
