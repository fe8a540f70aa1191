"""Per-user profiles: activity, rating habits, taste affinities, interest tags, sentiment, demographics.

Everything is a plain function of a :class:`~recsys_core.data.dataset.Dataset` and returns a
DataFrame with one row per user (``user_id`` first). Affinities are *normalised against the
population*: a user's share of ratings in a genre divided by the population's share, shrunk
towards 1 for users with few ratings, so 1.0 means "as much as everybody else".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

#: prior strength (in ratings) pulling affinity lifts of light users towards 1
AFFINITY_PRIOR = 5.0
DEMOGRAPHIC_COLUMNS = ["age", "age_band", "gender", "city", "occupation"]


# ---------------------------------------------------------------------------- activity & habits
def activity_table(ds) -> pd.DataFrame:
    """user_id, n_ratings, n_reviews, n_interactions, first_seen, last_seen, active_days, recency_days.

    ``recency_days`` counts days from the user's last event to the last event in the dataset.
    """
    inter = ds.interactions
    g = inter.groupby("user_id", sort=True)
    out = pd.DataFrame({"n_interactions": g.size()})
    out["n_ratings"] = inter["rating"].notna().groupby(inter["user_id"]).sum().astype(int)
    has_text = inter["text"].notna() & (inter["text"].astype(str).str.strip() != "")
    out["n_reviews"] = has_text.groupby(inter["user_id"]).sum().astype(int)
    ts = inter["timestamp"]
    if ts.notna().any():
        first = ts.groupby(inter["user_id"]).min()
        last = ts.groupby(inter["user_id"]).max()
        out["first_seen"] = first
        out["last_seen"] = last
        out["active_days"] = (last - first).dt.total_seconds() / 86400.0
        out["recency_days"] = (ts.max() - last).dt.total_seconds() / 86400.0
    else:
        out["first_seen"] = pd.NaT
        out["last_seen"] = pd.NaT
        out["active_days"] = np.nan
        out["recency_days"] = np.nan
    out = out.reset_index()
    return out[
        [
            "user_id",
            "n_ratings",
            "n_reviews",
            "n_interactions",
            "first_seen",
            "last_seen",
            "active_days",
            "recency_days",
        ]
    ]


def rating_habits(ds) -> pd.DataFrame:
    """user_id, mean_rating, rating_std (population std, ddof=0), harshness.

    harshness = mean over the user's ratings of (r_ui - mean rating of item i); negative means
    the user rates below the crowd.
    """
    r = ds.ratings[["user_id", "item_id", "rating"]]
    if r.empty:
        return pd.DataFrame(columns=["user_id", "mean_rating", "rating_std", "harshness"])
    item_mean = r.groupby("item_id")["rating"].transform("mean")
    dev = r["rating"] - item_mean
    g = r.groupby("user_id")["rating"]
    out = pd.DataFrame(
        {
            "mean_rating": g.mean(),
            "rating_std": g.std(ddof=0),
            "harshness": dev.groupby(r["user_id"]).mean(),
        }
    )
    return out.reset_index()


# ---------------------------------------------------------------------------- affinities
def _decade(y) -> str | None:
    if y is None or pd.isna(y):
        return None
    return f"{int(y) // 10 * 10}s"


def item_attribute(items: pd.DataFrame | None, attribute: str) -> pd.DataFrame:
    """Long table item_id, value for genres / region / decade (empty when missing)."""
    if items is None or items.empty:
        return pd.DataFrame(columns=["item_id", "value"])
    if attribute == "genres":
        long = items[["item_id", "genres"]].explode("genres").rename(columns={"genres": "value"})
    elif attribute == "region":
        long = items[["item_id", "region"]].rename(columns={"region": "value"})
    elif attribute == "decade":
        long = pd.DataFrame({"item_id": items["item_id"], "value": items["year"].map(_decade)})
    else:
        raise ValueError(f"unknown attribute {attribute!r}; use genres, region or decade")
    long = long[long["value"].notna() & (long["value"].astype(str).str.strip() != "")]
    return long.reset_index(drop=True)


def affinity(ds, attribute: str = "genres", prior: float = AFFINITY_PRIOR, liked_only: bool = False) -> pd.DataFrame:
    """users x values lift of share vs population share (index user_id).

    share_u(g) = #rated films of u tagged g / #rated films of u (a film with several genres
    counts for each); pop(g) = the same over all ratings; lift = ((n_ug + prior * pop(g)) /
    (n_u + prior)) / pop(g). 1 = like the population, 2 = twice as often.
    """
    r = ds.ratings
    if liked_only:
        r = r[r["rating"] >= ds.relevance_threshold]
    long = item_attribute(ds.items, attribute)
    users = sorted(ds.ratings["user_id"].unique())
    if long.empty or r.empty:
        return pd.DataFrame(index=pd.Index(users, name="user_id"))
    m = r[["user_id", "item_id"]].merge(long, on="item_id", how="inner")
    counts = pd.crosstab(m["user_id"], m["value"]).reindex(index=users, fill_value=0).astype(float)
    n_u = r.groupby("user_id").size().reindex(users).fillna(0).to_numpy(float)
    pop = counts.sum(axis=0) / max(float(len(r)), 1.0)
    pop = pop[pop > 0]
    counts = counts[pop.index]
    share = (counts.to_numpy() + prior * pop.to_numpy()[None, :]) / (n_u[:, None] + prior)
    lift = share / pop.to_numpy()[None, :]
    out = pd.DataFrame(lift, index=pd.Index(users, name="user_id"), columns=list(pop.index))
    out.attrs["population_share"] = pop.to_dict()
    return out


def top_affinities(aff: pd.DataFrame, n: int = 3, min_lift: float = 1.0) -> pd.Series:
    """Per user, the ``n`` values with the highest lift above ``min_lift``."""
    if aff.shape[1] == 0:
        return pd.Series([[] for _ in range(len(aff))], index=aff.index)
    vals = aff.to_numpy()
    cols = np.asarray(aff.columns, dtype=object)
    order = np.argsort(-vals, axis=1, kind="stable")[:, :n]
    res = []
    for row, idx in zip(vals, order, strict=True):
        res.append([cols[k] for k in idx if row[k] > min_lift])
    return pd.Series(res, index=aff.index)


# ---------------------------------------------------------------------------- text: tags & sentiment
_FALLBACK_STOP = set(
    """的 了 是 我 也 和 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 这个 那个 这部 那部 这样 那样
