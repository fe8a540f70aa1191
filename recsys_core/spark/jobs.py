"""The Spark jobs behind ``python -m recsys_core spark JOB``: each returns (tables, summary).

Definitions follow the local engine:

* splits (:mod:`recsys_core.evaluation.splits`): only rated rows; ``random`` holds out
  ``round(n * test_size)`` rows in a seeded random order; ``kfold`` cuts that order into k parts the way
  ``numpy.array_split`` does; ``temporal`` holds out the latest ``round(n * test_size)`` rows (missing times
  oldest, ties by input order); ``user`` holds out each user's latest ``n`` ratings when the user has at
  least ``n + 1``. Spark's seeded order is not numpy's, so the same seed picks other rows, of the same size.
* relevance: rating >= :func:`recsys_core.data.dataset.relevance_threshold` of the scale (4 on 1-5).
* ranking metrics over users with at least one relevant test film; seen (training) films excluded.
* bias baseline: ``mu + b_u + b_i`` by the alternating updates of :class:`~recsys_core.models.baselines.BiasBaseline`.
* audience lift@10%: the protocol of :func:`recsys_core.profiling.audience.evaluate_lift` (films with at
  least ``min_likers`` likers, a random half of each film's likers hidden, the pool is every user without a
  rating of the film in training, lift = share of hidden likers in the top ceil(10% of pool) / share overall).
"""

from __future__ import annotations

import math

import numpy as np

from ..data.dataset import relevance_threshold
from ..errors import UserError
from .io import ROW


def _F():
    from pyspark.sql import functions as F

    return F


# ---------------------------------------------------------------------------- ratings + ids
def ratings_frame(df):
    """Rated rows with integer ids for MLlib: user_id, item_id, rating, timestamp, _row, uid, iid."""
    from pyspark.ml.feature import StringIndexer

    F = _F()
    r = df.where(F.col("rating").isNotNull())
    if ROW not in r.columns:
        r = r.withColumn(ROW, F.monotonically_increasing_id())
    if "timestamp" not in r.columns:
        r = r.withColumn("timestamp", F.lit(None).cast("timestamp_ntz"))
    r = r.select("user_id", "item_id", F.col("rating").cast("double").alias("rating"), "timestamp", ROW)
    idx = StringIndexer(inputCols=["user_id", "item_id"], outputCols=["uid", "iid"], stringOrderType="alphabetAsc")
    r = idx.fit(r).transform(r)
    r = r.withColumn("uid", F.col("uid").cast("int")).withColumn("iid", F.col("iid").cast("int"))
    return r.localCheckpoint(eager=True)


# ---------------------------------------------------------------------------- splits
def _indexed(df, order):
    """``df`` with ``_idx`` = 0..n-1 in ``order`` (exact, distributed: zipWithIndex over a sorted frame)."""
    from pyspark.sql.types import LongType, StructField, StructType

    sorted_df = df.orderBy(*order)
    schema = StructType(sorted_df.schema.fields + [StructField("_idx", LongType(), False)])
    rdd = sorted_df.rdd.zipWithIndex().map(lambda p: tuple(p[0]) + (p[1],))
    return sorted_df.sparkSession.createDataFrame(rdd, schema)


def _time_key():
    F = _F()
    return [F.col("timestamp").asc_nulls_first(), F.col(ROW)]


