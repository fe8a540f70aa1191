"""The cleaning steps of :mod:`recsys_core.data.cleaning` as Spark DataFrame operations.

Same steps, same order, same options (:class:`CleaningOptions`) and the same report objects
(:class:`StepReport`, :class:`CleaningReport`), so ``spark clean`` writes the report JSON that
``clean`` writes. Text ratings (力荐, ★★★★, 8/10 ...) are parsed by the local parser over the
*distinct* odd spellings (as the local engine does), then joined back.
"""

from __future__ import annotations

from ..data.cleaning import (
    _ARROW_BR,
    _ARROW_TAG,
    CleaningOptions,
    CleaningReport,
    StepReport,
    _join_warnings,
    _jsonable,
    parse_rating_text,
)
from ..errors import UserError
from .io import ROW

NUM_RE = r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$"
_TRIM = r"(?U)^\s+|\s+$"
_CTRL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028\\u2029\\ufeff]"
_WS = "[\\s\\u3000\\u00a0\\u2000-\\u200a]+"
MAX_ODD_SPELLINGS = 200_000


def _F():
    from pyspark.sql import functions as F

    return F


def _examples(df, cond=None, n: int = 5, cols=None) -> list[dict]:
    """The first ``n`` rows (input order) matching ``cond``, as JSON-able dicts (like the local report)."""
    sub = df if cond is None else df.where(cond)
    if ROW in sub.columns:
        sub = sub.orderBy(ROW)
    keep = [c for c in cols if c in sub.columns] if cols else [c for c in sub.columns if not c.startswith("_")]
    return [_jsonable(r.asDict()) for r in sub.select(*keep).limit(n).collect()]


def _count(df) -> int:
    return int(df.count())


class _Run:
    """Holds the frame between steps and appends step reports."""

    def __init__(self, df, opts: CleaningOptions, rep: CleaningReport, has: set):
        self.df, self.opts, self.rep, self.has = df, opts, rep, has
        self.n = _count(df)

    def add(self, step: StepReport, df=None):
        self.rep.steps.append(step)
        if df is not None:
            self.df = df if df is self._kept else df.localCheckpoint(eager=True)  # cut the lineage per step
            self.n = step.rows_out

    _kept = None

    def keep(self, df):
        """(checkpointed frame, its row count): materialise once, count from the materialised rows."""
        self._kept = df.localCheckpoint(eager=True)
        return self._kept, _count(self._kept)


# ---------------------------------------------------------------------------- steps 1-3
def _exact_duplicates(r: _Run):
    F = _F()
    n = r.n
    if not (r.opts.exact_duplicates and n):
        r.add(StepReport("exact_duplicates", n, n, 0, [], "off", enabled=bool(r.opts.exact_duplicates)))
        return
    cols = [c for c in r.df.columns if c != ROW]
    first = r.df.groupBy(*cols).agg(F.min(ROW).alias(ROW))
    kept = r.df.join(first.select(ROW), ROW, "left_semi")
    dups = r.df.join(first.select(ROW), ROW, "left_anti")
    kept, out = r.keep(kept)
    ex = _examples(dups) if out < n else []
    r.add(StepReport("exact_duplicates", n, out, n - out, ex, f"{n - out} identical rows removed"), kept)


def _norm_id(col):
    F = _F()
    s = F.regexp_replace(col, _TRIM, "")
    s = F.regexp_replace(s, r"^(-?\d+)\.0$", "$1")
    return F.when(F.lower(s).isin("", "nan", "none", "null", "<na>"), F.lit(None)).otherwise(s)


def _normalise_ids(r: _Run):
    F = _F()
    n = r.n
    df = r.df
    if r.opts.normalise_ids:
        for c in ("user_id", "item_id"):
            df = df.withColumn(f"_before_{c}", F.col(c)).withColumn(c, _norm_id(F.col(c)))
        ch = [F.col(c).isNotNull() & (F.col(c) != F.col(f"_before_{c}")) for c in ("user_id", "item_id")]
        df = df.cache()
        counts = df.agg(*[F.sum(x.cast("int")).alias(f"c{i}") for i, x in enumerate(ch)]).first()
        total = int(counts["c0"] or 0) + int(counts["c1"] or 0)
        ex = []
        for i, c in enumerate(("user_id", "item_id") if total else ()):
            rows = df.where(ch[i]).orderBy(ROW).select(f"_before_{c}", c).limit(3).collect()
            ex += [{"column": c, "before": x[0], "after": x[1]} for x in rows]
        df = df.drop("_before_user_id", "_before_item_id")
        detail = f"{total} ids re-spelt (e.g. ' 1', '1.0' -> '1')"
    else:
        for c in ("user_id", "item_id"):
            s = F.trim(F.col(c))
            df = df.withColumn(c, F.when(s == "", F.lit(None)).otherwise(s))
        total, ex, detail = 0, [], "off (ids only trimmed)"
    r.add(StepReport("normalise_ids", n, n, total, ex[:5], detail, enabled=r.opts.normalise_ids), df)


