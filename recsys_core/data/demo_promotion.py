"""Synthetic promotion tables for the demo: films (budget, buzz, box office), daily box office,
a campaign exposure log and a behaviour log. Labelled synthetic; seeded; planted structure:

* **box office** is driven by pre-release features (budget, distributor, genre, season,
  certificate, runtime, pre-release buzz) plus noise; post-release columns (rating, votes,
  reviews, opening gross) are consequences of the gross, so using them would be leakage;
* **campaign C1** is randomised (test / control, 50/50) with a planted conversion uplift that is
  larger for the audience group whose taste fits the film and for some channels; its population
  uplift is written to ``promotion/manifest.json``;
* **campaign C2** has no control group: a targeted (more active) set of users is exposed and
  their weekly watch events rise by a planted amount (difference-in-differences finds it);
* the **behaviour log** (browse / search / watch) has group-specific channels and hours.

Generated from its own random stream (``default_rng([seed, 14])``), after the rating tables, so
the existing demo tables do not change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CHANNELS = ["短视频", "社交", "搜索", "信息流", "开屏"]
DISTRIBUTORS = ["华影发行", "星河影业", "光线联合", "北辰电影", "蓝海传媒", "青禾影业", "远山电影", "小岛工作室"]
DIST_EFFECT = np.array([0.55, 0.45, 0.35, 0.1, 0.0, -0.25, -0.4, -0.6])
CERTIFICATES = ["G", "PG", "PG-13", "R"]
CERT_EFFECT = {"G": 0.15, "PG": 0.25, "PG-13": 0.1, "R": -0.55}
GENRE_EFFECT = {
    "剧情": -0.35,
    "喜剧": 0.5,
    "动作": 0.45,
    "爱情": -0.05,
    "科幻": 0.6,
    "悬疑": 0.05,
    "惊悚": -0.2,
    "动画": 0.45,
    "犯罪": 0.1,
    "奇幻": 0.25,
    "战争": 0.2,
    "纪录片": -1.1,
    "家庭": 0.0,
    "历史": -0.35,
    "冒险": 0.3,
    "恐怖": -0.5,
}
MONTH_EFFECT = np.array([0.0, 0.65, 0.6, -0.3, -0.25, 0.0, 0.1, 0.45, 0.4, 0.0, 0.35, -0.35, 0.15])  # index 1..12
# per planted audience group: channel preference and favourite hours
GROUP_CHANNEL = np.array(
    [
        [5, 2, 1, 3, 1],  # 科幻动作迷: short video
        [2, 5, 1, 2, 1],  # 爱情剧情派: social
        [1, 2, 2, 3, 4],  # 动画家庭档: splash / feed
        [2, 2, 5, 2, 1],  # 犯罪悬疑控: search
        [1, 4, 3, 1, 1],  # 文艺纪录派: social / search
        [4, 2, 1, 4, 1],  # 轻松喜剧党: short video / feed
    ],
    float,
)
GROUP_PEAK_HOUR = [23, 21, 19, 22, 20, 12]
CAMPAIGN_CHANNEL_UPLIFT = {"短视频": 0.04, "社交": 0.02, "搜索": 0.0, "信息流": 0.0, "开屏": -0.04}
C1_BASE_UPLIFT = 0.06
C1_GROUP_BONUS = 0.10  # extra uplift for users whose taste fits the film
C2_WEEKLY_LIFT = 0.8  # extra watch events per week for exposed users


def _budget_and_hype(rng, n: int):
    z_budget = rng.normal(0, 1, n)
    # bigger films go to bigger distributors
    logits = -np.arange(len(DISTRIBUTORS))[None, :] * (0.25 + 0.35 * z_budget[:, None])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dist = np.array([rng.choice(len(DISTRIBUTORS), p=row) for row in p])
    return z_budget, dist


def film_features(rng, n: int, genres: list[list[str]], release: np.ndarray, quality: np.ndarray) -> pd.DataFrame:
    """One row per film: pre-release columns, the gross, and post-release columns caused by it."""
    z_budget, dist = _budget_and_hype(rng, n)
    cert_p = np.array([0.2, 0.35, 0.3, 0.15])
    cert = np.array([CERTIFICATES[i] for i in rng.choice(4, size=n, p=cert_p)])
    anim = np.array(["动画" in g or "家庭" in g for g in genres])
    cert = np.where(anim & (cert == "R"), "G", cert)
    scary = np.array(["恐怖" in g for g in genres])
    cert = np.where(scary & (cert == "G"), "R", cert)
    runtime = np.clip(np.round(rng.normal(112 + 8 * z_budget, 12)), 80, 170).astype(int)
    month = pd.DatetimeIndex(release).month.to_numpy()
    g_eff = np.array([np.mean([GENRE_EFFECT.get(x, 0.0) for x in g]) if g else 0.0 for g in genres])
    pre = (
        0.62 * z_budget
        + 1.3 * DIST_EFFECT[dist]
        + 1.5 * g_eff
        + 1.5 * MONTH_EFFECT[month]
        + 1.4 * np.array([CERT_EFFECT[c] for c in cert])
        + 0.01 * (runtime - 112)
    )
    hype = 0.45 * pre + rng.normal(0, 0.45, n)  # buzz follows the film's size, plus its own part
    q = (quality - quality.mean()) / (quality.std() or 1.0)
    log_gross = 17.8 + pre + 0.55 * hype + 0.25 * q + rng.normal(0, 0.42, n)
    gross = np.exp(log_gross)
    budget = np.exp(17.2 + 0.9 * z_budget + rng.normal(0, 0.08, n))
    want = np.exp(9.0 + 0.5 * pre + 1.0 * hype + rng.normal(0, 0.25, n))
    trailer = np.exp(13.0 + 0.4 * pre + 0.9 * hype + rng.normal(0, 0.35, n))
    mentions = np.exp(8.5 + 0.3 * pre + 0.8 * hype + rng.normal(0, 0.4, n))
    rating = np.clip(6.3 + 1.6 * q + rng.normal(0, 0.35, n), 2.0, 9.6)
    votes = np.exp(0.85 * (log_gross - 17.8) + 10.5 + 0.3 * q + rng.normal(0, 0.2, n))
    reviews = np.exp(0.8 * (log_gross - 17.8) + 8.0 + rng.normal(0, 0.25, n))
    open_share = np.clip(0.28 + 0.06 * hype - 0.05 * q + rng.normal(0, 0.03, n), 0.1, 0.6)
    return pd.DataFrame(
        {
            "budget": np.round(budget, -4).astype("int64"),
            "distributor": [DISTRIBUTORS[i] for i in dist],
            "certificate": cert,
            "runtime": runtime,
            "want_to_see": np.round(want).astype("int64"),
            "trailer_views": np.round(trailer, -2).astype("int64"),
            "social_mentions": np.round(mentions).astype("int64"),
            "rating": np.round(rating, 1),
            "votes": np.round(votes).astype("int64"),
            "reviews": np.round(reviews).astype("int64"),
            "opening_gross": np.round(gross * open_share, -3).astype("int64"),
            "gross": np.round(gross, -3).astype("int64"),
        }
    )


def shaped_film_table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A table shaped like the public film tables marketers keep (budget, release date, genre,
    certificate, distributor, runtime, worldwide gross, plus post-release rating and votes):
    no pre-release buzz columns. Used to test the box-office targets without a public table."""
    from .demo import GENRE_WEIGHT, GENRES

    rng = np.random.default_rng([int(seed), 1414])
    p = GENRE_WEIGHT / GENRE_WEIGHT.sum()
    genres = [[str(g) for g in rng.choice(GENRES, size=int(rng.integers(1, 3)), replace=False, p=p)] for _ in range(n)]
    years = rng.integers(2005, 2025, size=n)
    release = np.array(
        [np.datetime64(f"{y}-01-01") + np.timedelta64(int(d), "D") for y, d in zip(years, rng.integers(0, 365, n))]
    )
    quality = rng.normal(0, 0.45, n)
    f = film_features(rng, n, genres, release, quality)
    out = pd.DataFrame(
        {
            "film": [f"F{k:04d}" for k in range(n)],
            "genre": ["|".join(g) for g in genres],
            "release_date": pd.DatetimeIndex(release).strftime("%Y-%m-%d"),
        }
    )
    for c in ("budget", "distributor", "certificate", "runtime", "rating", "votes", "gross"):
        out[c] = f[c].to_numpy()
    return out.rename(columns={"gross": "worldwide_gross"})