def split_frames(r, kind: str = "random", test_size: float = 0.2, folds: int = 5, seed: int = 0, n: int = 1):
    """[(train, test)] with the definitions of :mod:`recsys_core.evaluation.splits`."""
    F = _F()
    kind = (kind or "random").lower()
    total = r.count()
    if kind in ("random", "holdout", "temporal"):
        if not 0 < test_size < 1:
            raise UserError("--test-size must be between 0 and 1")
        n_test = int(round(total * test_size))
        if n_test < 1 or n_test >= total:
            raise UserError(f"only {total} rated rows: too few for a {test_size:.0%} holdout")
        if kind == "temporal":
            if r.where(F.col("timestamp").isNotNull()).limit(1).count() == 0:
                raise UserError("a temporal split needs timestamps; this data has none (use --split random)")
            d = _indexed(r, _time_key())
            is_test = F.col("_idx") >= total - n_test
        else:
            d = _indexed(r.withColumn("_u", F.rand(seed)), [F.col("_u"), F.col(ROW)])
            is_test = F.col("_idx") < n_test
        d = d.withColumn("_test", is_test).localCheckpoint(eager=True)
        return [(d.where(~F.col("_test")), d.where(F.col("_test")))]
    if kind in ("kfold", "cv"):
        if folds < 2 or total < folds:
            raise UserError(f"k-fold needs at least 2 folds and as many rated rows ({total} rows, {folds} folds)")
        q, rem = divmod(total, folds)
        d = _indexed(r.withColumn("_u", F.rand(seed)), [F.col("_u"), F.col(ROW)])
        big = rem * (q + 1)
        fold = F.when(F.col("_idx") < big, F.floor(F.col("_idx") / (q + 1))).otherwise(
            rem + F.floor((F.col("_idx") - big) / q)
        )
        d = d.withColumn("_fold", fold.cast("int")).localCheckpoint(eager=True)
        return [(d.where(F.col("_fold") != k), d.where(F.col("_fold") == k)) for k in range(folds)]
    if kind in ("user", "leave_last_n", "loo"):
        from pyspark.sql import Window

        if n < 1:
            raise UserError("leave-last-n needs n >= 1")
        w = Window.partitionBy("user_id").orderBy(F.col("timestamp").desc_nulls_last(), F.col(ROW).desc())
        cnt = F.count(F.lit(1)).over(Window.partitionBy("user_id"))
        d = r.withColumn("_from_end", F.row_number().over(w) - 1).withColumn("_cnt", cnt)
        d = d.withColumn("_test", (F.col("_from_end") < n) & (F.col("_cnt") >= n + 1)).localCheckpoint(eager=True)
        if d.where("_test").limit(1).count() == 0:
            raise UserError(f"no user has at least {n + 1} ratings: nothing to hold out with leave-last-{n}")
        return [(d.where(~F.col("_test")), d.where(F.col("_test")))]
    raise UserError(f"unknown split {kind!r}; choose from: random, kfold, temporal, user")


# ---------------------------------------------------------------------------- models
def fit_als(train, rank=10, reg=0.1, iters=10, seed=0, implicit=False, alpha=1.0):
    from pyspark.ml.recommendation import ALS

    als = ALS(
        rank=int(rank),
        regParam=float(reg),
        maxIter=int(iters),
        userCol="uid",
        itemCol="iid",
        ratingCol="rating",
        coldStartStrategy="drop",
        implicitPrefs=bool(implicit),
        alpha=float(alpha),
        seed=int(seed),
        nonnegative=False,
    )
    return als.fit(train)


def fit_bias(train, reg_u=15.0, reg_i=10.0, epochs=10):
    """(mu, user biases frame, item biases frame): the alternating updates of the local ``bias`` model."""
    F = _F()
    mu = float(train.agg(F.avg("rating")).first()[0])
    t = train.select("uid", "iid", "rating").localCheckpoint(eager=True)
    bu = t.select("uid").distinct().withColumn("bu", F.lit(0.0))
    bi = None
    for _ in range(int(epochs)):
        x = t.join(bu, "uid")
        bi = x.groupBy("iid").agg((F.sum(F.col("rating") - mu - F.col("bu")) / (reg_i + F.count(F.lit(1)))).alias("bi"))
        bi = bi.localCheckpoint(eager=True)
        y = t.join(bi, "iid")
        bu = y.groupBy("uid").agg((F.sum(F.col("rating") - mu - F.col("bi")) / (reg_u + F.count(F.lit(1)))).alias("bu"))
        bu = bu.localCheckpoint(eager=True)
    return mu, bu, bi


def _clip(col, scale):
    F = _F()
    return F.least(F.greatest(col, F.lit(float(scale[0]))), F.lit(float(scale[1])))


def _accuracy(pred, scale) -> dict:
    from pyspark.ml.evaluation import RegressionEvaluator

    F = _F()
    pred = pred.withColumn("prediction", _clip(F.col("prediction"), scale))
    out = {}
    for m in ("rmse", "mae"):
        ev = RegressionEvaluator(metricName=m, labelCol="rating", predictionCol="prediction")
        out[m] = float(ev.evaluate(pred))
    return out


def _relevant(test, threshold):
    F = _F()
    rel = (
        test.where(F.col("rating") >= threshold)
        .groupBy("uid")
        .agg(F.collect_set(F.col("iid").cast("double")).alias("label"))
    )
    return rel


