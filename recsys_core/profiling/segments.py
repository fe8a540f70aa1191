"""Audience segments: feature engineering, K-Means / Gaussian mixture, k by silhouette, personas.

Pipeline::

    profiles -> segment_features (fill, scale, one-hot, log genre lifts, optional review features)
             -> silhouette_curve (k = 2..k_max) -> fit_segments (kmeans | gmm) -> personas -> names

Everything is seeded (``random_state``) so the same data gives the same segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ALGORITHMS = ("kmeans", "gmm")
# automatic k: the largest k whose silhouette is within this much of the best one. Silhouette
# rewards two broad halves; on audiences with several planted taste groups the curve is nearly
# flat from k=2 to the true k and then drops, and differences under ~0.06 are within the noise of
# a silhouette estimate. Marketers need the finer split when it costs almost nothing.
K_TOLERANCE = 0.06
_CATEGORICAL = ["age_band", "gender", "city"]


# ---------------------------------------------------------------------------- features
@dataclass
class FeatureMatrix:
    X: np.ndarray  # scaled features (users x features)
    user_ids: np.ndarray
    columns: list[str]
    groups: dict = field(default_factory=dict)  # feature -> group ("activity", "genre", "demographic", ...)


def segment_features(
    profiles: pd.DataFrame, include_demographics: bool = True, include_reviews: bool = False, genre_weight: float = 2.0
) -> FeatureMatrix:
    """Numeric features for clustering (one row per user, in ``profiles`` order).

    * activity and habits: log1p(n_ratings), active_days, recency_days, mean_rating, rating_std, harshness
    * taste: log of each genre lift (from ``profiles.attrs["affinity"]["genres"]``)
    * demographics (optional): one-hot age_band / gender / city (missing -> its own column dropped)
    * reviews (optional): log1p(n_reviews), sentiment

    Missing numbers are filled with the column median; every column is standardised; the taste
    block is multiplied by ``genre_weight``.
    """
    if profiles.empty:
        raise ValueError("no users to segment; load a dataset with ratings first")
    f = _Columns()
    _behaviour_columns(f, profiles)
    _genre_columns(f, profiles)
    if include_reviews:
        _review_columns(f, profiles)
    if include_demographics:
        _demographic_columns(f, profiles)
    if not f.cols:
        raise ValueError("no usable features: the dataset has no ratings or metadata to segment on")
    X, names = _standardised(f)
    groups = f.groups
    # a one-hot block weighs like one numeric column: each of its m columns gets 1/sqrt(m)
    block = pd.Series([n.split(":")[0] if groups[n] == "demographic" else n for n in names])
    block_size = block.map(block.value_counts()).to_numpy(float)
    w = np.array([genre_weight if groups[n] == "genre" else 1.0 for n in names]) / np.sqrt(block_size)
    X = X * w
    return FeatureMatrix(X, profiles["user_id"].to_numpy(dtype=object), names, {n: groups[n] for n in names})


class _Columns:
    """Feature columns being collected: numeric, missing values filled with the median, all-missing dropped."""

    def __init__(self):
        self.cols: dict[str, np.ndarray] = {}
        self.groups: dict[str, str] = {}

    def add(self, name, values, group) -> None:
        v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
        if np.isnan(v).all():
            return
        self.cols[name] = np.where(np.isnan(v), np.nanmedian(v), v)
        self.groups[name] = group


def _behaviour_columns(f: _Columns, profiles: pd.DataFrame) -> None:
    f.add("log_ratings", np.log1p(profiles["n_ratings"].to_numpy(float)), "activity")
    for c in ("active_days", "recency_days"):
        if c in profiles:
            f.add(c, profiles[c], "activity")
    for c in ("mean_rating", "rating_std", "harshness"):
        if c in profiles:
            f.add(c, profiles[c], "habits")


def _genre_columns(f: _Columns, profiles: pd.DataFrame) -> None:
    ga = profiles.attrs.get("affinity", {}).get("genres")
    if ga is None or not ga.shape[1]:
        return
    g = ga.reindex(profiles["user_id"]).to_numpy(float)
    g = np.log(np.where(np.isfinite(g) & (g > 0), g, 1.0))
    for k, name in enumerate(ga.columns):
        f.add(f"genre:{name}", g[:, k], "genre")


def _review_columns(f: _Columns, profiles: pd.DataFrame) -> None:
    if "n_reviews" in profiles:
        f.add("log_reviews", np.log1p(profiles["n_reviews"].to_numpy(float)), "reviews")
    if "sentiment" in profiles:
        f.add("sentiment", profiles["sentiment"], "reviews")


def _demographic_columns(f: _Columns, profiles: pd.DataFrame) -> None:
    for c in _CATEGORICAL:
        if c in profiles and profiles[c].notna().any():
            d = pd.get_dummies(
                profiles[c].astype(object).where(profiles[c].notna(), None), prefix=c, prefix_sep=":", dtype=float
            )
            for name in d.columns:
                f.add(name, d[name].to_numpy(), "demographic")


def _standardised(f: _Columns) -> tuple[np.ndarray, list[str]]:
    """Columns standardised to mean 0 / sd 1; constant columns are dropped."""
    names = list(f.cols)
    X = np.column_stack([f.cols[n] for n in names])
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    keep = sd > 1e-12
    X = (X[:, keep] - mu[keep]) / sd[keep]
    return X, [n for n, k in zip(names, keep, strict=True) if k]


# ---------------------------------------------------------------------------- clustering
def _model(algorithm: str, k: int, random_state: int):
    if algorithm == "kmeans":
        from sklearn.cluster import KMeans

        return KMeans(n_clusters=k, n_init=4, random_state=random_state)
    if algorithm == "gmm":
        from sklearn.mixture import GaussianMixture

        return GaussianMixture(
            n_components=k, covariance_type="diag", n_init=3, random_state=random_state, reg_covar=1e-3
        )
    raise ValueError(f"unknown clustering algorithm {algorithm!r}; choose kmeans or gmm")


def _labels(X, algorithm, k, random_state):
    m = _model(algorithm, k, random_state)
    labels = m.fit_predict(X)
    return m, np.asarray(labels)


def _silhouette(X, labels, random_state, sample=3000) -> float:
    from sklearn.metrics import silhouette_score

    if len(np.unique(labels)) < 2:
        return float("nan")
    n = len(X)
    kw = {"sample_size": sample, "random_state": random_state} if n > sample else {}
    return float(silhouette_score(X, labels, **kw))


def silhouette_curve(
    fm: FeatureMatrix, k_min: int = 2, k_max: int = 10, algorithm: str = "kmeans", random_state: int = 0, progress=None
) -> pd.DataFrame:
    """Silhouette of the clustering for each k (columns k, silhouette)."""
    n = len(fm.X)
    if n < 3:
        raise ValueError("segmenting needs at least 3 users")
    k_max = int(min(k_max, n - 1))
    k_min = int(max(2, min(k_min, k_max)))
    rows = []
    ks = list(range(k_min, k_max + 1))
    for step, k in enumerate(ks):
        if progress:
            progress(step, len(ks), k)
        _, lab = _labels(fm.X, algorithm, k, random_state)
        rows.append({"k": k, "silhouette": _silhouette(fm.X, lab, random_state)})
    return pd.DataFrame(rows)


def choose_k(curve: pd.DataFrame, tolerance: float = K_TOLERANCE) -> dict:
    """Pick k from a silhouette curve: the largest k with silhouette >= best - ``tolerance``.

    Returns {"k", "best_k", "best", "threshold", "tolerance"} so the page can explain the choice.
    """
    c = curve.dropna(subset=["silhouette"])
    if c.empty:
        raise ValueError("could not compute a silhouette; try a fixed k")
    best_row = c.loc[c["silhouette"].idxmax()]
    best = float(best_row["silhouette"])
    threshold = best - float(tolerance)
    near = c[c["silhouette"] >= threshold - 1e-12]
    return {
        "k": int(near["k"].max()),
        "best_k": int(best_row["k"]),
        "best": best,
        "threshold": threshold,
        "tolerance": float(tolerance),
    }


@dataclass
class SegmentResult:
    memberships: pd.DataFrame  # user_id, segment
    k: int
    algorithm: str
    silhouette: float
    curve: pd.DataFrame | None
    features: FeatureMatrix
    personas: list = field(default_factory=list)
    params: dict = field(default_factory=dict)


def fit_segments(
    profiles: pd.DataFrame,
    k: int | str = "auto",
    algorithm: str = "kmeans",
    k_max: int = 10,
    random_state: int = 0,
    include_demographics: bool = True,
    include_reviews: bool = False,
    genre_weight: float = 2.0,
    ds=None,
    lang_names: bool = True,
    progress=None,
) -> SegmentResult:
    """Segment users; ``k="auto"`` picks k on 2..``k_max`` by :func:`choose_k` (the largest k whose
    silhouette is within :data:`K_TOLERANCE` of the best, so a flat curve does not collapse to 2).

    Segment ids are ordered by size (0 = largest). With ``ds`` given, personas are built too.
    """
    algorithm = str(algorithm).lower()
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown clustering algorithm {algorithm!r}; choose kmeans or gmm")
    fm = segment_features(profiles, include_demographics, include_reviews, genre_weight)
    curve, rule = None, None
    if str(k).lower() == "auto":
        curve = silhouette_curve(fm, 2, k_max, algorithm, random_state, progress)
        rule = choose_k(curve)
        k = rule["k"]
    else:
        try:
            k = int(k)
        except (TypeError, ValueError):
            raise ValueError(f"k must be 'auto' or a whole number, got {k!r}") from None
        if k < 2 or k >= len(fm.X):
            raise ValueError(f"k must be between 2 and {len(fm.X) - 1} (the number of users - 1), got {k}")
    _, lab = _labels(fm.X, algorithm, k, random_state)
    # renumber by size (largest = 0), ties by first member, so ids are stable and meaningful
    sizes = pd.Series(lab).value_counts()
    first = pd.Series(np.arange(len(lab))).groupby(lab).min()
    order = sorted(sizes.index, key=lambda c: (-sizes[c], first[c]))
    remap = {old: new for new, old in enumerate(order)}
    lab = np.array([remap[x] for x in lab], dtype=int)
    sil = _silhouette(fm.X, lab, random_state)
    mem = pd.DataFrame({"user_id": fm.user_ids, "segment": lab})
    params = {
        "k": int(len(order)),
        "algorithm": algorithm,
        "random_state": int(random_state),
        "include_demographics": bool(include_demographics),
        "include_reviews": bool(include_reviews),
        "genre_weight": float(genre_weight),
        "k_mode": "auto" if curve is not None else "fixed",
    }
    if rule is not None:
        params["k_rule"] = {"best_k": rule["best_k"], "tolerance": rule["tolerance"]}
    res = SegmentResult(mem, len(order), algorithm, sil, curve, fm, [], params)
    if ds is not None:
        res.personas = build_personas(ds, profiles, mem)
    return res


# ---------------------------------------------------------------------------- personas
def _mode_share(s: pd.Series):
    s = s.dropna()
    if s.empty:
        return None, None
    vc = s.astype(str).value_counts(normalize=True)
    return vc.index[0], float(vc.iloc[0])


def representative_films(ds, members: set, n: int = 5, min_count: int = 3) -> list[dict]:
    """Films the segment rates far more often than everybody else (lift of watch share, liked ones first)."""
    r = ds.ratings
    if r.empty:
        return []
    thr = ds.relevance_threshold
    in_seg = r["user_id"].isin(members)
    seg = r[in_seg]
    if seg.empty:
        return []
    seg_liked = seg[seg["rating"] >= thr]
    cnt = seg_liked.groupby("item_id").size()
    all_cnt = r[r["rating"] >= thr].groupby("item_id").size()
    share_seg = len(members) / max(r["user_id"].nunique(), 1)
    cnt = cnt[cnt >= min(min_count, max(int(cnt.max()) if len(cnt) else 1, 1))]
    if cnt.empty:
        return []
    # lift of the segment's share among the film's likers, weighted by how many of them liked it
    lift = (cnt / all_cnt.reindex(cnt.index)) / share_seg
    score = lift * np.log1p(cnt)
    top = score.sort_values(ascending=False).head(n)
    titles = ds.item_titles()
    return [{"item_id": i, "title": titles.get(i, i), "likers": int(cnt[i]), "lift": float(lift[i])} for i in top.index]


def build_personas(ds, profiles: pd.DataFrame, memberships: pd.DataFrame, n_genres: int = 3) -> list[dict]:
    """One persona dict per segment: id, size, share, top_genres (+ lifts), demographics, activity,
    habits, sentiment, tags, representative films and a unique name (zh and en)."""
    prof = profiles.merge(memberships, on="user_id", how="inner")
    ga = profiles.attrs.get("affinity", {}).get("genres")
    pop_med_ratings = float(profiles["n_ratings"].median()) if len(profiles) else 0.0
    personas = []
    for seg, grp in prof.groupby("segment", sort=True):
        members = set(grp["user_id"])
        p: dict = {"id": int(seg), "segment": int(seg), "size": int(len(grp)), "share": float(len(grp) / len(prof))}
        if ga is not None and ga.shape[1]:
            # segment lift = its share of ratings per genre over the population share (geometric mean of user lifts)
            lifts = np.exp(np.log(ga.loc[ga.index.intersection(list(members))].clip(lower=1e-6)).mean())
            lifts = lifts.sort_values(ascending=False)
            top = [g for g in lifts.index[:n_genres] if lifts[g] > 1.0] or list(lifts.index[:1])
            p["top_genres"] = top
            p["genre_lifts"] = {g: float(lifts[g]) for g in lifts.index}
        else:
            p["top_genres"] = []
            p["genre_lifts"] = {}
        demo = {}
        for c in ("age_band", "gender", "city", "occupation"):
            if c in grp and grp[c].notna().any():
                v, sh = _mode_share(grp[c])
                demo[c] = {"value": v, "share": sh}
        if "age" in grp and grp["age"].notna().any():
            demo["age_median"] = float(pd.to_numeric(grp["age"], errors="coerce").median())
        p["demographics"] = demo
        p["activity"] = {
            "median_ratings": float(grp["n_ratings"].median()),
            "median_reviews": float(grp["n_reviews"].median()),
            "median_recency_days": float(grp["recency_days"].median()) if grp["recency_days"].notna().any() else None,
            "relative_activity": float(grp["n_ratings"].median() / pop_med_ratings) if pop_med_ratings else None,
        }
        p["habits"] = {
            "mean_rating": float(grp["mean_rating"].mean()) if grp["mean_rating"].notna().any() else None,
            "harshness": float(grp["harshness"].mean()) if grp["harshness"].notna().any() else None,
        }
        p["sentiment"] = (
            float(grp["sentiment"].mean()) if "sentiment" in grp and grp["sentiment"].notna().any() else None
        )
        if "tags" in grp:
            from collections import Counter

            c = Counter(t for tags in grp["tags"] if isinstance(tags, list) for t in tags)
            p["tags"] = [w for w, _ in c.most_common(5)]
        p["films"] = representative_films(ds, members)
        personas.append(p)
    name_personas(personas, profiles)
    return personas


def group_persona(ds, profiles: pd.DataFrame, user_ids) -> dict | None:
    """The persona of any group of users (e.g. a film's target audience), measured against everybody."""
    users = pd.DataFrame({"user_id": pd.unique(pd.Series([str(u) for u in user_ids], dtype=object)), "segment": 0})
    users = users[users["user_id"].isin(set(profiles["user_id"]))]
    if users.empty:
        return None
    p = build_personas(ds, profiles, users)[0]
    p["share"] = float(len(users) / max(len(profiles), 1))  # of everybody, not of the group itself
    return p


def _traits(p: dict, harsh_sd: float) -> tuple[str, str]:
    rel = p["activity"].get("relative_activity")
    act = "heavy" if rel is not None and rel >= 1.5 else ("light" if rel is not None and rel <= 0.67 else "regular")
    h = p["habits"].get("harshness")
    habit = "neutral"
    if h is not None and harsh_sd > 0:
        habit = "harsh" if h <= -0.5 * harsh_sd else ("generous" if h >= 0.5 * harsh_sd else "neutral")
    return act, habit


def _name_extra(p: dict) -> dict | None:
    """The demographic trait that tells clashing personas apart: a gender of 60 %+, else the age band."""
    d = p.get("demographics", {})
    if "gender" in d and d["gender"]["share"] and d["gender"]["share"] >= 0.6:
        return {"trait": "gender", "value": str(d["gender"]["value"])}
    if "age_band" in d:
        return {"trait": "age_band", "value": str(d["age_band"]["value"])}
    return None


def _name_key(parts: dict) -> tuple:
    extra = parts.get("extra") or {}
    genres = tuple(str(g).strip().lower() for g in parts["genres"])
    return parts["activity"], parts["habit"], genres, extra.get("trait"), extra.get("value")


def name_personas(personas: list[dict], prof: pd.DataFrame | None = None) -> list[dict]:
    """Give every persona ``name_parts``, codes the UI words into a name, unique within the list:
    ``activity`` (heavy | light | regular), ``habit`` (harsh | generous | neutral), ``genres`` (its top
    genre; clashes take the second, then the third), ``extra`` (for clashes left: a gender of 60 %+
    or the age band, as {"trait", "value"}) and ``number`` (2, 3 ... for any clash still left).
    """
    harsh_sd = (
        float(prof["harshness"].std())
        if prof is not None and "harshness" in prof and prof["harshness"].notna().sum() > 1
        else 0.0
    )

    def make(p, depth):
        act, habit = _traits(p, harsh_sd)
        genres = list((p.get("top_genres") or [])[:depth])
        return {"activity": act, "habit": habit, "genres": genres, "extra": None, "number": None}

    for p in personas:
        p["name_parts"] = make(p, 1)
    for depth in (2, 3):
        clash = _clashes(personas)
        for p in personas:
            if _name_key(p["name_parts"]) in clash:
                p["name_parts"] = make(p, depth)
    clash = _clashes(personas)
    for p in personas:
        if _name_key(p["name_parts"]) in clash:
            p["name_parts"]["extra"] = _name_extra(p)
    seen: dict[tuple, int] = {}
    for p in personas:
        key = _name_key(p["name_parts"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            p["name_parts"]["number"] = seen[key]
    return personas


def _clashes(personas) -> set:
    from collections import Counter

    c = Counter(_name_key(p["name_parts"]) for p in personas)
    return {n for n, k in c.items() if k > 1}


# ---------------------------------------------------------------------------- maps & comparison
def segment_map(res: SegmentResult, method: str = "pca", random_state: int = 0, max_points: int = 5000) -> pd.DataFrame:
    """2-D coordinates (x, y) of every user, coloured by segment; PCA (default) or t-SNE."""
    X = res.features.X
    if method == "tsne":
        from sklearn.manifold import TSNE

        if len(X) > max_points:
            raise ValueError(f"t-SNE is limited to {max_points} users here; use PCA")
        xy = TSNE(
            n_components=2, random_state=random_state, init="pca", perplexity=min(30.0, max(5.0, (len(X) - 1) / 3))
        ).fit_transform(X)
    else:
        from sklearn.decomposition import PCA

        xy = (
            PCA(n_components=2, random_state=random_state).fit_transform(X)
            if X.shape[1] >= 2
            else np.column_stack([X[:, 0], np.zeros(len(X))])
        )
    out = pd.DataFrame(
        {"user_id": res.memberships["user_id"], "segment": res.memberships["segment"], "x": xy[:, 0], "y": xy[:, 1]}
    )
    return out


def comparison_table(personas: list[dict]) -> pd.DataFrame:
    """One row per segment for side-by-side charts (size, activity, habits, sentiment, top genres)."""
    rows = []
    for p in personas:
        rows.append(
            {
                "segment": p["id"],
                "size": p["size"],
                "share": p["share"],
                "median_ratings": p["activity"]["median_ratings"],
                "mean_rating": p["habits"]["mean_rating"],
                "harshness": p["habits"]["harshness"],
                "sentiment": p.get("sentiment"),
                "top_genres": list(p.get("top_genres", [])),
            }
        )
    return pd.DataFrame(rows)


def genre_lift_table(personas: list[dict]) -> pd.DataFrame:
    """Long table segment x genre -> lift (for a heat map)."""
    rows = []
    for p in personas:
        for g, v in p.get("genre_lifts", {}).items():
            rows.append({"segment": p["id"], "genre": g, "lift": v})
    return pd.DataFrame(rows, columns=["segment", "genre", "lift"])


def personas_summary(personas: list[dict]) -> list[dict]:
    """The JSON-friendly summary the CLI prints."""
    out = []
    for p in personas:
        out.append(
            {
                "id": p["id"],
                "size": p["size"],
                "share": p["share"],
                "name_parts": p.get("name_parts"),
                "top_genres": p.get("top_genres", []),
                "demographics": {
                    k: (v["value"] if isinstance(v, dict) else v) for k, v in p.get("demographics", {}).items()
                },
                "median_ratings": p["activity"]["median_ratings"],
                "mean_rating": p["habits"]["mean_rating"],
                "harshness": p["habits"]["harshness"],
                "sentiment": p.get("sentiment"),
                "films": [f["title"] for f in p.get("films", [])],
            }
        )
    return out
