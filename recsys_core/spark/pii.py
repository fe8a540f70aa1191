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


def id_column_skips(df, c: str) -> frozenset:
    """:func:`recsys_core.data.pii.id_column_skips` in Spark: checksummed kinds not looked for in id column
    ``c`` because fewer than half of its values of that shape pass the check."""
    F = _F()
    col = F.col(c)
    aggs = []
    for kind, shape, check in pii.CHECKED_SHAPES:
        shaped = col.rlike(f"^(?:{shape})$")
        aggs += [
            F.sum(shaped.cast("int")).alias(f"{kind}_n"),
            F.sum((shaped & _CHECKS[check](col)).cast("int")).alias(f"{kind}_ok"),
        ]
    a = df.agg(*aggs).first()
    skip = set()
    for kind, _shape, _check in pii.CHECKED_SHAPES:
        n, ok = int(a[f"{kind}_n"] or 0), int(a[f"{kind}_ok"] or 0)
        if n and ok < pii.MIN_PASS_SHARE * n:
            skip.add(kind)
    return frozenset(skip)


def _tags(df, c: str, key: bytes):
    """(original id, first 10 hex digits of HMAC-SHA256 under ``key``) for the distinct ids of column ``c`` that
    hold personal data. Computed on the driver with Python's ``hmac``, as the local step does, so the key (or
    anything derived from it) never enters a query plan, the Spark UI or an event log."""
    import hashlib
    import hmac

    F = _F()
    orig = f"_pii_orig_{c}"
    vals = [r[0] for r in df.where(F.col(f"_pii_changed_{c}")).select(orig).distinct().collect()]
    rows = [(v, hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest()[:10]) for v in vals]
    return df.sparkSession.createDataFrame(rows, f"{orig} string, _pii_tag string")


def mask_frame(df, key_fn):
    """(frame with text and ids masked, counts by kind, per-column changed flags ``_pii_changed_<col>``).

    ``key_fn()`` gives the pseudonym key; it is only asked for when an id holds personal data."""
    F = _F()
    cols = [c for c in _COLUMNS if c in df.columns]
    for kind in pii.KINDS:
        df = df.withColumn(f"_pii_{kind}", F.lit(0))
    skips = {c: id_column_skips(df, c) for c in cols if c != "text"}
    for c in cols:
        df = df.withColumn(f"_pii_orig_{c}", F.col(c))
        for kind, pattern, group, check in pii.ORDER:
            if kind not in skips.get(c, ()):
                df = _mask_kind(df, c, kind, pattern, group, check)
        df = df.withColumn(f"_pii_changed_{c}", ~F.col(f"_pii_orig_{c}").eqNullSafe(F.col(c)))
    df = df.localCheckpoint(eager=True)
    sums = df.agg(
        *[F.sum(f"_pii_{k}").alias(k) for k in pii.KINDS],
        *[F.sum(F.col(f"_pii_changed_{c}").cast("int")).alias(f"changed_{c}") for c in cols],
    ).first()
    ids_hit = [c for c in cols if c != "text" and int(sums[f"changed_{c}"] or 0)]
    if ids_hit:
        key = key_fn()
        for c in ids_hit:
            df = df.join(_tags(df, c, key), f"_pii_orig_{c}", "left")
            tagged = F.concat(F.col(c), F.lit("#"), F.col("_pii_tag"))
            df = df.withColumn(c, F.when(F.col(f"_pii_changed_{c}"), tagged).otherwise(F.col(c))).drop("_pii_tag")
    counts = {k: int(sums[k] or 0) for k in pii.KINDS}
    df = df.drop(*[f"_pii_{k}" for k in pii.KINDS], *[f"_pii_orig_{c}" for c in cols])
    return df, counts, cols