def _ranking(top, rel, k: int) -> dict:
    """precision/recall/NDCG/MAP@K from RankingEvaluator; ``top`` holds uid + prediction (array<double>)."""
    from pyspark.ml.evaluation import RankingEvaluator

    F = _F()
    data = rel.join(top, "uid", "left").withColumn(
        "prediction", F.coalesce(F.col("prediction"), F.array().cast("array<double>"))
    )
    out = {"users": int(data.count())}
    names = {"precisionAtK": "precision", "recallAtK": "recall", "ndcgAtK": "ndcg", "meanAveragePrecisionAtK": "map"}
    for metric, short in names.items():
        ev = RankingEvaluator(metricName=metric, k=int(k), labelCol="label", predictionCol="prediction")
        out[f"{short}@{k}"] = float(ev.evaluate(data))
    return out


def _top_from_scores(scored, k: int):
    """uid, prediction: the top-k iid (as doubles) per user of a (uid, iid, score) frame."""
    from pyspark.sql import Window

    F = _F()
    w = Window.partitionBy("uid").orderBy(F.col("score").desc(), F.col("iid"))
    top = scored.withColumn("_r", F.row_number().over(w)).where(F.col("_r") <= k)
    return top.groupBy("uid").agg(
        F.transform(F.array_sort(F.collect_list(F.struct("_r", "iid"))), lambda s: s["iid"].cast("double")).alias(
            "prediction"
        )
    )


def als_top_unseen(model, users, seen, k: int, n_items: int, max_seen: int):
    """(uid, iid, score) of each user's top-k films that are not in ``seen`` (uid, iid)."""
    F = _F()
    want = int(min(n_items, k + max_seen))
    recs = model.recommendForUserSubset(users, want)
    flat = recs.select("uid", F.posexplode("recommendations").alias("pos", "rec")).select(
        "uid", F.col("rec.iid").alias("iid"), F.col("rec.rating").alias("score")
    )
    return flat.join(seen, ["uid", "iid"], "left_anti")


def popularity_top_unseen(train, users, seen, k: int, max_seen: int):
    F = _F()
    pop = train.groupBy("iid").agg(F.count(F.lit(1)).alias("score")).orderBy(F.col("score").desc(), "iid")
    pop = pop.limit(k + max_seen)
    return users.crossJoin(F.broadcast(pop)).join(seen, ["uid", "iid"], "left_anti")


def _max_seen(train) -> int:
    F = _F()
    return int(train.groupBy("uid").count().agg(F.max("count")).first()[0] or 0)


def evaluate_fold(train, test, p: dict, scale) -> list[dict]:
    """Rows (model, metrics) for one split: ALS explicit, ALS implicit, bias, popularity."""
    F = _F()
    k = int(p["k"])
    thr = relevance_threshold(scale)
    train = train.select("uid", "iid", "rating").localCheckpoint(eager=True)
    test = test.select("uid", "iid", "rating").localCheckpoint(eager=True)
    rel = _relevant(test, thr).localCheckpoint(eager=True)
    users = rel.select("uid")
    seen = train.select("uid", "iid")
    n_items = int(train.select("iid").distinct().count())
    max_seen = _max_seen(train)
    rows = []
    als = fit_als(train, p["rank"], p["reg"], p["iters"], p["seed"])
    row = {"model": "als", **_accuracy(als.transform(test), scale)}
    row.update(_ranking(_top_from_scores(als_top_unseen(als, users, seen, k, n_items, max_seen), k), rel, k))
    rows.append(row)
    if p.get("implicit", True):
        imp = fit_als(train, p["rank"], p["reg"], p["iters"], p["seed"], implicit=True, alpha=p["alpha"])
        row = {"model": "als_implicit", "rmse": None, "mae": None}
        row.update(_ranking(_top_from_scores(als_top_unseen(imp, users, seen, k, n_items, max_seen), k), rel, k))
        rows.append(row)
    mu, bu, bi = fit_bias(train)
    pred = test.join(bu, "uid", "left").join(bi, "iid", "left")
    pred = pred.withColumn("prediction", mu + F.coalesce("bu", F.lit(0.0)) + F.coalesce("bi", F.lit(0.0)))
    row = {"model": "bias", **_accuracy(pred, scale)}
    bias_scores = users.crossJoin(bi.withColumn("score", mu + F.col("bi")).select("iid", "score"))
    row.update(_ranking(_top_from_scores(bias_scores.join(seen, ["uid", "iid"], "left_anti"), k), rel, k))
    rows.append(row)
    row = {"model": "popularity", "rmse": None, "mae": None}
    row.update(_ranking(_top_from_scores(popularity_top_unseen(train, users, seen, k, max_seen), k), rel, k))
    rows.append(row)
    return rows


