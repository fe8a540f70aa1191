"""Run one Spark job end to end: session, input, job, output folder (temporary, then renamed), JSON summary."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError
from .io import MANIFEST, OUTPUT_FORMAT, ROW, OutputFolder, exists, read_input, read_text


def _F():
    from pyspark.sql import functions as F

    return F


def _spark_error(e: Exception) -> UserError:
    text = str(e).strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), e.__class__.__name__)
    return UserError(f"Spark job failed: {first[:300]}")


def load_interactions(spark, path: str, mapping=None):
    """(interactions, items, users, scale hint, name) from a ``spark clean`` output folder or any readable input.

    Raw input gets the light canonical form every job needs (ids normalised, numeric ratings, times parsed);
    run ``spark clean`` first for the full cleaning.
    """
    F = _F()
    base = path.rstrip("/")
    man = None
    if exists(spark, f"{base}/{MANIFEST}"):
        try:
            man = json.loads(read_text(spark, f"{base}/{MANIFEST}", 1 << 20))
        except ValueError:
            man = None
    if man and man.get("format") == OUTPUT_FORMAT and man.get("job") == "clean":
        df = spark.read.parquet(f"{base}/interactions").withColumn(ROW, F.monotonically_increasing_id())
        items = spark.read.parquet(f"{base}/items") if "items" in man.get("tables", {}) else None
        scale = tuple((man.get("headline") or {}).get("scale") or ()) or None
        summ = json.loads(read_text(spark, f"{base}/summary.json", 1 << 24))
        scale = tuple(summ.get("rating_scale", {}).get("normalised_to") or ()) or scale
        return df, items, scale, base.rsplit("/", 1)[-1]
    from .clean import NUM_RE, _norm_id, detect_scale, parse_timestamp_col

    inp = read_input(spark, path, mapping)
    df = inp.interactions
    df = df.withColumn("user_id", _norm_id(F.col("user_id"))).withColumn("item_id", _norm_id(F.col("item_id")))
    df = df.where(F.col("user_id").isNotNull() & F.col("item_id").isNotNull())
    if "rating" in df.columns:
        df = df.withColumn("rating", F.when(F.col("rating").rlike(NUM_RE), F.trim("rating").cast("double")))
    else:
        df = df.withColumn("rating", F.lit(None).cast("double"))
    ts = parse_timestamp_col(F.col("timestamp")) if "timestamp" in df.columns else F.lit(None).cast("timestamp_ntz")
    df = df.withColumn("timestamp", ts).localCheckpoint(eager=True)
    if df.where(F.col("rating").isNotNull()).limit(1).count() == 0:
        raise UserError(f"{path}: no numeric ratings - check the rating column (or run spark clean first)")
    scale = detect_scale(df, inp.scale_hint)
    return df, inp.items, scale, inp.name


def run_job(job: str, input_path: str, out: str, master: str, params: dict, mapping=None, conf=None) -> dict:
    """Run ``job`` and write its folder; returns the manifest (with ``summary`` inlined under ``result``)."""
    from .session import build_session, validate_master

    validate_master(master)
    if not out:
        raise UserError("--out: give a folder to write the results to")
    spark = build_session(master, f"CineLens {job}", conf)
    try:
        folder = OutputFolder(spark, out, job, master, {"input": input_path, **params})
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001
        raise _spark_error(e) from None
    try:
        summary = _dispatch(spark, job, input_path, folder, params, mapping)
        man = folder.commit(summary)
    except UserError:
        folder.abort()
        raise
    except Exception as e:  # noqa: BLE001 - Py4J / AnalysisException / worker errors
        folder.abort()
        raise _spark_error(e) from None
    man["result"] = summary
    return man


def _dispatch(spark, job, input_path, folder, p, mapping) -> dict:
    from . import jobs

    if job == "clean":
        return _clean(spark, input_path, folder, p, mapping)
    df, items, scale, _name = load_interactions(spark, input_path, mapping)
    scale = tuple(float(x) for x in scale) if scale else (1.0, 5.0)
    if job == "evaluate":
        tables, summary = jobs.evaluate(df, p, scale)
        for name, frame in tables.items():
            folder.table(name, spark.createDataFrame(frame), f"{name} of spark evaluate")
        return summary
    r = jobs.ratings_frame(df)
    if job == "recommend":
        recs, _ = jobs.recommend_all(r, p, seen=df)
        rows = folder.table("recommendations", recs, "top-N per user, seen films excluded (ALS)")
        return {"job": "recommend", "model": "als", "n": int(p["n"]), "rows": rows, "rating_scale": list(scale)}
    if job == "audience":
        return _audience(spark, r, folder, p, scale)
    if job == "profile":
        prof, _seg, summ = jobs.profiles(df, items, p["k"], p["seed"])
        users = folder.table("profiles", prof, "per-user aggregates and KMeans segment")
        folder.table("segments", summ, "one row per segment: size and mean features")
        seg_rows = [row.asDict() for row in summ.collect()]
        return {"job": "profile", "k": int(p["k"]), "users": users, "segments": seg_rows}
    raise UserError(f"unknown Spark job {job!r}")


def _clean(spark, input_path, folder, p, mapping) -> dict:
    from ..data.cleaning import CleaningOptions
    from .clean import clean

    inp = read_input(spark, input_path, mapping)
    opts = CleaningOptions(
        duplicate_pairs=p.get("pairs", "latest"),
        missing_ratings=p.get("missing_ratings", "keep"),
        target_scale=tuple(p["scale"]) if p.get("scale") else None,
        text_max_len=int(p.get("text_max", 2000)),
        drop_suspicious=bool(p.get("drop_suspicious", False)),
        mask_pii=bool(p.get("mask_pii", True)),
    )
    df, rep = clean(inp, opts)
    folder.table("interactions", df, "cleaned interactions (canonical columns, input order)")
    if inp.items is not None:
        folder.table("items", inp.items, "film table as read")
    if inp.users is not None:
        folder.table("users", inp.users, "user table as read")
    out = rep.to_dict()
    out["name"] = inp.name
    return out


def _audience(spark, r, folder, p, scale) -> dict:
    from pyspark.sql import functions as F

    from . import jobs

    films = [f.strip() for f in (p.get("films") or "").split(",") if f.strip()]
    if not films:
        top = r.groupBy("item_id").count().orderBy(F.col("count").desc(), "item_id").limit(5).collect()
        films = [x[0] for x in top]
    model = jobs.fit_als(r, p["rank"], p["reg"], p["iters"], p["seed"], implicit=True, alpha=p["alpha"])
    aud = jobs.audiences(r, model, films, int(p["top"]))
    rows = folder.table("audiences", aud, "top users without a rating of each film (implicit ALS)")
    summary = {"job": "audience", "model": "als_implicit", "films": films, "top": int(p["top"]), "rows": rows}
    if p.get("evaluate", True):
        ev = jobs.audience_lift(r, p, scale)
        folder.table("lift", spark.createDataFrame(ev["per_item"]), "lift@10% per evaluated film")
        summary["evaluation"] = ev
    return summary


def write_summary(obj: dict, path: str | None) -> None:
    if not path:
        return
    try:
        Path(path).write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    except OSError as e:
        raise UserError(f"--json {path}: cannot write ({e.strerror}) - choose another path") from None
