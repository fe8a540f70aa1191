"""Target audience for a film: who will watch it *and* like it.

Ranking the users who have not rated a film by their predicted rating ignores whether they
would watch it at all (a predicted 4.6 from someone who watches two films a year is worth
little). The scorers here rank by *who will watch and like*:

* ``neighbour`` – item-neighbour scoring: the film's nearest neighbours are the films whose
  watchers most often liked it (cosine over the binary watch matrix against the film's
  likers, shrunk, top-k); a user's score is the sum of the neighbour weights of the films
  they watched, with films they did not like counting half.
* any implicit ranker of :data:`recsys_core.models.REGISTRY` (``ease`` when present), via the
  model contract: one column of ``score_users`` over blocks of users, or one product when the model
  declares :class:`~recsys_core.models.capabilities.ScoresUsersForItem`.
* baselines: ``popularity`` (rank users by how many films they rated), ``random``, and any
  rating model (``svd``, ``bias``), which ranks by predicted rating.

Offline validation (:func:`evaluate_lift`) hides a random half of the likers of each sampled film
(all films at once, so each scorer is fitted once), trains without them and measures how many of
them land in the top 10 % of each film's ranked pool.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data.export import to_csv_bytes
from ..models.capabilities import ScoresUsersForItem
from ..models.cost import dataset_shape
from ..trainset import Trainset

BUILTIN_SCORERS = ("neighbour", "popularity", "random")


# ---------------------------------------------------------------------------- pseudonyms
def pseudonymise(ids: Iterable, secret: bytes, length: int = 16) -> list[str]:
    """Keyed hash (HMAC-SHA256) of each id, hex, truncated to ``length`` characters.

    Stable for the same secret, different for another secret, not reversible without it.
    """
    if not secret:
        raise ValueError("a non-empty secret is required to pseudonymise ids")
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    length = int(min(max(length, 8), 64))
    out = []
    for x in ids:
        h = hmac.new(secret, str(x).encode("utf-8"), hashlib.sha256).hexdigest()[:length]
        if h == str(x):  # astronomically unlikely; keep the guarantee anyway
            h = hmac.new(secret, ("#" + str(x)).encode("utf-8"), hashlib.sha256).hexdigest()[:length]
        out.append(h)
    return out


def audience_export_frame(
    audience: pd.DataFrame,
    secret: bytes | None = None,
    pseudonymise_ids: bool = True,
    columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The audience table as exported: ``user_id`` replaced by a keyed pseudonym by default."""
    df = audience.copy()
    if columns is not None:
        df = df[[c for c in columns if c in df.columns]]
    if pseudonymise_ids:
        if secret is None:
            raise ValueError("pseudonymising needs the pseudonym key (recsys_core.keys.derived_key('pseudonym'))")
        df["user_id"] = pseudonymise(df["user_id"], secret)
        df = df.rename(columns={"user_id": "user_pseudonym"})
    return df


def export_audience_csv(
    audience: pd.DataFrame,
    secret: bytes | None = None,
    pseudonymise_ids: bool = True,
    columns: Iterable[str] | None = None,
) -> bytes:
    """CSV bytes of an audience table (pseudonymised by default), cells neutralised like every export."""
    return to_csv_bytes(audience_export_frame(audience, secret, pseudonymise_ids, columns))


def write_audience(
    audience: pd.DataFrame,
    path,
    secret: bytes | None = None,
    pseudonymise_ids: bool = True,
    chunk: int = 100_000,
) -> int:
    """Write an audience table to ``path`` (.csv or .parquet) in chunks of ``chunk`` users, pseudonymising
    each chunk as it goes (the same pseudonyms as :func:`export_audience_csv`). Returns rows written."""
    from ..data.stream import ChunkedTableWriter

    if pseudonymise_ids and secret is None:
        raise ValueError("pseudonymising needs the pseudonym key (recsys_core.keys.derived_key('pseudonym'))")
    cols = list(audience.columns)
    if pseudonymise_ids:
        cols = ["user_pseudonym" if c == "user_id" else c for c in cols]
    with ChunkedTableWriter(path, columns=cols) as w:
        for start in range(0, len(audience), max(int(chunk), 1)):
            w.write(audience_export_frame(audience.iloc[start : start + chunk], secret, pseudonymise_ids))
    return w.rows