def _missing_ids(r: _Run):
    F = _F()
    n = r.n
    miss = F.col("user_id").isNull() | F.col("item_id").isNull()
    kept, out = r.keep(r.df.where(~miss))
    ex = _examples(r.df, miss) if out < n else []
    r.add(StepReport("missing_ids", n, out, n - out, ex, f"{n - out} rows without a user or film id dropped"), kept)


# ---------------------------------------------------------------------------- steps 4-7 (ratings)
def _parse_ratings(r: _Run):
    F = _F()
    n = r.n
    if "rating" not in r.has:
        df = r.df.withColumn("rating", F.lit(None).cast("double"))
        r.add(StepReport("parse_ratings", n, n, 0, [], "no rating column: all rows are review/view-only"), df)
        return
    raw = F.col("rating")
    num = F.when(raw.rlike(NUM_RE), F.regexp_replace(raw, _TRIM, "").cast("double"))
    odd = raw.isNotNull() & num.isNull() & (F.regexp_replace(raw, _TRIM, "") != "")
    df = r.df.withColumn("_raw_rating", raw).withColumn("_num", num).withColumn("_odd", odd).cache()
    spellings = df.where("_odd").select("_raw_rating").distinct().limit(MAX_ODD_SPELLINGS + 1).collect()
    if len(spellings) > MAX_ODD_SPELLINGS:
        raise UserError(
            f"more than {MAX_ODD_SPELLINGS:,} different non-numeric ratings - is the rating column mapped right?"
        )
    n_odd = int(df.where("_odd").count())
    parsed_n = 0
    if spellings and r.opts.parse_ratings:
        table = [(s[0], parse_rating_text(s[0])) for s in spellings]
        table = [(k, None if v != v else float(v)) for k, v in table]
        spark = df.sparkSession
        lut = spark.createDataFrame(table, "_raw_rating string, _parsed double")
        df = df.join(F.broadcast(lut), "_raw_rating", "left")
        df = df.withColumn("_num", F.when(F.col("_odd"), F.col("_parsed")).otherwise(F.col("_num"))).drop("_parsed")
        parsed_n = int(df.where(F.col("_odd") & F.col("_num").isNotNull()).count())
    unparsed = F.col("_odd") & F.col("_num").isNull()
    ex_view = df.select(F.col("_raw_rating").alias("rating"), F.col("_num").alias("parsed"), "_odd", ROW)
    ex = []
    if n_odd:
        ex = _examples(ex_view, F.col("_odd") & F.col("parsed").isNotNull(), 3, ["rating", "parsed"])
        ex += _examples(ex_view, F.col("_odd") & F.col("parsed").isNull(), 3, ["rating", "parsed"])
    df = df.withColumn("rating", F.col("_num"))
    if n_odd:
        df = df.withColumn("orig_rating", F.col("_raw_rating"))
        r.has.add("orig_rating")
    if r.opts.unparseable_ratings == "drop":
        df = df.where(~unparsed)
    df, out = r.keep(df.drop("_num", "_odd", "_raw_rating"))
    detail = f"{parsed_n} text ratings parsed; {n_odd - parsed_n} unreadable " + (
        "rows dropped" if r.opts.unparseable_ratings == "drop" else "kept without a rating"
    )
    r.add(StepReport("parse_ratings", n, out, n_odd, ex, detail, enabled=r.opts.parse_ratings), df)


