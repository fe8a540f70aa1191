"""Realistic synthetic rating data at a chosen size, streamed to Parquet in chunks.

The shape follows public film-rating logs (MovieLens 25M: ~162K users, ~59K films, 25M ratings):

* **long-tail film popularity**: film weights are log-normal, so a few films gather most ratings and
  most films get a handful;
* **heavy-tailed user activity**: ratings per user follow a Pareto-like law with a floor
  (``min_user_ratings``, 20 in MovieLens);
* **taste structure**: every film belongs to one of ``n_tastes`` taste groups (genre-like); every user
  likes a few groups (a sparse Dirichlet mix). A user picks films from the groups they like, weighted by
  popularity, and rates them higher when the group matches; so personalised models beat popularity;
* **timestamps**: each user is active for a while between 2000 and 2020, ratings spread over that span;
* half-star ratings from 0.5 to 5.0.

Everything is seeded (``seed``): the same arguments give the same file. Users are generated in chunks
(``chunk_ratings`` ratings at a time) and each chunk is appended to the Parquet file, so memory stays
around a few hundred MB even for 25M ratings.

Output folder: ``ratings.parquet`` (user_id, item_id, rating, timestamp) and ``movies.csv``
(movieId, title, genres) - the MovieLens layout, readable by :func:`recsys_core.data.io.load_path`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .readers import ML100K_GENRES

# users and films per rating in MovieLens 25M (162,541 users, 59,047 films, 25,000,095 ratings)
ML25M_USERS_PER_RATING = 162_541 / 25_000_095
ML25M_ITEMS_PER_RATING = 59_047 / 25_000_095
TASTE_NAMES = tuple(ML100K_GENRES[1:])  # MovieLens' genre names, without 'unknown'
T_START = 946_684_800  # 2000-01-01
T_END = 1_577_836_800  # 2020-01-01


@dataclass(frozen=True)
class SynthSpec:
    n_ratings: int
    n_users: int
    n_items: int
    n_tastes: int = len(TASTE_NAMES)
    seed: int = 0
    min_user_ratings: int = 20
    popularity_sigma: float = 1.6  # log-normal spread of film popularity (long tail)
    activity_alpha: float = 1.3  # Pareto tail of ratings per user (heavy tail)
    taste_concentration: float = 0.15  # Dirichlet alpha: small = users like few taste groups
    taste_focus: float = 0.85  # share of a user's picks drawn from their taste mix (rest: by popularity)

    @classmethod
    def for_ratings(cls, n_ratings: int, n_users: int | None = None, n_items: int | None = None, **kw) -> SynthSpec:
        """A spec with MovieLens-25M proportions for ``n_ratings`` unless users / films are given."""
        n_ratings = int(n_ratings)
        if n_ratings < 1:
            raise ValueError("the number of ratings must be at least 1")
        users = int(n_users) if n_users else max(10, round(n_ratings * ML25M_USERS_PER_RATING))
        items = int(n_items) if n_items else max(20, round(n_ratings * ML25M_ITEMS_PER_RATING))
        if users < 1 or items < 2:
            raise ValueError("synthetic data needs at least 1 user and 2 films")
        if n_ratings > users * items // 2:
            raise ValueError(
                f"{n_ratings:,} ratings do not fit {users:,} users x {items:,} films at under half density; "
                "give more users or films"
            )
        return cls(n_ratings=n_ratings, n_users=users, n_items=items, **kw)


def parse_count(text: str) -> int:
    """``"10M"`` -> 10_000_000, ``"250k"`` -> 250_000, ``"1e6"`` -> 1_000_000."""
    s = str(text).strip().lower().replace(",", "").replace("_", "")
    mult = 1
    if s.endswith(("k", "m", "g", "b")):
        mult = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000, "b": 1_000_000_000}[s[-1]]
        s = s[:-1]
    try:
        value = float(s) * mult
    except ValueError:
        raise ValueError(f"{text!r} is not a count; write e.g. 1M, 250k or 100000") from None
    if value < 1 or value != value:
        raise ValueError(f"{text!r}: the count must be at least 1")
    return int(round(value))


class _World:
    """Film and user parameters (small: O(users + films)); ratings are drawn per user chunk."""

    def __init__(self, spec: SynthSpec):
        self.spec = spec
        rng = np.random.default_rng([spec.seed, 1])
        n_i, n_u, g = spec.n_items, spec.n_users, spec.n_tastes
        # films: taste group, long-tail popularity, quality; item ids in a shuffled order
        self.item_taste = rng.integers(0, g, size=n_i)
        self.item_pop = rng.lognormal(0.0, spec.popularity_sigma, size=n_i)
        self.item_quality = rng.normal(0.0, 0.45, size=n_i)
        self.item_ids = rng.permutation(n_i) + 1
        # per taste group: films sorted by group, cumulative popularity, each group spans [t, t + 1)
        order = np.argsort(self.item_taste, kind="stable")
        self.group_order = order
        taste_sorted = self.item_taste[order]
        w = self.item_pop[order]
        cum = np.zeros(n_i)
        starts = np.searchsorted(taste_sorted, np.arange(g))
        ends = np.searchsorted(taste_sorted, np.arange(g), side="right")
        for t in range(g):
            seg = w[starts[t] : ends[t]]
            if len(seg):
                cum[starts[t] : ends[t]] = t + np.cumsum(seg) / seg.sum()
        self.group_cum = cum
        self.group_has = ends > starts
        self.group_start, self.group_end = starts, ends
        self.pop_cum = np.cumsum(self.item_pop) / self.item_pop.sum()
        # users: activity (heavy tail, floor, sums to n_ratings), taste mix, bias, activity window
        act = spec.min_user_ratings * (1.0 + rng.pareto(spec.activity_alpha, size=n_u))
        cap = max(1, n_i // 2)
        self.user_n = _apportion(act, spec.n_ratings, cap)
        mix = rng.dirichlet(np.full(g, spec.taste_concentration), size=n_u)
        mix[:, ~self.group_has] = 0.0
        mix /= np.maximum(mix.sum(axis=1, keepdims=True), 1e-12)
        self.user_mix = mix
        self.user_bias = rng.normal(0.0, 0.35, size=n_u)
        self.user_start = rng.integers(T_START, T_END - 86_400 * 30, size=n_u)
        span = rng.lognormal(np.log(86_400 * 200), 1.5, size=n_u)
        self.user_span = np.minimum(span, T_END - self.user_start).astype(np.int64) + 1

    def _draw(self, users: np.ndarray, draws: np.ndarray, rng, uniform: str = "") -> np.ndarray:
        """``draws[k]`` film picks for each user ``users[k]`` (with repeats), as keys user * n_items + film.

        ``uniform``: ``"group"`` any film of a liked group, ``"all"`` any film, with equal chance (fill the
        lists of very heavy users from the long tail).
        """
        spec = self.spec
        g = spec.n_tastes
        uu = np.repeat(users, draws)
        m = len(uu)
        if uniform == "all":
            return uu.astype(np.int64) * spec.n_items + rng.integers(0, spec.n_items, size=m)
        # taste group of each draw: inverse CDF of the user's mix; row k of ``flat`` spans (k, k + 1]
        cmix = np.cumsum(self.user_mix[users], axis=1)
        cmix[:, -1] = 1.0
        flat = (cmix + np.arange(len(users))[:, None]).ravel()
        row = np.repeat(np.arange(len(users)), draws)
        grp = np.clip(np.searchsorted(flat, row + rng.random(m), side="right") - row * g, 0, g - 1)
        if uniform == "group":  # any film of the group with equal chance
            lo, hi = self.group_start[grp], self.group_end[grp]
            item_t = self.group_order[lo + (rng.random(m) * (hi - lo)).astype(np.int64)]
            return uu.astype(np.int64) * spec.n_items + item_t
        pos = np.searchsorted(self.group_cum, grp + rng.random(m) * (1 - 1e-12), side="right")
        item_t = self.group_order[np.minimum(pos, spec.n_items - 1)]
        item_p = np.minimum(np.searchsorted(self.pop_cum, rng.random(m), side="right"), spec.n_items - 1)
        item = np.where(rng.random(m) < spec.taste_focus, item_t, item_p)
        return uu.astype(np.int64) * spec.n_items + item

    def chunk(self, users: np.ndarray) -> pd.DataFrame:
        """All ratings of the given inner users (one frame, sorted by user then time)."""
        spec = self.spec
        rng = np.random.default_rng([spec.seed, 2, int(users[0])])
        need = self.user_n[users]
        keys = np.zeros(0, dtype=np.int64)
        have = np.zeros(len(users), dtype=np.int64)
        for rnd in range(8):  # redraw for users still short of distinct films (heavy users, narrow tastes)
            short = need - have
            todo = short > 0
            if not todo.any():
                break
            draws = np.ceil(short[todo] * (1.3 + rnd) + 8).astype(np.int64)
            fill = "" if rnd < 2 else ("group" if rnd < 5 else "all")
            new = self._draw(users[todo], draws, rng, uniform=fill)
            keys = _sorted_unique(np.concatenate([keys, new]))
            have = np.bincount(keys // spec.n_items - users[0], minlength=len(users))
        # keep a random ``need[u]`` of each user's distinct films
        uu, item = keys // spec.n_items, keys % spec.n_items
        order = np.lexsort((rng.random(len(keys)), uu))
        uu, item = uu[order], item[order]
        keep = _rank_within(uu) < self.user_n[uu]
        uu, item = uu[keep], item[keep]
        # rating: user bias + film quality + how much the user likes the film's taste group + noise
        like = self.user_mix[uu, self.item_taste[item]]
        raw = 3.35 + self.user_bias[uu] + self.item_quality[item] + 1.6 * (like - 1.0 / spec.n_tastes)
        raw += rng.normal(0.0, 0.75, size=len(uu))
        rating = np.clip(np.round(raw * 2) / 2, 0.5, 5.0)
        t = self.user_start[uu] + (rng.random(len(uu)) * self.user_span[uu]).astype(np.int64)
        df = pd.DataFrame(
            {
                "user_id": (uu + 1).astype(np.int32),
                "item_id": self.item_ids[item].astype(np.int32),
                "rating": rating.astype(np.float32),
                "timestamp": t.astype(np.int64),
            }
        )
        return df.sort_values(["user_id", "timestamp"], kind="stable").reset_index(drop=True)

    def movies(self) -> pd.DataFrame:
        rng = np.random.default_rng([self.spec.seed, 3])
        n = self.spec.n_items
        names = np.array(TASTE_NAMES * (self.spec.n_tastes // len(TASTE_NAMES) + 1))[: self.spec.n_tastes]
        second = rng.integers(0, self.spec.n_tastes, size=n)
        has_second = rng.random(n) < 0.5
        genres = [
            names[a] if not b or a == c else f"{names[a]}|{names[c]}"
            for a, b, c in zip(self.item_taste, has_second, second, strict=True)
        ]
        years = rng.integers(1950, 2020, size=n)
        titles = [f"Film {k} ({y})" for k, y in zip(self.item_ids, years, strict=True)]
        out = pd.DataFrame({"movieId": self.item_ids, "title": titles, "genres": genres})
        return out.sort_values("movieId").reset_index(drop=True)


def _apportion(weights: np.ndarray, total: int, cap: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum to ``total`` (each at least 1, at most ``cap``)."""
    w = np.asarray(weights, dtype=float)
    n = len(w)
    total = int(min(total, n * cap))
    out = np.maximum(1, np.floor(w / w.sum() * total)).astype(np.int64)
    out = np.minimum(out, cap)
    for _ in range(50):  # a few rounds of rescaling reach the total exactly
        diff = total - int(out.sum())
        if diff == 0:
            break
        room = (out < cap) if diff > 0 else (out > 1)
        idx = np.flatnonzero(room)
        if not len(idx):
            break
        step = np.sign(diff) * np.maximum(1, np.floor(abs(diff) * w[idx] / w[idx].sum())).astype(np.int64)
        if abs(int(step.sum())) > abs(diff):
            order = np.argsort(-w[idx])[: abs(diff)]
            step = np.zeros_like(step)
            step[order] = np.sign(diff)
        out[idx] = np.clip(out[idx] + step, 1, cap)
    return out


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a plain sort: faster than ``np.unique``'s hashing on large int arrays)."""
    a = np.sort(a)
    if len(a) < 2:
        return a
    return a[np.r_[True, a[1:] != a[:-1]]]


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal values of a sorted-by-group array."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    counts = np.diff(np.r_[start, n])
    return np.arange(n) - np.repeat(start, counts)