就是 还是 但是 不过 因为 所以 如果 虽然 然后 而且 还有 自己 什么 怎么 一部 电影 影片 片子 真的 非常 觉得 感觉 有点 一点 一些 可以
还是 不是 没有 已经 比较 特别 这么 那么 实在 其实 确实 最后 看到 看完 看了 一下 之后 时候 开始 里面 出来 起来 一直 只是 不会 不能
这种 那种 很多 太 很 又 在 有 不 人 都 被 把 给 让 对 也 吧 啊 呢 吗 呀 哦 嗯 啦 得 地 之 中 上 下 个 部 次 the a an and of to
is it this that was for in on with film movie""".split()
)


_STOP_CACHE: dict[str, frozenset] = {}


def load_stopwords() -> frozenset:
    """The shared Chinese stop list ``data/stopwords_zh.txt`` when present, plus a small built-in list."""
    if "stop" in _STOP_CACHE:
        return _STOP_CACHE["stop"]
    words = set(_FALLBACK_STOP)
    path = Path(__file__).resolve().parents[2] / "data" / "stopwords_zh.txt"
    if path.exists():
        try:
            words |= {w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip()}
        except OSError:
            pass
    _STOP_CACHE["stop"] = frozenset(words)
    return _STOP_CACHE["stop"]


_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9]*$")


def tokenize(
    texts: Iterable[str], cache_dir: str | Path | None = None, ds=None, workspace=None, cache_key: str | None = None
) -> list[list[str]]:
    """Content tokens per text (stop words, digits, punctuation and single characters dropped).

    Uses the shared review tokenizer of :mod:`recsys_core.text.tokenize` when it is installed (one
    jieba pass per dataset, titles and names kept whole, cached in the workspace), else plain jieba.
    """
    texts = ["" if t is None else str(t) for t in texts]
    stop = load_stopwords()
    raw = None
    try:
        from ..text.tokenize import get_tokenizer, tokenize_reviews
    except ImportError:
        get_tokenizer = None
    if get_tokenizer is not None:
        try:
            raw = tokenize_reviews(
                texts, get_tokenizer(ds, tmp_dir=cache_dir), workspace=workspace, cache_key=cache_key
            ).tokens
        except (OSError, ValueError, TypeError, AttributeError):
            raw = None
    if raw is None:
        import jieba

        if cache_dir is not None:
            jieba.dt.tmp_dir = str(cache_dir)
        jieba.setLogLevel(60)
        jieba.initialize()
        raw = [jieba.lcut(t) for t in texts]
    out = []
    for toks in raw:
        toks = [w.strip().lower() for w in toks]
        out.append([w for w in toks if len(w) >= 2 and _WORD.match(w) and w not in stop])
    return out


def _name_fragments(items: pd.DataFrame | None) -> set[str]:
    """Every 2+ character piece of the people names, and every title, in the catalogue
    (tags are interests, not names)."""
    out: set[str] = set()
    if items is None:
        return out
    if "title" in items:
        out |= {str(x).strip().lower() for x in items["title"].dropna()}
    if "people" not in items:
        return out
    for people in items["people"]:
        for name in people or []:
            n = str(name).strip().lower()
            for a in range(len(n)):
                for b in range(a + 2, min(len(n), a + 8) + 1):
                    out.add(n[a:b])
    return out


def interest_tags(ds, top_n: int = 5, cache_dir: str | Path | None = None, workspace=None) -> pd.Series:
    """Per user, the ``top_n`` words of their reviews by TF-IDF (jieba tokens, a stop list,
    IDF over users' review documents). Users without reviews get []."""
    rev = ds.reviews
    users = sorted(ds.interactions["user_id"].unique())
    if rev.empty:
        return pd.Series([[] for _ in users], index=pd.Index(users, name="user_id"), name="tags")
    toks = tokenize(rev["text"].tolist(), cache_dir=cache_dir, ds=ds, workspace=workspace, cache_key=ds.version)
    names = _name_fragments(ds.items)
    if names:
        toks = [[w for w in tk if w not in names] for tk in toks]
    docs: dict[str, Counter] = {}
    for u, tk in zip(rev["user_id"].to_numpy(), toks, strict=True):
        docs.setdefault(u, Counter()).update(tk)
    n_docs = len(docs)
    df_count: Counter = Counter()
    for c in docs.values():
        df_count.update(c.keys())
    tags = {}
    for u, c in docs.items():
        total = sum(c.values()) or 1
        scored = sorted(((tf / total) * (np.log((1 + n_docs) / (1 + df_count[w])) + 1.0), w) for w, tf in c.items())
        scored.sort(key=lambda x: (-x[0], x[1]))
        tags[u] = [w for _, w in scored[:top_n]]
    return pd.Series([tags.get(u, []) for u in users], index=pd.Index(users, name="user_id"), name="tags")


def _film_domain_scores(ds, workspace=None) -> pd.DataFrame | None:
    """Per-review film-domain sentiment (``recsys_core.text.sentiment``, trained on the dataset's own
    stars, out-of-fold) when that module is installed and the data has enough polar star reviews."""
    try:
        from ..text import sentiment as S
    except ImportError:
        return None
    try:
        if S.best_method(ds) != "stars":
            return None
        res = S.score_dataset(ds, method="stars", workspace=workspace)
    except Exception:  # optional enrichment: fall back to stars on any failure
        return None
    return res.frame[["user_id", "score"]]


def sentiment_tendency(ds, use_text_model: bool = True, workspace=None) -> tuple[pd.Series, str]:
    """Per user, mean positivity in [0, 1] of their reviews, and where it came from.

    With ``use_text_model`` the film-domain review model of :mod:`recsys_core.text.sentiment` scores the
    texts (when available); otherwise the stars of reviewed rows ((r - lo) / (hi - lo)); users with no
    reviewed rating get NaN. Returns (series indexed by user_id, source) with source in
    {"text-model", "stars", "none"}.
    """
    users = sorted(ds.interactions["user_id"].unique())
    idx = pd.Index(users, name="user_id")
    rev = ds.reviews
    if use_text_model and not rev.empty:
        frame = _film_domain_scores(ds, workspace)
        if frame is not None and len(frame):
            s = frame.groupby("user_id")["score"].mean()
            return s.reindex(idx).rename("sentiment"), "text-model"
    lo, hi = ds.rating_scale
    rr = rev[rev["rating"].notna()]
    if rr.empty:
        rr = ds.ratings  # no reviews: a star-derived tendency over all ratings
        if rr.empty:
            return pd.Series(np.nan, index=idx, name="sentiment"), "none"
    s = ((rr["rating"] - lo) / max(hi - lo, 1e-9)).groupby(rr["user_id"]).mean()
    return s.reindex(idx).rename("sentiment"), "stars"


# ---------------------------------------------------------------------------- the profile table
def build_profiles(
    ds,
    tags: bool = True,
    sentiment: bool = True,
    top_n_tags: int = 5,
    cache_dir: str | Path | None = None,
    use_text_model: bool = False,
    workspace=None,
) -> pd.DataFrame:
    """One row per user: activity, habits, top genres/regions/decades, tags, sentiment, demographics.

    Affinity matrices are attached as ``profiles.attrs["affinity"][attribute]`` (DataFrames)
    and the sentiment source as ``profiles.attrs["sentiment_source"]``.
    """
    act = activity_table(ds)
    hab = rating_habits(ds)
    prof = act.merge(hab, on="user_id", how="left")
    affs = {}
    for attr in ("genres", "region", "decade"):
        a = affinity(ds, attr)
        if a.shape[1]:
            affs[attr] = a
            prof["top_" + ("genres" if attr == "genres" else attr + "s")] = prof["user_id"].map(top_affinities(a))
    if "top_genres" not in prof:
        prof["top_genres"] = [[] for _ in range(len(prof))]
    if tags:
        prof["tags"] = prof["user_id"].map(interest_tags(ds, top_n_tags, cache_dir, workspace))
        prof["tags"] = prof["tags"].map(lambda v: v if isinstance(v, list) else [])
    source = "none"
    if sentiment:
        s, source = sentiment_tendency(ds, use_text_model, workspace)
        prof["sentiment"] = prof["user_id"].map(s).astype(float)
    if ds.users is not None and not ds.users.empty:
        demo = ds.users[["user_id"] + [c for c in DEMOGRAPHIC_COLUMNS if c in ds.users]]
        demo = demo.loc[:, [c for c in demo.columns if c == "user_id" or demo[c].notna().any()]]
        prof = prof.merge(demo, on="user_id", how="left")
    prof.attrs["affinity"] = affs
    prof.attrs["sentiment_source"] = source
    return prof


NUMERIC_PROFILE_COLUMNS = [
    "n_ratings",
    "n_reviews",
    "active_days",
    "recency_days",
    "mean_rating",
    "rating_std",
    "harshness",
    "sentiment",
    "age",
]


def population_summary(profiles: pd.DataFrame) -> pd.DataFrame:
    """Median, mean, 25th and 75th percentiles of every numeric profile column."""
    cols = [c for c in NUMERIC_PROFILE_COLUMNS if c in profiles and profiles[c].notna().any()]
    rows = []
    for c in cols:
        v = pd.to_numeric(profiles[c], errors="coerce").dropna().astype(float)
        rows.append(
            {"metric": c, "mean": v.mean(), "median": v.median(), "p25": v.quantile(0.25), "p75": v.quantile(0.75)}
        )
    return pd.DataFrame(rows)


def profile_card(profiles: pd.DataFrame, user_id) -> dict:
    """A user's profile beside the population: {"user_id", "metrics": DataFrame, "lists": {...},
    "demographics": {...}, "genre_affinity": DataFrame}. Raises ValueError for an unknown id."""
    from ..data.schema import normalise_id

    uid = normalise_id(user_id)
    row = profiles[profiles["user_id"] == uid]
    if uid is None or row.empty:
        raise ValueError(f"user {user_id!r} is not in this dataset; pick an id from the list")
    row = row.iloc[0]
    pop = population_summary(profiles).set_index("metric")
    metrics = []
    for c in pop.index:
        v = row.get(c)
        if v is None or pd.isna(v):
            continue
        col = pd.to_numeric(profiles[c], errors="coerce").dropna().astype(float)
        pct = float((col < float(v)).mean() + 0.5 * (col == float(v)).mean())
        metrics.append(
            {
                "metric": c,
                "user": float(v),
                "population_median": float(pop.loc[c, "median"]),
                "population_mean": float(pop.loc[c, "mean"]),
                "percentile": pct,
            }
        )
    lists = {
        k: list(row[k])
        for k in ("top_genres", "top_regions", "top_decades", "tags")
        if k in row.index and isinstance(row[k], list)
    }
    demographics = {c: row[c] for c in DEMOGRAPHIC_COLUMNS if c in row.index and not pd.isna(row[c])}
    ga = profiles.attrs.get("affinity", {}).get("genres")
    gaff = None
    if ga is not None and uid in ga.index:
        gaff = pd.DataFrame({"genre": ga.columns, "lift": ga.loc[uid].to_numpy(float)})
        gaff = gaff.sort_values("lift", ascending=False).reset_index(drop=True)
    return {
        "user_id": uid,
        "metrics": pd.DataFrame(metrics),
        "lists": lists,
        "demographics": demographics,
        "genre_affinity": gaff,
    }