def _missing_ratings(r: _Run):
    F = _F()
    n = r.n
    miss = F.col("rating").isNull()
    cnt = int(r.df.where(miss).count())
    if r.opts.missing_ratings == "drop":
        ex = _examples(r.df, miss) if cnt else []
        kept = r.df.where(~miss)
        r.add(StepReport("missing_ratings", n, n - cnt, cnt, ex, f"{cnt} rows without a rating dropped"), kept)
    else:
        ex = _examples(r.df, miss, 3) if cnt else []
        r.add(
            StepReport("missing_ratings", n, n, cnt, ex, f"{cnt} rows without a rating kept as review/view-only rows")
        )


def detect_scale(df, hint=None) -> tuple[float, float]:
    """:func:`recsys_core.data.cleaning.detect_rating_scale` (and the hint rule) over a Spark column."""
    F = _F()
    r = F.col("rating")
    nn = r.isNotNull()
    c5, c10, c100 = [nn & (r >= 0) & (r <= hi) for hi in (5.0, 10.0, 100.0)]
    a = df.agg(
        F.sum(nn.cast("int")).alias("n"),
        F.min(r).alias("lo"),
        F.max(r).alias("hi"),
        F.sum(c5.cast("int")).alias("n5"),
        F.min(F.when(c5, r)).alias("lo5"),
        F.max(F.when(c5 & (r % 1 != 0), 1)).alias("frac5"),
        F.sum(c10.cast("int")).alias("n10"),
        F.min(F.when(c10, r)).alias("lo10"),
        F.sum(c100.cast("int")).alias("n100"),
    ).first()
    n = int(a["n"] or 0)
    if n == 0:
        return (1.0, 5.0)
    if a["n5"] >= 0.99 * n:
        lo = float(a["lo5"])
        detected = (0.0, 5.0) if lo < 0.5 else (0.5, 5.0) if (lo < 1 or a["frac5"]) else (1.0, 5.0)
    elif a["n10"] >= 0.99 * n:
        detected = (0.0, 10.0) if float(a["lo10"]) < 1 else (1.0, 10.0)
    elif a["n100"] >= 0.99 * n:
        detected = (0.0, 100.0)
    else:
        detected = (float(a["lo"]), float(a["hi"]))
    if hint:
        lo_h, hi_h = hint
        inside = df.where(nn & (r >= lo_h) & (r <= hi_h)).count()
        if inside >= 0.99 * n:
            detected = (float(lo_h), float(hi_h))
    return detected


def _rating_scale(r: _Run, hint):
    F = _F()
    n = r.n
    detected = detect_scale(r.df, hint)
    target = tuple(float(x) for x in r.opts.target_scale) if r.opts.target_scale else detected
    r.rep.detected_scale, r.rep.normalised_to = detected, target
    has_r = r.df.where(F.col("rating").isNotNull()).limit(1).count() > 0
    if target == detected or not has_r:
        r.add(StepReport("rating_scale", n, n, 0, [], f"detected {detected[0]:g}-{detected[1]:g}; kept"))
        return target
    (lo, hi), (tlo, thi) = detected, target
    if hi <= lo or thi <= tlo:
        raise UserError(f"rating scale {list(target)} is not a range - give the lowest and highest rating, e.g. 1,5")
    df = r.df
    if "orig_rating" not in r.has:
        df = df.withColumn("orig_rating", F.col("rating").cast("string"))
        r.has.add("orig_rating")
    new = (F.col("rating") - lo) / (hi - lo) * (thi - tlo) + tlo
    if r.opts.rating_step:
        new = F.bround(new / r.opts.rating_step) * r.opts.rating_step
    df = df.withColumn("_new", new).cache()
    changed = int(df.where(F.col("_new") != F.col("rating")).count())
    ex = _examples(
        df.select(F.col("rating").alias("before"), F.col("_new").alias("after"), ROW), F.col("before").isNotNull()
    )
    df = df.withColumn("rating", F.col("_new")).drop("_new")
    detail = f"detected {lo:g}-{hi:g}, normalised to {tlo:g}-{thi:g} (original kept in orig_rating)"
    r.add(StepReport("rating_scale", n, n, changed, ex, detail), df)
    return target