def grid_search(train, test, p: dict, scale, grid: dict) -> list[dict]:
    """RMSE of explicit ALS for every (rank, regParam) of ``grid`` on one split."""
    out = []
    for rank in grid.get("rank", [p["rank"]]):
        for reg in grid.get("reg", [p["reg"]]):
            m = fit_als(train, rank, reg, p["iters"], p["seed"])
            out.append({"rank": int(rank), "reg": float(reg), **_accuracy(m.transform(test), scale)})
    return out


def evaluate(df, p: dict, scale):
    """(tables, summary) of ``spark evaluate``."""
    import pandas as pd

    r = ratings_frame(df)
    splits = split_frames(r, p["split"], p["test_size"], p["folds"], p["seed"], p["n"])
    rows = []
    for fold, (train, test) in enumerate(splits):
        for row in evaluate_fold(train, test, p, scale):
            rows.append({"fold": fold, **row})
    per_fold = pd.DataFrame(rows)
    means = per_fold.drop(columns="fold").groupby("model", sort=False).mean(numeric_only=True).reset_index()
    summary = {
        "job": "evaluate",
        "split": p["split"],
        "folds": len(splits),
        "rating_scale": list(scale),
        "relevance_threshold": relevance_threshold(scale),
        "k": int(p["k"]),
        "params": {k: p[k] for k in ("rank", "reg", "iters", "alpha", "seed")},
        "results": [{k: _num(v) for k, v in row.items()} for row in means.to_dict("records")],
    }
    tables = {"metrics": per_fold}
    if p.get("grid"):
        train, test = splits[0]
        g = pd.DataFrame(grid_search(train, test, p, scale, p["grid"]))
        best = g.sort_values("rmse").iloc[0]
        summary["grid"] = {"rows": g.to_dict("records"), "best": {"rank": int(best["rank"]), "reg": float(best["reg"])}}
        tables["grid"] = g
    return tables, summary


def _num(v):
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(float(v)) else float(v)
    return v


# ---------------------------------------------------------------------------- recommend / audience
def recommend_all(r, p: dict, seen=None):
    """(user_id, rank, item_id, score) top-N for every user (recommendForAllUsers), excluding every film the
    user has an interaction with in ``seen`` (user_id, item_id; default: the rated rows ``r``)."""
    from pyspark.sql import Window

    F = _F()
    seen = (r if seen is None else seen).select("user_id", "item_id").distinct()
    model = fit_als(r, p["rank"], p["reg"], p["iters"], p["seed"])
    n = int(p["n"])
    n_items = int(r.select("iid").distinct().count())
    max_seen = int(seen.groupBy("user_id").count().agg(F.max("count")).first()[0] or 0)
    recs = model.recommendForAllUsers(int(min(n_items, n + max_seen)))
    flat = recs.select("uid", F.explode("recommendations").alias("rec")).select(
        "uid", F.col("rec.iid").alias("iid"), F.col("rec.rating").alias("score")
    )
    users = r.select("uid", "user_id").distinct()
    items = r.select("iid", "item_id").distinct()
    flat = flat.join(F.broadcast(items), "iid").join(users, "uid").join(seen, ["user_id", "item_id"], "left_anti")
    w = Window.partitionBy("uid").orderBy(F.col("score").desc(), F.col("iid"))
    top = flat.withColumn("rank", F.row_number().over(w)).where(F.col("rank") <= n)
    out = top.select("user_id", F.col("rank").cast("int"), "item_id", F.col("score").cast("double"))
    return out.orderBy("user_id", "rank"), model