def iter_chunks(spec: SynthSpec, chunk_ratings: int = 2_000_000):
    """Yield rating frames of about ``chunk_ratings`` rows, users in order (deterministic)."""
    world = _World(spec)
    cum = np.cumsum(world.user_n)
    start = 0
    while start < spec.n_users:
        base = int(cum[start - 1]) if start else 0
        stop = int(np.searchsorted(cum, base + max(int(chunk_ratings), 1), side="right"))
        stop = min(max(stop, start + 1), spec.n_users)
        yield world.chunk(np.arange(start, stop))
        start = stop


def generate(spec: SynthSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small sizes in memory: (ratings, movies)."""
    world = _World(spec)
    ratings = pd.concat(list(iter_chunks(spec)), ignore_index=True)
    return ratings, world.movies()


def write(
    spec: SynthSpec,
    out_dir,
    chunk_ratings: int = 2_000_000,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Stream the ratings of ``spec`` to ``out_dir/ratings.parquet`` plus ``movies.csv`` and ``synth.json``.

    Returns {"ratings", "users", "items", "path", ...}. ``progress(done_ratings, target_ratings)``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "ratings.parquet"
    tmp = out / "ratings.parquet.part"
    world = _World(spec)
    written = 0
    users_seen = 0
    items_seen = np.zeros(spec.n_items + 1, dtype=bool)
    writer = None
    try:
        for df in iter_chunks(spec, chunk_ratings):
            table = pa.Table.from_pandas(df, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table)
            written += len(df)
            users_seen += int(df["user_id"].nunique())
            items_seen[df["item_id"].to_numpy()] = True
            if progress:
                progress(written, spec.n_ratings)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    world.movies().to_csv(out / "movies.csv", index=False)
    info = {
        "ratings": written,
        "users": users_seen,
        "items": int(items_seen.sum()),
        "path": str(path),
        "spec": asdict(spec),
    }
    (out / "synth.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return info


def read_ratings(path) -> pd.DataFrame:
    """The ratings of a generated folder (or its ratings.parquet) as a canonical frame with string ids."""
    p = Path(path)
    if p.is_dir():
        p = p / "ratings.parquet"
    df = pd.read_parquet(p)
    df["user_id"] = df["user_id"].astype(str)
    df["item_id"] = df["item_id"].astype(str)
    df["rating"] = df["rating"].astype(float)
    return df