def _out_of_range(r: _Run, target):
    F = _F()
    n = r.n
    lo, hi = target
    oor = F.col("rating").isNotNull() & ((F.col("rating") < lo - 1e-9) | (F.col("rating") > hi + 1e-9))
    cnt = int(r.df.where(oor).count())
    ex = _examples(r.df, oor) if cnt else []
    df, out = r.df, n
    policy = r.opts.out_of_range
    if cnt and policy == "drop":
        df, out = r.df.where(~oor), n - cnt
        detail = f"{cnt} ratings outside {lo:g}-{hi:g} dropped"
    elif cnt and policy == "clip":
        df = r.df.withColumn("rating", F.least(F.greatest(F.col("rating"), F.lit(lo)), F.lit(hi)))
        detail = f"{cnt} ratings outside {lo:g}-{hi:g} clipped"
    else:
        detail = f"{cnt} ratings outside {lo:g}-{hi:g}" + (" kept" if cnt else "")
    r.add(StepReport("out_of_range", n, out, cnt, ex, detail, enabled=policy != "keep"), df)


# ---------------------------------------------------------------------------- step 8 (times)
def parse_timestamp_col(col):
    """:func:`recsys_core.data.cleaning.parse_timestamps` as a Spark expression (UTC, naive)."""
    F = _F()
    s = F.regexp_replace(col, _TRIM, "")
    v = F.when(s.rlike(NUM_RE), s.cast("double"))
    whole = v.isNotNull() & (v % 1 == 0)
    ymd = whole & (v >= 19000101) & (v <= 21001231)
    year = whole & (v >= 1900) & (v <= 2100)
    av = F.abs(v)
    secs = F.when(av >= 1e17, v / 1e9).when(av >= 1e14, v / 1e6).when(av >= 1e11, v / 1e3).otherwise(v)  # ns, us, ms, s
    num_ts = (
        F.when(ymd, F.to_timestamp(v.cast("long").cast("string"), "yyyyMMdd"))
        .when(year, F.to_timestamp(v.cast("long").cast("string"), "yyyy"))
        .otherwise(F.timestamp_seconds(secs))
    )
    t = F.regexp_replace(s, r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?", "$1-$2-$3")
    t = F.regexp_replace(t, r"(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分\s*(\d{1,2})\s*秒", "$1:$2:$3")
    t = F.regexp_replace(t, r"(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分?", "$1:$2")
    t = F.regexp_replace(t, r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", "$1-$2-$3")
    t = F.regexp_replace(t, "：", ":")
    fmts = ["yyyy-M-d H:m:s", "yyyy-M-d", "yyyy-M-d'T'H:m:s", "yyyy-M-d H:m"]
    str_ts = F.coalesce(*[F.to_timestamp(t, f) for f in fmts], t.cast("timestamp"))
    return F.when(v.isNotNull(), num_ts).otherwise(str_ts).cast("timestamp_ntz")


def _timestamps(r: _Run):
    F = _F()
    n = r.n
    if "timestamp" in r.has and r.opts.parse_timestamps:
        df = r.df.withColumn("_raw_ts", F.col("timestamp")).withColumn(
            "timestamp", parse_timestamp_col(F.col("timestamp"))
        )
        df = df.cache()
        blank = F.regexp_replace(F.col("_raw_ts"), _TRIM, "") == ""
        bad = F.col("_raw_ts").isNotNull() & F.col("timestamp").isNull() & ~blank
        a = df.agg(
            F.sum(bad.cast("int")).alias("bad"),
            F.sum(F.col("timestamp").isNotNull().cast("int")).alias("read"),
            F.sum(F.col("_raw_ts").isNotNull().cast("int")).alias("present"),
        ).first()
        nbad, nread, present = int(a["bad"] or 0), int(a["read"] or 0), int(a["present"] or 0)
        ex = _examples(df.withColumn("_bad", bad), F.col("_bad"), 5, ["_raw_ts"]) if nbad else []
        ex = [{"timestamp": e.get("_raw_ts")} for e in ex]
        df = df.drop("_raw_ts")
        detail = f"{nread} of {present} times read; {nbad} unreadable left empty"
        r.add(StepReport("timestamps", n, n, nbad, ex, detail), df)
        return
    df = r.df.withColumn("timestamp", F.lit(None).cast("timestamp_ntz"))
    detail = "no time column" if "timestamp" not in r.has else "off"
    r.add(StepReport("timestamps", n, n, 0, [], detail, enabled=r.opts.parse_timestamps), df)


# ---------------------------------------------------------------------------- step 9 (text)
def _unescape_udf():
    import html

    from pyspark.sql.functions import udf

    return udf(lambda s: None if s is None else html.unescape(s), "string")


def clean_text_col(df, max_len: int):
    """(frame with ``text`` cleaned and ``_trunc`` flag): tags, entities, control characters, spaces."""
    F = _F()
    x = F.col("text")
    x = F.when(x.contains("<"), F.regexp_replace(F.regexp_replace(x, _ARROW_BR, " "), _ARROW_TAG, "")).otherwise(x)
    df = df.withColumn("text", x)
    # entities through html.unescape, only on the rows that hold '&' (a Python UDF would otherwise see every row)
    amp = F.col("text").contains("&")
    with_amp = df.where(amp).withColumn("text", _unescape_udf()(F.col("text")))
    df = df.where(~amp | F.col("text").isNull()).unionByName(with_amp)
    x = F.regexp_replace(F.col("text"), _CTRL, " ")
    x = F.regexp_replace(x, _WS, " ")
    x = F.regexp_replace(x, _TRIM, "")
    x = F.when(x == "", F.lit(None)).otherwise(x)
    df = df.withColumn("text", x)
    if max_len and max_len > 0:
        trunc = F.coalesce(F.length("text") > max_len, F.lit(False))
        df = df.withColumn("_trunc", trunc).withColumn(
            "text", F.when(F.col("_trunc"), F.substring("text", 1, max_len)).otherwise(F.col("text"))
        )
    else:
        df = df.withColumn("_trunc", F.lit(False))
    return df


def _review_text(r: _Run):
    F = _F()
    n = r.n
    if "text" in r.has and r.opts.clean_text:
        df = clean_text_col(r.df.withColumn("_before", F.col("text")), r.opts.text_max_len).cache()
        changed = ~F.col("_before").eqNullSafe(F.col("text"))
        a = df.agg(F.sum(changed.cast("int")).alias("c"), F.sum(F.col("_trunc").cast("int")).alias("t")).first()
        nc, nt = int(a["c"] or 0), int(a["t"] or 0)
        rows = df.where(changed).orderBy(ROW).select("_before", "text").limit(5).collect() if nc else []
        ex = [{"before": (b or "")[:120] if isinstance(b, str) else b, "after": (t or "")[:120]} for b, t in rows]
        if nt:
            df = df.withColumn("orig_text_truncated", F.col("_trunc"))
            r.has.add("orig_text_truncated")
        df = df.drop("_before", "_trunc")
        detail = (
            f"{nc} texts cleaned (HTML, control characters, spaces); "
            f"{nt} longer than {r.opts.text_max_len} characters truncated and flagged"
        )
        r.add(StepReport("review_text", n, n, nc, ex, detail), df)
        return
    df = r.df if "text" in r.has else r.df.withColumn("text", F.lit(None).cast("string"))
    detail = "no text column" if "text" not in r.has else "off"
    r.add(StepReport("review_text", n, n, 0, [], detail, enabled=r.opts.clean_text), df)


def _pii(r: _Run):
    """Step 10: personal data in text and ids masked (:mod:`.pii`), counted by kind like the local step."""
    from ..data import pii as local_pii
    from ..keys import derived_key
    from .pii import mask_frame

    F = _F()
    n = r.n
    if not r.opts.mask_pii:
        r.add(StepReport("pii", n, n, 0, [], "off: personal data is not looked for", enabled=False))
        return
    df, counts, cols = mask_frame(r.df, lambda: derived_key("pseudonym"))
    changed = {c: F.col(f"_pii_changed_{c}") for c in cols}
    any_changed = F.lit(False)
    for ch in changed.values():
        any_changed = any_changed | ch
    found = any(counts.values())
    sums = df.agg(
        F.sum(any_changed.cast("int")).alias("_any"), *[F.sum(ch.cast("int")).alias(c) for c, ch in changed.items()]
    ).first()
    affected = int(sums["_any"] or 0) if found else 0
    by_column = {c: int(sums[c] or 0) for c in cols if found and int(sums[c] or 0)}
    ex = []
    for c in by_column:
        rows = df.where(changed[c]).orderBy(ROW).select(c).limit(3).collect()
        ex += [{"column": c, "after": _jsonable(x[0])} for x in rows]
    df = df.drop(*[f"_pii_changed_{c}" for c in cols])
    detail = local_pii.detail(counts, affected, by_column)
    r.add(StepReport("pii", n, n, affected, ex[:5], detail, counts=counts, by_column=by_column), df)


# ---------------------------------------------------------------------------- steps 11-12
def _merge_pairs(df, how: str):
    """One row per repeated user-film pair, at the pair's first position (``_merge_pairs`` of the local engine)."""
    from pyspark.sql import Window

    F = _F()
    if how not in ("latest", "first", "mean"):
        raise UserError(f"unknown duplicate policy {how!r} - choose latest, mean, first or keep")
    key = ["user_id", "item_id"]
    if how == "latest":
        order = [F.col("timestamp").asc_nulls_first(), F.col(ROW)]
    else:
        order = [F.col(ROW)]
    w = Window.partitionBy(*key).orderBy(*order).rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    agg = F.first if how == "first" else F.last
    cols = [c for c in df.columns if c not in key and c != ROW]
    out = df
    for c in cols:
        out = out.withColumn(c, agg(c, ignorenulls=True).over(w))
    if how == "mean":
        out = out.withColumn("rating", F.avg("rating").over(Window.partitionBy(*key)))
    first = F.min(ROW).over(Window.partitionBy(*key))
    return out.withColumn("_first", first).where(F.col(ROW) == F.col("_first")).drop("_first")


def _duplicate_pairs(r: _Run):
    from pyspark.sql import Window

    F = _F()
    n = r.n
    df = r.df.withColumn("_pairs", F.count(F.lit(1)).over(Window.partitionBy("user_id", "item_id"))).cache()
    dup = F.col("_pairs") > 1
    nd = int(df.where(dup).count())
    policy = r.opts.duplicate_pairs
    if nd and policy != "keep":
        ex_df = df.where(dup).orderBy("user_id", "item_id", ROW).drop("_pairs")
        ex = [_jsonable({k: v for k, v in x.asDict().items() if k != ROW}) for x in ex_df.limit(6).collect()]
        merged = df.where(dup).drop("_pairs")
        merged = _merge_pairs(merged, policy)
        out_df = df.where(~dup).drop("_pairs").unionByName(merged)
        out_df, out = r.keep(out_df)
        detail = f"{nd} rows shared a user-film pair; merged to {nd - (n - out)} rows (keep {policy})"
        r.add(StepReport("duplicate_pairs", n, out, nd, ex, detail), out_df)
    else:
        ex = _examples(df.withColumn("_d", dup).drop("_pairs"), F.col("_d"), 4) if nd else []
        detail = f"{nd} rows share a user-film pair" + (" (kept)" if nd else "")
        r.add(StepReport("duplicate_pairs", n, n, nd, ex, detail, enabled=policy != "keep"), df.drop("_pairs"))


def suspicious_users(df, min_count: int = 100, window_minutes: float = 10.0) -> list[dict]:
    """:func:`recsys_core.data.cleaning.suspicious_users` in Spark: >= ``min_count`` identical ratings
    within ``window_minutes`` (or, without times, >= ``min_count`` ratings that are all identical)."""
    from pyspark.sql import Window

    F = _F()
    rated = df.where(F.col("rating").isNotNull())
    n = rated.count()
    if n < min_count or min_count < 2:
        return []
    counts = rated.groupBy("user_id").agg(F.count(F.lit(1)).alias("ratings"))
    k = min_count - 1
    ts = rated.where(F.col("timestamp").isNotNull()).withColumn(
        "_t", F.unix_micros(F.col("timestamp").cast("timestamp"))
    )
    w = Window.partitionBy("user_id", "rating").orderBy("_t")
    span = ts.withColumn("_span", F.col("_t") - F.lag("_t", k).over(w)).where(F.col("_span") <= window_minutes * 60e6)
    first = Window.partitionBy("user_id").orderBy("rating", "_t")
    hits = span.withColumn("_k", F.row_number().over(first)).where("_k = 1").join(counts, "user_id")
    out = [
        {
            "user_id": str(h["user_id"]),
            "ratings": int(h["ratings"]),
            "rating": float(h["rating"]),
            "burst": int(min_count),
            "minutes": round(h["_span"] / 60e6, 2),
            "rule": "burst",  # the local engine's rule codes; the UI words them
            "window": float(window_minutes),
        }
        for h in hits.collect()
    ]
    seen = {o["user_id"] for o in out}
    no_ts = (
        rated.where(F.col("timestamp").isNull())
        .groupBy("user_id")
        .agg(F.count(F.lit(1)).alias("size"), F.countDistinct("rating").alias("nu"), F.first("rating").alias("r"))
        .where((F.col("size") >= min_count) & (F.col("nu") == 1))
    )
    for row in no_ts.collect():
        uid = str(row["user_id"])
        if uid not in seen:
            size, val = int(row["size"]), float(row["r"])
            out.append(
                {
                    "user_id": uid,
                    "ratings": size,
                    "rating": val,
                    "burst": size,
                    "minutes": None,
                    "rule": "constant",
                    "window": None,
                }
            )
    out.sort(key=lambda d: (-d["ratings"], d["user_id"]))
    return out


def _suspicious(r: _Run):
    F = _F()
    n = r.n
    if not (r.opts.flag_suspicious and n):
        r.add(StepReport("suspicious_users", n, n, 0, [], "off", enabled=False))
        return
    sus = suspicious_users(r.df, r.opts.suspicious_min_count, r.opts.suspicious_window_minutes)
    r.rep.suspicious_users = sus
    ids = [s["user_id"] for s in sus]
    df, out = r.df, n
    if ids and r.opts.drop_suspicious:
        df, out = r.keep(r.df.where(~F.col("user_id").isin(ids)))
        detail = f"{len(ids)} users flagged and dropped at your request"
    else:
        detail = f"{len(ids)} users flagged (not dropped; decide on the Data page)"
    r.add(StepReport("suspicious_users", n, out, len(ids), sus[:5], detail), df)


# ---------------------------------------------------------------------------- joins + pipeline
def _join_side(inter, meta, key: str, what: str) -> dict:
    F = _F()
    ids = inter.select(key).distinct()
    m = meta.select(_norm_id(F.col(key)).alias(key)).where(F.col(key).isNotNull()).distinct()
    missing = ids.join(m, key, "left_anti")
    unused = m.join(ids, key, "left_anti")
    return {
        f"{what}_in_interactions": int(ids.count()),
        f"{what}_in_metadata": int(m.count()),
        f"{what}_without_metadata": int(missing.count()),
        "examples_without_metadata": [str(x[0]) for x in missing.orderBy(key).limit(5).collect()],
        "metadata_without_interactions": int(unused.count()),
        "examples_metadata_without_interactions": [str(x[0]) for x in unused.orderBy(key).limit(5).collect()],
    }


def join_report(inter, items=None, users=None) -> dict:
    out = {}
    if items is not None and "item_id" in items.columns:
        out["items"] = _join_side(inter, items, "item_id", "films")
    if users is not None and "user_id" in users.columns:
        out["users"] = _join_side(inter, users, "user_id", "users")
    return out


OUTPUT_COLUMNS = ("user_id", "item_id", "rating", "timestamp", "text")


def clean(inp, options: CleaningOptions | dict | None = None):
    """(cleaned Spark DataFrame in input order, :class:`CleaningReport`) for an :class:`~.io.Input`."""
    F = _F()
    opts = options if isinstance(options, CleaningOptions) else CleaningOptions.from_dict(options)
    df = inp.interactions
    has = {c for c in df.columns if c != ROW}
    rep = CleaningReport(source=dict(inp.source), rows_in=0, options=opts.to_dict())
    r = _Run(df.localCheckpoint(eager=True), opts, rep, has)
    rep.rows_in = r.n
    _exact_duplicates(r)
    _normalise_ids(r)
    _missing_ids(r)
    _parse_ratings(r)
    _missing_ratings(r)
    target = _rating_scale(r, inp.scale_hint)
    _out_of_range(r, target)
    _timestamps(r)
    _review_text(r)
    _pii(r)
    _duplicate_pairs(r)
    _suspicious(r)
    rep.rows_out = r.n
    if rep.rows_out == 0:
        raise UserError(f"{inp.name}: no rows left after cleaning - check the column mapping and the cleaning options")
    cols = list(OUTPUT_COLUMNS) + sorted(c for c in r.has if c.startswith("orig_"))
    out = r.df.orderBy(ROW).select(*[F.col(c) for c in cols])
    out = out.withColumn("rating", F.col("rating").cast("double"))
    rep.joins = join_report(out, inp.items, inp.users)
    rep.warnings += _join_warnings(rep.joins)
    return out, rep