def audiences(r, model, films: list[str], n: int):
    """(item_id, rank, user_id, score): the top ``n`` users without a rating of each film (recommendForItemSubset)."""
    from pyspark.sql import Window

    F = _F()
    items = r.select("iid", "item_id").distinct()
    chosen = items.where(F.col("item_id").isin(films))
    found = {x[0] for x in chosen.select("item_id").collect()}
    missing = [f for f in films if f not in found]
    if missing:
        raise UserError(f"--films: {', '.join(missing[:5])} not in the data - give film ids that have ratings")
    max_raters = int(r.where(F.col("item_id").isin(films)).groupBy("iid").count().agg(F.max("count")).first()[0] or 0)
    n_users = int(r.select("uid").distinct().count())
    recs = model.recommendForItemSubset(chosen.select("iid"), int(min(n_users, n + max_raters)))
    flat = recs.select("iid", F.explode("recommendations").alias("rec")).select(
        "iid", F.col("rec.uid").alias("uid"), F.col("rec.rating").alias("score")
    )
    flat = flat.join(r.select("uid", "iid"), ["uid", "iid"], "left_anti")
    w = Window.partitionBy("iid").orderBy(F.col("score").desc(), F.col("uid"))
    top = flat.withColumn("rank", F.row_number().over(w)).where(F.col("rank") <= n)
    users = r.select("uid", "user_id").distinct()
    return (
        top.join(users, "uid")
        .join(items, "iid")
        .select("item_id", F.col("rank").cast("int"), "user_id", F.col("score").cast("double"))
    )


def _lift(scores: np.ndarray, target: np.ndarray, seed: int) -> float:
    from ..profiling.audience import lift_at

    return lift_at(scores, target, 0.1, np.random.default_rng(seed))


def audience_lift(r, p: dict, scale) -> dict:
    """lift@10% of ALS, popularity and random with the protocol of ``audience --evaluate``."""
    F = _F()
    thr = relevance_threshold(scale)
    likers = r.where(F.col("rating") >= thr).groupBy("item_id").agg(F.countDistinct("user_id").alias("likers"))
    elig = likers.where(F.col("likers") >= int(p["min_likers"])).orderBy(F.col("likers").desc(), "item_id").collect()
    if not elig:
        raise UserError(
            f"no film has at least {p['min_likers']} likers (rating >= {thr:g}); use a larger dataset or lower --min-likers"
        )
    rng = np.random.default_rng(int(p["seed"]))
    ids = np.asarray([e[0] for e in elig], dtype=object)
    n = min(int(p["eval_items"]), len(ids))
    chosen = sorted(rng.choice(ids, size=n, replace=False).tolist())
    all_users = np.asarray(sorted(x[0] for x in r.select("user_id").distinct().collect()), dtype=object)
    per_item = [_lift_one(r, item, rng, all_users, thr, p) for item in chosen]
    out = {"items": n, "model": "als", "seed": int(p["seed"]), "min_likers": int(p["min_likers"])}
    for key in ("lift_at_10pct", "popularity_lift_at_10pct", "random_lift_at_10pct"):
        out[key] = float(np.nanmean([row[key] for row in per_item]))
    out["per_item"] = per_item
    return out


def _lift_one(r, item, rng, all_users, thr, p) -> dict:
    F = _F()
    rows = r.where((F.col("item_id") == item) & (F.col("rating") >= thr)).orderBy(ROW).select(ROW, "user_id").collect()
    n_hide = len(rows) // 2
    hide_idx = rng.choice(len(rows), size=n_hide, replace=False) if n_hide else np.array([], dtype=int)
    hidden_rows = [rows[i][0] for i in hide_idx]
    hidden_users = {rows[i][1] for i in hide_idx}
    train = r.where(~F.col(ROW).isin(hidden_rows)).localCheckpoint(eager=True)
    rated = {x[0] for x in train.where(F.col("item_id") == item).select("user_id").collect()}
    pool = np.array([u for u in all_users if u not in rated], dtype=object)
    target = np.isin(pool, list(hidden_users))
    model = fit_als(train, p["rank"], p["reg"], p["iters"], p["seed"], implicit=True, alpha=p["alpha"])
    iid = train.where(F.col("item_id") == item).select("iid").first()
    scores = np.full(len(pool), -np.inf)
    if iid is not None:
        uf = model.userFactors.toPandas()
        vf = model.itemFactors.where(F.col("id") == int(iid[0])).first()
        umap = dict(train.select("user_id", "uid").distinct().collect())
        if vf is not None:
            vec = np.asarray(vf["features"], dtype=float)
            f = {int(i): float(np.dot(np.asarray(v, dtype=float), vec)) for i, v in zip(uf["id"], uf["features"])}
            scores = np.array([f.get(umap.get(u, -1), -np.inf) for u in pool])
    counts = dict(train.groupBy("user_id").count().collect())
    pop = np.array([float(counts.get(u, 0)) for u in pool])
    rnd = np.random.default_rng(int(p["seed"])).random(len(pool))
    return {
        "item_id": item,
        "likers": len(rows),
        "hidden": int(target.sum()),
        "pool": int(len(pool)),
        "lift_at_10pct": _lift(scores, target, int(p["seed"])),
        "popularity_lift_at_10pct": _lift(pop, target, int(p["seed"])),
        "random_lift_at_10pct": _lift(rnd, target, int(p["seed"])),
    }


