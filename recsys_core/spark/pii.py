"""The personal-data step of :mod:`recsys_core.data.pii` as Spark SQL expressions.

Same patterns (the pattern strings are shared: Java regex and Python ``re`` with ``re.ASCII`` read them the
same way), same order, same checksums, same masks and the same report entry as the local step. Each kind is one
``regexp_replace`` that brackets every match with a marker character, a ``split`` on that marker, and a
``transform`` that masks the bracketed pieces that pass the checksum (resident ID: ISO 7064 MOD 11-2; cards:
Luhn), so a number that fails its checksum stays exactly where it was. In id columns a checksummed kind is only
looked for when most values of its shape pass the check (:func:`id_column_skips`, as the local step does). An id
that holds personal data gets its kind plus the first 10 hex digits of HMAC-SHA256 under the pseudonym key, like
:func:`recsys_core.data.pii.mask_ids`: the tags of the distinct such ids are computed on the driver and joined
back, so the key never travels in a query plan.
"""

from __future__ import annotations

from ..data import pii

_MARK = "\ufdd0"  # a Unicode noncharacter: brackets candidate matches between the replace and the split
_COLUMNS = ("text", "user_id", "item_id")


def _F():
    from pyspark.sql import functions as F

    return F


def _digit(s, i: int):
    F = _F()
    return s.substr(F.lit(i), F.lit(1)).cast("int")


def id_card_ok(e):
    """ISO 7064 MOD 11-2 check character of an 18-character resident ID (as :func:`pii.id_card_valid`)."""
    F = _F()
    total = sum((_digit(e, i + 1) * w for i, w in enumerate(pii._ID_WEIGHTS)), F.lit(0))
    want = F.element_at(F.array(*[F.lit(ch) for ch in pii._ID_CHECK]), (total % 11 + 1).cast("int"))
    return (F.length(e) == 18) & (want == F.upper(e.substr(F.lit(18), F.lit(1))))


def luhn_ok(e):
    """Luhn check of a card number with spaces or dashes (as :func:`pii.luhn_valid`)."""
    F = _F()
    d = F.reverse(F.regexp_replace(e, "[ -]", ""))

    def add(acc, k):
        x = d.substr(k + 1, F.lit(1)).cast("int")
        return acc + F.when(k % 2 == 1, F.when(x * 2 > 9, x * 2 - 9).otherwise(x * 2)).otherwise(x)

    total = F.aggregate(F.sequence(F.lit(0), F.length(d) - 1), F.lit(0), add)
    return total % 10 == 0


_CHECKS = {"id_card": id_card_ok, "luhn": luhn_ok}


def _mask_kind(df, c: str, kind: str, pattern: str, group: bool, check):
    """``df`` with one kind masked in column ``c`` and its per-row count added to ``_pii_<kind>``."""
    F = _F()
    col = F.col(c)
    rep = f"$1{_MARK}$2{_MARK}" if group else f"{_MARK}$0{_MARK}"
    cand = col.rlike(pii.MAYBE) & ~col.contains(_MARK)
    df = df.withColumn("_parts", F.when(cand, F.split(F.regexp_replace(col, pattern, rep), _MARK)))
    ok = _CHECKS.get(check)

    def hit(e, i):
        odd = i % 2 == 1
        return odd & ok(e) if ok else odd

    n = F.when(F.col("_parts").isNull(), F.lit(0)).otherwise(F.size(F.filter("_parts", hit)))
    masked = F.array_join(
        F.transform("_parts", lambda e, i: F.when(hit(e, i), F.lit(pii.MASKS[kind])).otherwise(e)), ""
    )
    return (
        df.withColumn(f"_pii_{kind}", F.col(f"_pii_{kind}") + n).withColumn(c, F.coalesce(masked, col)).drop("_parts")
    )


def id_column_skips(df, c: str, weight: str | None = None) -> frozenset:
    """:func:`recsys_core.data.pii.id_column_skips` in Spark: checksummed kinds not looked for in id column
    ``c`` because fewer than half of its values of that shape pass the check. With ``weight``, ``df`` holds
    distinct values and ``weight`` how often each occurs (the same shares as counting rows)."""
    F = _F()
    col = F.col(c)
    w = F.col(weight) if weight else F.lit(1)
    aggs = []
    for kind, shape, check in pii.CHECKED_SHAPES:
        shaped = col.rlike(f"^(?:{shape})$")
        aggs += [
            F.sum(F.when(shaped, w).otherwise(0)).alias(f"{kind}_n"),
            F.sum(F.when(shaped & _CHECKS[check](col), w).otherwise(0)).alias(f"{kind}_ok"),
        ]
    a = df.agg(*aggs).first()
    skip = set()
    for kind, _shape, _check in pii.CHECKED_SHAPES:
        n, ok = int(a[f"{kind}_n"] or 0), int(a[f"{kind}_ok"] or 0)
        if n and ok < pii.MIN_PASS_SHARE * n:
            skip.add(kind)
    return frozenset(skip)