def _daily_box_office(rng, films: pd.DataFrame, quality: np.ndarray, start, end, days: int = 35) -> pd.DataFrame:
    rows = []
    rel = pd.to_datetime(films["release_date"])
    for k in np.flatnonzero((rel >= start) & (rel <= end - pd.Timedelta(days=days))):
        d = np.arange(days)
        tau = 6.0 + 4.0 * max(quality[k], -1.0)  # better films hold longer (word of mouth)
        dates = rel.iloc[k] + pd.to_timedelta(d, "D")
        weekend = np.isin(dates.day_of_week, [4, 5, 6])
        w = np.exp(-d / max(tau, 2.0)) * np.where(weekend, 1.5, 1.0) * rng.lognormal(0, 0.08, days)
        share3 = w[:3].sum() / w.sum()
        opening = float(films["opening_gross"].iloc[k])
        total = opening / max(share3, 1e-6)
        daily = total * w / w.sum()
        for dt, v in zip(dates, daily, strict=True):
            rows.append((films["item_id"].iloc[k], dt.strftime("%Y-%m-%d"), int(round(v, -2))))
    return pd.DataFrame(rows, columns=["item_id", "date", "gross"])


def _campaign_target(films: pd.DataFrame, counts: pd.Series, release_lo, release_hi) -> int:
    rel = pd.to_datetime(films["release_date"])
    ok = (rel >= release_lo) & (rel <= release_hi)
    c = counts.reindex(films["item_id"]).fillna(0).to_numpy() * ok.to_numpy()
    return int(np.argmax(c))