# ---------------------------------------------------------------------------- lift
def _order(scores: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Indices by descending score; ties broken by a (seeded) random permutation."""
    scores = np.asarray(scores, dtype=float)
    scores = np.where(np.isfinite(scores), scores, -np.inf)
    tie = (rng or np.random.default_rng(0)).permutation(len(scores))
    return np.lexsort((tie, -scores))


def lift_at(scores, is_target, frac: float = 0.1, rng: np.random.Generator | None = None) -> float:
    """(share of targets in the top ``frac`` of the ranking) / (share of targets overall).

    The top slice is ``ceil(frac * n)`` users. NaN when there are no targets.
    """
    is_target = np.asarray(is_target, dtype=bool)
    n = len(is_target)
    n_t = int(is_target.sum())
    if n == 0 or n_t == 0:
        return float("nan")
    k = max(1, int(np.ceil(frac * n - 1e-9)))
    top = _order(scores, rng)[:k]
    return float(is_target[top].mean() / (n_t / n))


def gain_curve(scores, is_target, points: int = 20, rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Cumulative gain and lift at ``points`` equally spaced depths of the ranking.

    Columns: depth (share of pool contacted), gain (share of targets found), lift.
    """
    is_target = np.asarray(is_target, dtype=bool)
    n = len(is_target)
    n_t = max(int(is_target.sum()), 1)
    hits = np.cumsum(is_target[_order(scores, rng)])
    rows = [{"depth": 0.0, "gain": 0.0, "lift": np.nan}]
    for p in range(1, points + 1):
        d = p / points
        k = max(1, int(np.ceil(d * n - 1e-9)))
        g = hits[k - 1] / n_t
        rows.append({"depth": d, "gain": float(g), "lift": float(g / (k / n))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- scorers
class AudienceScorer:
    """Scores every training user for one film (``scores_for_item``) or a mix of films."""

    name = "base"

    def fit(self, ts: Trainset, threshold: float) -> AudienceScorer:
        self.ts_ = ts
        self.threshold_ = float(threshold)
        self._fit(ts)
        return self

    def _fit(self, ts):
        pass

    def scores_for_item(self, j: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def score_columns(self, items) -> np.ndarray:
        """(n_users, len(items)) scores, column k for film ``items[k]``; one pass where the scorer can."""
        items = np.asarray(items, dtype=np.int64)
        out = np.empty((self.ts_.n_users, len(items)))
        for k, j in enumerate(items.tolist()):
            out[:, k] = np.asarray(self.scores_for_item(j), dtype=float)
        return out

    def cold_user_scores(self, n: int, j: int, known: np.ndarray) -> np.ndarray:
        """Scores for ``n`` users the training data does not know (no history): the lowest known
        score, so they tie with the weakest known prospects (ties are broken at random)."""
        known = np.asarray(known, dtype=float)
        known = known[np.isfinite(known)]
        return np.full(n, known.min() if len(known) else 0.0)

    def scores_for_items(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Cold start: weighted mix of the (standardised) score columns of similar films."""
        total = np.zeros(self.ts_.n_users)
        for j, w in zip(items, weights, strict=True):
            s = np.asarray(self.scores_for_item(int(j)), dtype=float)
            s = np.where(np.isfinite(s), s, np.nanmin(s[np.isfinite(s)]) if np.isfinite(s).any() else 0.0)
            sd = s.std()
            total += w * ((s - s.mean()) / sd if sd > 0 else 0.0)
        return total


class NeighbourAudience(AudienceScorer):
    """Item-neighbour scoring of who will watch and like film ``j``.

    sim(i, j) = #(watched i and liked j) / (sqrt(n_i * likers_j) + shrink), the top ``k``
    neighbours kept; score(u) = sum over films u watched of sim, films u did not like
    weighted by ``unliked_weight``.
    """

    name = "neighbour"

    def __init__(self, k: int = 50, shrink: float = 10.0, unliked_weight: float = 0.5):
        self.k = k
        self.shrink = shrink
        self.unliked_weight = unliked_weight

    def _fit(self, ts):
        X = ts.binary.tocsr().astype(np.float64)
        liked = (ts.csr.data >= self.threshold_).astype(np.float64)
        # copies: eliminate_zeros works in place and must not touch the trainset's matrix
        L = sp.csr_matrix((liked, ts.csr.indices.copy(), ts.csr.indptr.copy()), shape=ts.csr.shape)
        L.eliminate_zeros()
        self.X_ = X
        self.XT_ = X.T.tocsr()
        self.L_ = L
        self.W_ = (L + float(self.unliked_weight) * (X - L)).tocsr()
        self.n_i_ = np.asarray(X.sum(axis=0)).ravel()

    def item_neighbours(self, j: int) -> np.ndarray:
        lj = np.asarray(self.L_[:, j].todense()).ravel()
        if lj.sum() == 0:  # nobody liked it yet: fall back to its watchers
            lj = np.asarray(self.X_[:, j].todense()).ravel()
        co = self.XT_ @ lj
        co[j] = 0.0
        sim = co / (np.sqrt(self.n_i_ * max(lj.sum(), 1.0)) + float(self.shrink))
        k = int(self.k)
        if 0 < k < len(sim):
            drop = np.argpartition(-sim, k)[k:]
            sim[drop] = 0.0
        return sim

    def scores_for_item(self, j: int) -> np.ndarray:
        return np.asarray(self.W_ @ self.item_neighbours(j)).ravel()

    def scores_for_items(self, items, weights):
        sim = np.zeros(self.ts_.n_items)
        for j, w in zip(items, weights, strict=True):
            s = self.item_neighbours(int(j))
            if s.max() > 0:
                sim += w * s / s.max()
            sim[int(j)] += w  # the similar film itself is a neighbour of the new one
        return np.asarray(self.W_ @ sim).ravel()


class ActivityAudience(AudienceScorer):
    """Popularity baseline: users ranked by how many films they rated in training."""

    name = "popularity"

    def scores_for_item(self, j):
        return self.ts_.user_counts.astype(float)

    def scores_for_items(self, items, weights):
        return self.ts_.user_counts.astype(float)


class RandomAudience(AudienceScorer):
    name = "random"

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def scores_for_item(self, j):
        return np.random.default_rng([int(self.random_state), int(j)]).random(self.ts_.n_users)

    def scores_for_items(self, items, weights):
        return np.random.default_rng(int(self.random_state)).random(self.ts_.n_users)

    def cold_user_scores(self, n, j, known):
        return np.random.default_rng([int(self.random_state), int(j), 1]).random(n)


class ModelAudience(AudienceScorer):
    """Any registry model: rank users by the model's score (predicted rating for rating models)."""

    def __init__(self, model_name: str, **params):
        self.model_name = model_name
        self.params = params
        self.name = model_name

    def _fit(self, ts):
        from ..models import make_model

        self.model_ = make_model(self.model_name, **self.params)
        self.model_.fit(ts)

    def scores_for_item(self, j, batch: int = 1024):
        ts = self.ts_
        m = self.model_
        if isinstance(m, ScoresUsersForItem):  # e.g. EASE: one column of X B is X B[:, j]
            return np.asarray(m.score_users_for_item(int(j)), dtype=float).ravel()
        out = np.empty(ts.n_users)
        for s in range(0, ts.n_users, batch):
            us = np.arange(s, min(s + batch, ts.n_users))
            out[us] = m.score_users(us)[:, j]
        return out

    def score_columns(self, items, batch: int = 1024) -> np.ndarray:
        """Scores of every user for several films from one pass over the users (blocks of ``batch``)."""
        ts = self.ts_
        items = np.asarray(items, dtype=np.int64)
        m = self.model_
        if isinstance(m, ScoresUsersForItem):  # e.g. EASE: one cheap column per film
            return np.column_stack([np.asarray(m.score_users_for_item(int(j)), dtype=float).ravel() for j in items])
        cols = np.empty((ts.n_users, len(items)))
        for s in range(0, ts.n_users, batch):
            us = np.arange(s, min(s + batch, ts.n_users))
            cols[us] = np.asarray(m.score_users(us), dtype=float)[:, items]
        return cols

    def scores_for_items(self, items, weights, batch: int = 1024):
        cols = self.score_columns(items, batch)
        cols = np.where(np.isfinite(cols), cols, np.nan)
        mu = np.nanmean(cols, axis=0)
        sd = np.nanstd(cols, axis=0)
        sd[~(sd > 0)] = 1.0
        z = np.nan_to_num((cols - mu) / sd, nan=-3.0)
        return z @ np.asarray(weights, dtype=float)


def available_models() -> list[str]:
    """Scorer names usable for audiences: built-ins, then implicit rankers, then rating models."""
    from ..models import REGISTRY

    names = ["neighbour"]
    if "ease" in REGISTRY:
        names.insert(0, "ease")
    skip = set(names) | {"popularity", "random", "baseline"}
    rankers = [n for n, c in REGISTRY.items() if not getattr(c, "predicts_ratings", True) and n not in skip]
    raters = [n for n, c in REGISTRY.items() if getattr(c, "predicts_ratings", True) and n not in skip]
    return names + rankers + ["popularity", "random"] + raters


#: registry scorers the automatic choice tries, best first (lift@10% on MovieLens 100K and the demo:
#: EASE above the item neighbours, ``benchmarks/bench_audience_lift.py``); the built-in item-neighbour
#: scorer (sparse, top-k neighbours per film) is the fallback that always fits.
AUTO_ORDER = ("ease",)
#: the automatic choice is a model whose envelope fits the memory budget *and* whose declared fit time
#: is at most this: EASE's films x films inverse fits the memory of a 9,436-film catalogue (3 GB) but
#: took minutes to fit, which the envelope (time ~ films^3) says before anything starts.
AUTO_MAX_FIT_SECONDS = 60.0


def default_model(
    n_users: int | None = None,
    n_items: int | None = None,
    n_ratings: int | None = None,
    budget: int | None = None,
    time_budget: float | None = None,
) -> str:
    """The best audience scorer whose cost envelope fits a dataset of this shape: the first of
    :data:`AUTO_ORDER` in the models registry that fits the memory budget (``budget`` bytes, default
    :func:`~recsys_core.models.cost.memory_budget`) within :data:`AUTO_MAX_FIT_SECONDS` and within the
    time budget (``time_budget`` seconds, default :func:`~recsys_core.models.cost.time_budget`) when that
    is lower, else the built-in item-neighbour scorer. Without a shape, the first of :data:`AUTO_ORDER`
    registered."""
    from ..models import REGISTRY, cost

    order = [n for n in AUTO_ORDER if n in REGISTRY]
    if n_users is None or n_items is None or n_ratings is None:
        return order[0] if order else "neighbour"
    seconds = cost.time_budget() if time_budget is None else float(time_budget)
    # the same check as every fit (both budgets), with the automatic choice's own cap on time
    fits = cost.models_that_fit(n_users, n_items, n_ratings, budget, min(seconds, AUTO_MAX_FIT_SECONDS))
    return next((name for name in order if name in fits), "neighbour")


def make_scorer(
    name: str | None = None, seed: int = 0, shape: tuple[int, int, int] | None = None, **params
) -> AudienceScorer:
    """A scorer by name; ``auto`` picks :func:`default_model` for a dataset of ``shape``
    (users, films, ratings)."""
    from ..models import REGISTRY

    key = (name or "auto").strip().lower()
    if key in ("auto", "default", ""):
        key = default_model(*(shape or (None, None, None)))
    if key in ("neighbour", "neighbor", "item-neighbour", "itemknn-audience"):
        return NeighbourAudience(**params)
    if key == "popularity":
        return ActivityAudience()
    if key == "random":
        return RandomAudience(random_state=seed)
    if key in REGISTRY:
        return ModelAudience(key, **params)
    raise ValueError(f"unknown audience model {name!r}; choose from: {', '.join(available_models())}")


# ---------------------------------------------------------------------------- cold start
_TOKEN = re.compile(r"[\w\u4e00-\u9fff]+", re.UNICODE)


def _norm_genre(g: str) -> str:
    return str(g).strip().lower()


def similar_items_for_description(
    items: pd.DataFrame,
    genres: Iterable[str] = (),
    keywords: Iterable[str] = (),
    known_items: Iterable[str] | None = None,
    n: int = 20,
) -> pd.DataFrame:
    """Catalogue films closest to a described new film (genre Jaccard + keyword hits).

    Returns item_id, similarity (0..1], sorted, at most ``n`` rows, only films in ``known_items``.
    """
    if items is None or items.empty:
        raise ValueError("describing a new film needs item metadata (genres, titles) in the dataset")
    want = {_norm_genre(g) for g in genres if str(g).strip()}
    kws = [str(k).strip().lower() for k in keywords if str(k).strip()]
    if not want and not kws:
        raise ValueError("describe the new film with at least one genre or keyword")
    df = items
    if known_items is not None:
        df = df[df["item_id"].isin(set(known_items))]
    gsets = df["genres"].map(lambda gs: {_norm_genre(g) for g in (gs or [])})
    jac = gsets.map(lambda s: len(s & want) / len(s | want) if (s or want) and want else 0.0).to_numpy(float)
    if kws:
        text = (
            df["title"].fillna("").astype(str)
            + " "
            + df["synopsis"].fillna("").astype(str)
            + " "
            + df["people"].map(lambda p: " ".join(p or []))
            + " "
            + df["genres"].map(lambda p: " ".join(p or []))
        ).str.lower()
        hits = np.array([sum(1 for k in kws if k in t) for t in text], dtype=float) / len(kws)
    else:
        hits = np.zeros(len(df))
    sim = (jac + hits) / (float(bool(want)) + float(bool(kws)))
    out = pd.DataFrame({"item_id": df["item_id"].to_numpy(), "similarity": sim})
    out = out[out["similarity"] > 0].sort_values(["similarity", "item_id"], ascending=[False, True]).head(n)
    if out.empty:
        raise ValueError(
            "no film in the catalogue shares a genre or keyword with that description; "
            "try broader genres or other keywords"
        )
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------- target audience
@dataclass
class AudienceResult:
    table: pd.DataFrame  # user_id, score, rank, percentile (pool only, best first)
    model: str
    item_id: str | None
    pool_size: int
    similar_items: pd.DataFrame | None = None


def _rank_pool(ts: Trainset, scores: np.ndarray, pool_inner: np.ndarray, seed: int) -> pd.DataFrame:
    s = np.asarray(scores, dtype=float)[pool_inner]
    order = _order(s, np.random.default_rng(seed))
    n = len(order)
    return pd.DataFrame(
        {
            "user_id": ts.users_raw[pool_inner[order]],
            "score": s[order],
            "rank": np.arange(1, n + 1),
            "percentile": (np.arange(1, n + 1) / max(n, 1)),
        }
    )


def target_audience(
    ds,
    item_id: str | None = None,
    genres: Iterable[str] = (),
    keywords: Iterable[str] = (),
    model: str | None = None,
    top: int | None = None,
    threshold: float | None = None,
    seed: int = 0,
    scorer: AudienceScorer | None = None,
    n_similar: int = 20,
) -> AudienceResult:
    """Rank every user who has not rated the film (or, for a described new film, every user).

    ``top`` keeps the best N; ``threshold`` keeps scores >= threshold (applied after ranking).
    A fitted ``scorer`` (on ``Trainset.from_dataset(ds)``) can be passed to avoid refitting.
    """
    ts = scorer.ts_ if scorer is not None else Trainset.from_dataset(ds)
    if ts.n_ratings == 0:
        raise ValueError("the dataset has no ratings; a target audience needs rated films")
    if scorer is None:
        shape = (ts.n_users, ts.n_items, ts.n_ratings)
        scorer = make_scorer(model, seed=seed, shape=shape).fit(ts, ds.relevance_threshold)
    similar = None
    if item_id is not None:
        item_id = str(item_id).strip()
        if not ts.knows_item(item_id):
            raise ValueError(
                f"film {item_id!r} has no ratings in this dataset; pick a rated film or describe "
                "a new one by genres and keywords"
            )
        j = ts.to_inner_iid(item_id)
        scores = scorer.scores_for_item(j)
        rated = np.zeros(ts.n_users, dtype=bool)
        rated[ts.csc[:, j].indices] = True
        pool = np.flatnonzero(~rated)
    else:
        similar = similar_items_for_description(ds.items, genres, keywords, known_items=ts.items_raw, n=n_similar)
        inner = ts.inner_iids(similar["item_id"].tolist())
        scores = scorer.scores_for_items(inner, similar["similarity"].to_numpy(float))
        pool = np.arange(ts.n_users)
    table = _rank_pool(ts, scores, pool, seed)
    pool_size = len(table)
    if threshold is not None:
        table = table[table["score"] >= float(threshold)]
    if top is not None:
        table = table.head(int(top))
    return AudienceResult(table.reset_index(drop=True), scorer.name, item_id, pool_size, similar)


def audience_mix(
    audience_users: Iterable[str], memberships: pd.DataFrame | None, names: dict | None = None
) -> pd.DataFrame:
    """Segment mix of an audience vs the whole population.

    Returns segment, name, audience_share, population_share, index (= audience/population * 100).
    """
    if memberships is None or memberships.empty:
        return pd.DataFrame(columns=["segment", "name", "audience", "audience_share", "population_share", "index"])
    m = memberships[["user_id", "segment"]].copy()
    m["user_id"] = m["user_id"].astype(str)
    pop = m["segment"].value_counts(normalize=True)
    aud = m[m["user_id"].isin({str(u) for u in audience_users})]["segment"]
    counts = aud.value_counts()
    share = aud.value_counts(normalize=True)
    out = pd.DataFrame({"segment": pop.index})
    out["name"] = out["segment"].map(lambda s: (names or {}).get(s, str(s)))
    out["audience"] = out["segment"].map(counts).fillna(0).astype(int)
    out["audience_share"] = out["segment"].map(share).fillna(0.0)
    out["population_share"] = out["segment"].map(pop)
    out["index"] = 100.0 * out["audience_share"] / out["population_share"]
    return out.sort_values("audience_share", ascending=False).reset_index(drop=True)


# ---------------------------------------------------------------------------- offline validation
def eligible_items(ds, min_likers: int = 30) -> pd.Series:
    """Films with at least ``min_likers`` likers (rating >= the relevance threshold): item -> likers."""
    r = ds.ratings
    likers = r[r["rating"] >= ds.relevance_threshold].groupby("item_id")["user_id"].nunique()
    return likers[likers >= min_likers].sort_values(ascending=False)


@dataclass
class HoldoutSplit:
    item_id: str
    train: pd.DataFrame
    hidden_users: np.ndarray
    likers: int


def hide_likers(ds, item_id: str, rng: np.random.Generator) -> HoldoutSplit:
    """Hide the ratings of a random half of the film's likers (``floor(likers / 2)``)."""
    r = ds.ratings
    thr = ds.relevance_threshold
    rows = np.flatnonzero((r["item_id"].to_numpy() == item_id) & (r["rating"].to_numpy() >= thr))
    n_hide = len(rows) // 2
    hide = rng.choice(rows, size=n_hide, replace=False) if n_hide else np.array([], dtype=int)
    keep = np.ones(len(r), dtype=bool)
    keep[hide] = False
    hidden_users = np.unique(r["user_id"].to_numpy()[hide]).astype(object)
    return HoldoutSplit(item_id, r[keep], hidden_users, len(rows))


def validate_item(ds, item_id: str, models: Iterable[str], seed: int = 0, points: int = 20) -> dict:
    """Hide half the film's likers, train each scorer without them, rank the pool.

    Returns {"item_id", "pool", "hidden", "lift": {model: lift@10%}, "curves": DataFrame[model, depth, gain, lift]}.
    """
    rng = np.random.default_rng(seed)
    split = hide_likers(ds, str(item_id), rng)
    return _evaluate_split(ds, split, list(models), seed, points)


def _pool_for(ds, split: HoldoutSplit):
    all_users = np.asarray(sorted(ds.ratings["user_id"].unique()), dtype=object)
    rated = set(split.train.loc[split.train["item_id"] == split.item_id, "user_id"])
    pool = np.array([u for u in all_users if u not in rated], dtype=object)
    return pool


def _pool_scores(scorer: AudienceScorer, ts: Trainset, j: int, pool: np.ndarray) -> np.ndarray:
    s = np.asarray(scorer.scores_for_item(j), dtype=float)
    inner = ts.inner_uids(pool)
    out = np.full(len(pool), -np.inf)
    known = inner >= 0
    out[known] = s[inner[known]]
    if (~known).any():  # users whose every rating was hidden: no history left in training
        out[~known] = scorer.cold_user_scores(int((~known).sum()), j, out[known])
    return out


def _evaluate_split(ds, split: HoldoutSplit, models: list[str], seed: int, points: int = 0) -> dict:
    ts = Trainset.from_frame(split.train, ds.rating_scale)
    pool = _pool_for(ds, split)
    target = np.isin(pool, split.hidden_users)
    j = ts.to_inner_iid(split.item_id)
    lifts, curves = {}, []
    for name in models:
        scorer = make_scorer(name, seed=seed).fit(ts, ds.relevance_threshold)
        s = _pool_scores(scorer, ts, j, pool)
        lifts[name] = lift_at(s, target, 0.1, np.random.default_rng(seed))
        if points:
            c = gain_curve(s, target, points, np.random.default_rng(seed))
            c.insert(0, "model", name)
            curves.append(c)
    out = {
        "item_id": split.item_id,
        "likers": int(split.likers),
        "hidden": int(target.sum()),
        "pool": int(len(pool)),
        "lift": lifts,
    }
    if points:
        out["curves"] = pd.concat(curves, ignore_index=True)
    return out


@dataclass
class MultiHoldout:
    """Ratings with a random half of the likers of several films hidden at once."""

    items: list
    train: pd.DataFrame
    hidden_users: dict  # film -> raw ids of its hidden likers
    likers: dict  # film -> number of likers


def hide_likers_many(ds, items, rng: np.random.Generator) -> MultiHoldout:
    """For each film in ``items`` (in order, same draws as :func:`hide_likers` one film at a time), hide the
    ratings of a random half of its likers; all hidden together from one training table."""
    r = ds.ratings
    thr = ds.relevance_threshold
    item_col = r["item_id"].to_numpy()
    user_col = r["user_id"].to_numpy()
    liked = r["rating"].to_numpy() >= thr
    keep = np.ones(len(r), dtype=bool)
    wanted = set(items)
    rows_of: dict = {}
    for idx in np.flatnonzero(liked & pd.Series(item_col).isin(wanted).to_numpy()):
        rows_of.setdefault(item_col[idx], []).append(idx)
    hidden, likers = {}, {}
    for item in items:
        rows = np.asarray(rows_of.get(item, []), dtype=np.int64)
        n_hide = len(rows) // 2
        hide = rng.choice(rows, size=n_hide, replace=False) if n_hide else np.array([], dtype=int)
        keep[hide] = False
        hidden[item] = np.unique(user_col[hide]).astype(object)
        likers[item] = len(rows)
    return MultiHoldout(list(items), r[keep], hidden, likers)


def _evaluate_multi(ds, split: MultiHoldout, models: list[str], seed: int, progress=None) -> list[dict]:
    """Fit each scorer once on ``split.train``; lift@10% of every film from that one fit."""
    ts = Trainset.from_frame(split.train, ds.rating_scale)
    all_users = np.asarray(sorted(ds.ratings["user_id"].unique()), dtype=object)
    pos_of_inner = np.searchsorted(all_users, ts.users_raw.astype(object))
    known_all = np.zeros(len(all_users), dtype=bool)
    known_all[pos_of_inner] = True
    inner_of_pos = np.full(len(all_users), -1, dtype=np.int64)
    inner_of_pos[pos_of_inner] = np.arange(ts.n_users)
    js = ts.inner_iids(split.items)
    csc = ts.csc
    rows = [
        {
            "item_id": item,
            "likers": int(split.likers[item]),
            "hidden": 0,
            "pool": 0,
            "lift": {},
        }
        for item in split.items
    ]
    for m, name in enumerate(models):
        if progress:
            progress(m, len(models), name)
        scorer = make_scorer(name, seed=seed).fit(ts, ds.relevance_threshold)
        cols = scorer.score_columns(np.maximum(js, 0))
        for k, item in enumerate(split.items):
            rated = np.zeros(len(all_users), dtype=bool)
            if js[k] >= 0:
                rated[pos_of_inner[csc.indices[csc.indptr[js[k]] : csc.indptr[js[k] + 1]]]] = True
            pool = np.flatnonzero(~rated)
            target = np.isin(all_users[pool], split.hidden_users[item])
            s = np.full(len(pool), -np.inf)
            known = known_all[pool]
            s[known] = cols[inner_of_pos[pool[known]], k] if js[k] >= 0 else 0.0
            if (~known).any():  # users whose every rating was hidden: no history left in training
                s[~known] = scorer.cold_user_scores(int((~known).sum()), int(max(js[k], 0)), s[known])
            rows[k]["lift"][name] = lift_at(s, target, 0.1, np.random.default_rng(seed))
            rows[k]["hidden"] = int(target.sum())
            rows[k]["pool"] = int(len(pool))
    return rows


def evaluate_lift(
    ds,
    n_items: int = 20,
    model: str | None = None,
    seed: int = 0,
    min_likers: int = 30,
    extra_models: Iterable[str] = (),
    progress: Callable[[int, int, str], None] | None = None,
    protocol: str = "one-fit",
) -> dict:
    """The offline audience benchmark (protocol of the ``audience --evaluate`` command).

    Samples ``n_items`` films with >= ``min_likers`` likers and hides a random half of each film's likers'
    ratings. ``protocol="one-fit"`` (default) hides them for all films at once and fits each scorer once;
    ``"per-film"`` hides one film's likers at a time and refits for every film (cost grows with the number
    of films). Either way each film's pool is every user with no rating of it in training, and lift@10% is
    measured for the model, popularity (user activity) and random. ``progress(step, total, label)``.
    """
    if protocol not in ("one-fit", "per-film"):
        raise ValueError(f"unknown protocol {protocol!r}; use one-fit or per-film")
    model = (model or "auto").strip().lower()
    if model in ("auto", "default", ""):
        model = default_model(*dataset_shape(ds.ratings))
    elig = eligible_items(ds, min_likers)
    if elig.empty:
        raise ValueError(
            f"no film has at least {min_likers} likers (rating >= {ds.relevance_threshold:g}); "
            "use a larger dataset or lower --min-likers"
        )
    rng = np.random.default_rng(seed)
    n = min(int(n_items), len(elig))
    chosen = sorted(rng.choice(np.asarray(elig.index, dtype=object), size=n, replace=False).tolist())
    names = [model] + [m for m in ("popularity", "random", *extra_models) if m != model]
    if protocol == "one-fit":
        split = hide_likers_many(ds, chosen, rng)
        results = _evaluate_multi(ds, split, names, seed, progress)
        if progress:
            progress(len(names), len(names), "")
    else:
        results = []
        for k, item in enumerate(chosen):
            if progress:
                progress(k, n, str(item))
            results.append(_evaluate_split(ds, hide_likers(ds, item, rng), names, seed))
        if progress:
            progress(n, n, "")
    return _lift_summary(results, model, extra_models, seed, min_likers, protocol)


def _lift_summary(results, model, extra_models, seed, min_likers, protocol) -> dict:
    per_item = []
    for res in results:
        row = {
            "item_id": res["item_id"],
            "likers": res["likers"],
            "hidden": res["hidden"],
            "pool": res["pool"],
            "lift_at_10pct": res["lift"][model],
            "popularity_lift_at_10pct": res["lift"]["popularity"],
            "random_lift_at_10pct": res["lift"]["random"],
        }
        for m in extra_models:
            row[f"{m}_lift_at_10pct"] = res["lift"][m]
        per_item.append(row)
    df = pd.DataFrame(per_item)
    out = {
        "items": len(per_item),
        "model": model,
        "seed": int(seed),
        "min_likers": int(min_likers),
        "protocol": protocol,
        "lift_at_10pct": float(df["lift_at_10pct"].mean()),
        "popularity_lift_at_10pct": float(df["popularity_lift_at_10pct"].mean()),
        "random_lift_at_10pct": float(df["random_lift_at_10pct"].mean()),
    }
    for m in extra_models:
        out[f"{m}_lift_at_10pct"] = float(df[f"{m}_lift_at_10pct"].mean())
    out["per_item"] = per_item
    return out