def _mask_all(df, c: str, skip=frozenset()):
    """``df`` with every kind (but ``skip``) masked in column ``c``; per-row counts in ``_pii_<kind>``."""
    F = _F()
    for kind in pii.KINDS:
        df = df.withColumn(f"_pii_{kind}", F.lit(0))
    for kind, pattern, group, check in pii.ORDER:
        if kind not in skip:
            df = _mask_kind(df, c, kind, pattern, group, check)
    return df


def _id_lookup(df, c: str, key_fn):
    """(lookup frame ``_pii_orig_<c>`` -> masked-and-tagged id for the ids of column ``c`` that hold personal
    data, or None when none does; counts by kind, weighted by how often each id occurs).

    Ids are masked once per distinct value (a 25M-row table names a few hundred thousand ids), as the local
    step does. The tags (first 10 hex digits of HMAC-SHA256 under the pseudonym key) are computed on the driver
    with Python's ``hmac``, so the key (or anything derived from it) never enters a query plan, the Spark UI or
    an event log."""
    import hashlib
    import hmac

    F = _F()
    counts = dict.fromkeys(pii.KINDS, 0)
    vals = (
        df.where(F.col(c).isNotNull() & F.col(c).rlike(pii.MAYBE))
        .groupBy(c)
        .agg(F.count(F.lit(1)).alias("_n"))
        .localCheckpoint(eager=True)
    )
    if vals.limit(1).count() == 0:
        return None, counts
    skip = id_column_skips(vals, c, "_n")
    m = _mask_all(vals.withColumn("_orig", F.col(c)), c, skip)
    changed = m.where(~F.col("_orig").eqNullSafe(F.col(c))).select(
        "_orig", F.col(c).alias("_masked"), "_n", *[F.col(f"_pii_{k}") * F.col("_n") for k in pii.KINDS]
    )
    rows = changed.collect()
    if not rows:
        return None, counts
    for r in rows:
        for i, k in enumerate(pii.KINDS):
            counts[k] += int(r[3 + i] or 0)
    key = key_fn()
    table = [
        (r[0], f"{r[1]}#{hmac.new(key, str(r[0]).encode('utf-8'), hashlib.sha256).hexdigest()[:10]}") for r in rows
    ]
    look = df.sparkSession.createDataFrame(table, f"_pii_orig_{c} string, _pii_new_{c} string")
    return look, counts


def mask_frame(df, key_fn):
    """(frame with text and ids masked, counts by kind, per-column changed flags ``_pii_changed_<col>``).

    ``key_fn()`` gives the pseudonym key; it is only asked for when an id holds personal data."""
    F = _F()
    cols = [c for c in _COLUMNS if c in df.columns]
    counts = dict.fromkeys(pii.KINDS, 0)
    for c in cols:
        if c == "text":
            continue
        look, got = _id_lookup(df, c, key_fn)
        counts = {k: counts[k] + got[k] for k in pii.KINDS}
        if look is None:
            df = df.withColumn(f"_pii_changed_{c}", F.lit(False))
            continue
        df = df.withColumn(f"_pii_orig_{c}", F.col(c)).join(F.broadcast(look), f"_pii_orig_{c}", "left")
        df = (
            df.withColumn(f"_pii_changed_{c}", F.col(f"_pii_new_{c}").isNotNull())
            .withColumn(c, F.coalesce(F.col(f"_pii_new_{c}"), F.col(c)))
            .drop(f"_pii_new_{c}", f"_pii_orig_{c}")
        )
    if "text" in cols:
        df = _mask_all(df.withColumn("_pii_orig_text", F.col("text")), "text")
        df = df.withColumn("_pii_changed_text", ~F.col("_pii_orig_text").eqNullSafe(F.col("text")))
        df = df.localCheckpoint(eager=True)
        sums = df.agg(*[F.sum(f"_pii_{k}").alias(k) for k in pii.KINDS]).first()
        counts = {k: counts[k] + int(sums[k] or 0) for k in pii.KINDS}
        df = df.drop(*[f"_pii_{k}" for k in pii.KINDS], "_pii_orig_text")
    return df, counts, cols