# ---------------------------------------------------------------------------- profile
def profiles(df, items=None, k: int = 5, seed: int = 0):
    """(per-user aggregates, KMeans segments, segment summary) in Spark ML."""
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.feature import StandardScaler, VectorAssembler

    F = _F()
    r = df.where(F.col("rating").isNotNull())
    film_mean = r.groupBy("item_id").agg(F.avg("rating").alias("_film_mean"))
    last = r.agg(F.max("timestamp")).first()[0]
    x = r.join(film_mean, "item_id")
    agg = x.groupBy("user_id").agg(
        F.count(F.lit(1)).alias("activity"),
        F.avg("rating").alias("mean_rating"),
        F.avg(F.col("rating") - F.col("_film_mean")).alias("offset_from_film_mean"),
        F.max("timestamp").alias("last_seen"),
        F.countDistinct("item_id").alias("films"),
    )
    if last is not None:
        agg = agg.withColumn(
            "recency_days",
            (F.unix_timestamp(F.lit(last).cast("timestamp")) - F.unix_timestamp(F.col("last_seen").cast("timestamp")))
            / 86400.0,
        )
    else:
        agg = agg.withColumn("recency_days", F.lit(0.0))
    agg = agg.withColumn("recency_days", F.coalesce("recency_days", F.lit(0.0)))
    if items is not None and "genres" in items.columns:
        g = items.select(
            F.col("item_id"), F.explode(F.split(F.coalesce("genres", F.lit("")), r"[|,/;、，]")).alias("genre")
        )
        g = g.where(F.col("genre") != "")
        share = r.join(g, "item_id").groupBy("user_id", "genre").count()
        w_tot = r.groupBy("user_id").agg(F.count(F.lit(1)).alias("_n"))
        share = share.join(w_tot, "user_id").withColumn("share", F.col("count") / F.col("_n"))
        from pyspark.sql import Window

        w = Window.partitionBy("user_id").orderBy(F.col("share").desc(), "genre")
        top = share.withColumn("_k", F.row_number().over(w)).where("_k <= 3")
        aff = top.groupBy("user_id").agg(
            F.concat_ws(
                "|", F.transform(F.array_sort(F.collect_list(F.struct("_k", "genre"))), lambda s: s["genre"])
            ).alias("top_genres"),
            F.max("share").alias("top_genre_share"),
        )
        agg = agg.join(aff, "user_id", "left")
    else:
        agg = agg.withColumn("top_genres", F.lit(None).cast("string")).withColumn(
            "top_genre_share", F.lit(None).cast("double")
        )
    agg = agg.withColumn("log_activity", F.log1p("activity")).localCheckpoint(eager=True)
    feats = ["log_activity", "mean_rating", "offset_from_film_mean", "recency_days"]
    vec = VectorAssembler(inputCols=feats, outputCol="_raw", handleInvalid="keep").transform(
        agg.fillna(0.0, subset=feats)
    )
    vec = StandardScaler(inputCol="_raw", outputCol="features", withMean=True, withStd=True).fit(vec).transform(vec)
    n_users = agg.count()
    k = max(1, min(int(k), int(n_users)))
    km = KMeans(k=k, seed=int(seed), featuresCol="features", predictionCol="segment").fit(vec)
    seg = km.transform(vec).select("user_id", F.col("segment").cast("int"))
    prof = agg.join(seg, "user_id").drop("log_activity")
    summary = (
        prof.groupBy("segment")
        .agg(
            F.count(F.lit(1)).alias("users"),
            F.avg("activity").alias("activity"),
            F.avg("mean_rating").alias("mean_rating"),
            F.avg("offset_from_film_mean").alias("offset_from_film_mean"),
            F.avg("recency_days").alias("recency_days"),
        )
        .orderBy("segment")
    )
    return prof.orderBy("user_id"), seg, summary