def campaign_c1(rng, user_ids, fit: np.ndarray, activity: np.ndarray, group: np.ndarray, start, film_id: str):
    """Randomised campaign: half test, half control. Returns (log, planted population uplift)."""
    n = len(user_ids)
    arm = np.where(rng.permutation(n) < n // 2, "test", "control")
    ch_p = GROUP_CHANNEL[group] / GROUP_CHANNEL[group].sum(axis=1, keepdims=True)
    ch = np.array([rng.choice(len(CHANNELS), p=p) for p in ch_p])
    p0 = np.clip(0.05 + 0.10 * fit + 0.04 * activity, 0.01, 0.6)
    ch_up = np.array([CAMPAIGN_CHANNEL_UPLIFT[CHANNELS[c]] for c in ch])
    up = np.clip(C1_BASE_UPLIFT + C1_GROUP_BONUS * fit + ch_up, 0.0, 0.5)
    planted = float(np.mean(np.clip(p0 + up, 0, 0.95) - p0))
    test = arm == "test"
    p = np.where(test, np.clip(p0 + up, 0, 0.95), p0)
    conv = rng.random(n) < p
    click = np.where(test, rng.random(n) < np.clip(0.04 + 0.5 * up + 0.3 * conv, 0, 1), False)
    secs = rng.integers(0, 7 * 86400, n)
    ts = pd.Timestamp(start) + pd.to_timedelta(secs, "s")
    impressions = np.where(test, rng.integers(2, 9, n), 0)
    log = pd.DataFrame(
        {
            "user_id": user_ids,
            "campaign": "C1",
            "item_id": film_id,
            "arm": arm,
            "channel": [CHANNELS[c] for c in ch],
            "exposed_at": ts.strftime("%Y-%m-%d %H:%M:%S"),
            "impressions": impressions,
            "click": click.astype(int),
            "converted": conv.astype(int),
            "cost": np.round(impressions * 0.045, 3),
        }
    )
    return log, planted


def generate_demo_campaign(seed: int, n_users: int = 800) -> tuple[pd.DataFrame, float]:
    """The demo's randomised campaign (C1) on a fresh population: six taste groups with the demo's
    shares, random activity, uplift larger for the groups whose taste fits the film and for some
    channels. Returns (log, planted population uplift). For coverage checks over many seeds."""
    from .demo import GROUPS

    rng = np.random.default_rng([int(seed), 15])
    shares = np.array([g[1] for g in GROUPS])
    group = rng.choice(len(GROUPS), size=n_users, p=shares / shares.sum())
    fit = np.isin(group, [0, 5]).astype(float)  # the film suits the sci-fi/action and comedy groups
    activity = rng.normal(0, 1, n_users)
    ids = np.array([f"u{k:05d}" for k in range(n_users)], dtype=object)
    return campaign_c1(rng, ids, fit, activity, group, pd.Timestamp("2025-06-01"), "F1")


def generate_campaign(seed: int, n_users: int = 4000, base: float = 0.1, uplift: float = 0.05):
    """A stand-alone randomised exposure log with a known uplift (for coverage tests):
    every user's conversion probability is ``base`` (control) or ``base + uplift`` (test)."""
    rng = np.random.default_rng([int(seed), 7])
    arm = np.where(rng.permutation(n_users) < n_users // 2, "test", "control")
    conv = rng.random(n_users) < np.where(arm == "test", base + uplift, base)
    return pd.DataFrame(
        {
            "user_id": [f"u{k}" for k in range(n_users)],
            "campaign": "X",
            "arm": arm,
            "channel": rng.choice(CHANNELS, n_users),
            "converted": conv.astype(int),
        }
    )


def _behaviour(rng, user_ids, group, activity, user_items: list, start, days: int, c2_exposed, c2_start):
    rows = []
    hours = np.arange(24)
    c2_day = (pd.Timestamp(c2_start) - pd.Timestamp(start)).days
    for u in range(len(user_ids)):
        rate = 0.04 + 0.07 * activity[u]  # events per day
        n_ev = rng.poisson(rate * days)
        day = rng.integers(0, days, n_ev)
        extra = 0
        if c2_exposed[u]:  # the uncontrolled campaign adds watch events after its start
            extra = rng.poisson(C2_WEEKLY_LIFT * (days - c2_day) / 7)
        peak = GROUP_PEAK_HOUR[group[u]]
        hp = np.exp(-0.5 * (((hours - peak + 12) % 24 - 12) / 2.5) ** 2) + 0.05
        hp /= hp.sum()
        ch_p = GROUP_CHANNEL[group[u]] / GROUP_CHANNEL[group[u]].sum()
        items = user_items[u]
        all_days = np.concatenate([day, rng.integers(c2_day, days, extra)])
        actions = np.concatenate(
            [rng.choice(["browse", "search", "watch"], n_ev, p=[0.6, 0.15, 0.25]), np.full(extra, "watch")]
        )
        for d, a in zip(all_days, actions, strict=True):
            h = int(rng.choice(24, p=hp))
            t = pd.Timestamp(start) + pd.Timedelta(days=int(d), hours=h, seconds=int(rng.integers(0, 3600)))
            dur = int(rng.lognormal(8.2, 0.35)) if a == "watch" else int(rng.lognormal(4.0, 0.8))
            rows.append(
                (
                    user_ids[u],
                    t.strftime("%Y-%m-%d %H:%M:%S"),
                    a,
                    items[int(rng.integers(0, len(items)))] if len(items) else "",
                    dur,
                    CHANNELS[int(rng.choice(len(CHANNELS), p=ch_p))],
                )
            )
    df = pd.DataFrame(rows, columns=["user_id", "timestamp", "action", "item_id", "duration_s", "channel"])
    return df.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)


def generate_promotion(seed, items, users, group, inter, latent, group_genres) -> tuple[dict, dict]:
    """The promotion tables for a generated demo dataset. Returns (tables, manifest)."""
    rng = np.random.default_rng([int(seed), 14])
    n = len(items)
    release = np.asarray(latent["release"], dtype="datetime64[D]")
    quality = np.asarray(latent["quality"], float)
    genres = items["genres"].tolist()
    feats = film_features(rng, n, genres, release, quality)
    films = pd.DataFrame(
        {
            "item_id": items["item_id"].to_numpy(),
            "title": items["title"].to_numpy(),
            "genres": ["|".join(g) for g in genres],
            "release_date": pd.DatetimeIndex(release).strftime("%Y-%m-%d"),
            "director": [p[0] if p else "" for p in items["people"]],
            "cast": ["|".join(p[1:]) for p in items["people"]],
        }
    )
    films = pd.concat([films, feats], axis=1)
    daily = _daily_box_office(rng, films, quality, pd.Timestamp("2023-01-01"), pd.Timestamp("2025-12-31"))
    # campaign C1: the most-rated film released in the last months of the data
    counts = inter["item_id"].value_counts()
    k = _campaign_target(films, counts, pd.Timestamp("2025-03-01"), pd.Timestamp("2025-10-31"))
    film_id = str(films["item_id"].iloc[k])
    rel = pd.Timestamp(films["release_date"].iloc[k])
    user_ids = users["user_id"].to_numpy()
    n_rat = inter.groupby("user_id")["rating"].count().reindex(user_ids).fillna(0).to_numpy()
    activity = (np.log1p(n_rat) - np.log1p(n_rat).mean()) / (np.log1p(n_rat).std() or 1.0)
    fits = np.array([any(g in group_genres[gr] for g in genres[k]) for gr in group], float)
    c1, planted = campaign_c1(rng, user_ids, fits, activity, group, rel - pd.Timedelta(days=8), film_id)
    # campaign C2: no control; more active users were targeted
    c2_start = pd.Timestamp("2025-10-01")
    pick = rng.random(len(user_ids)) < np.clip(0.25 + 0.15 * activity, 0.05, 0.9)
    c2 = pd.DataFrame(
        {
            "user_id": user_ids[pick],
            "campaign": "C2",
            "item_id": "",
            "arm": "none",
            "channel": rng.choice(CHANNELS, int(pick.sum())),
            "exposed_at": (c2_start + pd.to_timedelta(rng.integers(0, 86400 * 3, int(pick.sum())), "s")).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "impressions": rng.integers(1, 6, int(pick.sum())),
            "click": (rng.random(int(pick.sum())) < 0.06).astype(int),
            "converted": 0,
        }
    )
    c2["cost"] = np.round(c2["impressions"] * 0.045, 3)
    exposures = pd.concat([c1, c2], ignore_index=True)
    ui = inter.groupby("user_id")["item_id"].agg(list).reindex(user_ids)
    user_items = [v if isinstance(v, list) else [] for v in ui]
    beh_start = pd.Timestamp("2025-08-04")
    behaviour = _behaviour(
        rng, user_ids, group, np.clip(activity + 1.0, 0.1, 4.0), user_items, beh_start, 112, pick, c2_start
    )
    tables = {"films": films, "box_office_daily": daily, "exposures": exposures, "behaviour": behaviour}
    manifest = {
        "synthetic": True,
        "seed": int(seed),
        "tables": {k: int(len(v)) for k, v in tables.items()},
        "planted": {
            "c1_film": film_id,
            "c1_uplift": round(planted, 6),
            "c2_weekly_watch_lift": C2_WEEKLY_LIFT,
            "c2_start": c2_start.strftime("%Y-%m-%d"),
        },
    }
    return tables, manifest
