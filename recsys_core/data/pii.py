"""Personal data found at cleaning time, in review text and id columns, and masked by default.

Kinds (mainland China formats plus e-mail):

* ``phone``    mobile numbers: 11 digits starting 13-19 (optionally +86 / 86 in front, spaces or dashes between
  the 3-4-4 groups)
* ``email``    e-mail addresses
* ``id_card``  18-character resident ID numbers whose ISO 7064 MOD 11-2 check character is valid
* ``bank_card`` 16-19 digit card numbers (spaces or dashes allowed) that pass the Luhn check
* ``qq`` / ``wechat`` QQ numbers (5-11 digits) and WeChat ids (letter first, 6-20 letters, digits, _ or -) within a
  few characters after their keyword (QQ, 扣扣, 企鹅 / 微信, VX, WX, WeChat)

A masked value keeps its kind readable: ``[手机号]``, ``[邮箱]``, ``[身份证号]``, ``[银行卡号]``, ``[QQ号]``,
``[微信号]``. Checksums keep ordinary long numbers (timestamps, ids of films) from being taken for cards or IDs.

In an id column a checksum alone is not enough: one random long number in ten passes Luhn (and one in eleven
the ID check), so a column of 16-19 digit ids (snowflake-style user or film ids) would lose a tenth of them. A
checksummed kind is looked for in an id column only when at least half of the column's values of that shape
pass the check (:func:`id_column_skips`); a column of real card or ID numbers passes them all.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

KINDS = ("phone", "email", "id_card", "bank_card", "qq", "wechat")
MASKS = {
    "phone": "[手机号]",
    "email": "[邮箱]",
    "id_card": "[身份证号]",
    "bank_card": "[银行卡号]",
    "qq": "[QQ号]",
    "wechat": "[微信号]",
}

# One set of pattern strings for both engines: Python ``re`` (compiled with re.ASCII) and Java regex (Spark's
# regexp_replace), so \d, \w, \s and (?i) mean the same ASCII classes in both. ``QQ`` and ``WECHAT`` capture
# the keyword (group 1) and the value (group 2); only the value is masked.
EMAIL = r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
ID_CARD = (
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
PHONE = r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"
CARD = r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)"
QQ = r"(?i)((?:qq|扣扣|企鹅)(?:号|號)?\s*[:：是为]?\s*)([1-9]\d{4,10})(?!\d)"
WECHAT = r"(?i)((?:微信|wechat|weixin|vx|wx)(?:号|號)?\s*[:：是为]?\s*)([A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])"
MAYBE = r"(?i)@|\d{5}|\d[ -]\d{4}|qq|扣扣|企鹅|微信|wechat|weixin|vx|wx"
# (kind, pattern, masks group 2 only, checksum) in the order they are applied
ORDER = (
    ("email", EMAIL, False, None),
    ("id_card", ID_CARD, False, "id_card"),
    ("qq", QQ, True, None),
    ("wechat", WECHAT, True, None),
    ("phone", PHONE, False, None),
    ("bank_card", CARD, False, "luhn"),
)
_COMPILED = {kind: re.compile(pat, re.ASCII) for kind, pat, _, _ in ORDER}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_card_valid(s: str) -> bool:
    """ISO 7064 MOD 11-2 check character of an 18-character resident ID number."""
    if len(s) != 18 or not s[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = int(ch)
        if k % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _sub_checked(pattern, text, kind, counts, check=None, group=False):
    def repl(m):
        value = m.group(2 if group else 0)
        if check is not None and not check(value):
            return m.group(0)
        counts[kind] += 1
        return m.group(1) + MASKS[kind] if group else MASKS[kind]

    return pattern.sub(repl, text)


_CHECKS = {"id_card": id_card_valid, "luhn": lambda v: luhn_valid(re.sub(r"[ -]", "", v))}


def mask_text(text: str, counts: Counter | None = None, skip: frozenset = frozenset()) -> str:
    """``text`` with every personal datum replaced by its kind; ``counts`` (if given) counts them by kind.
    Kinds in ``skip`` are not looked for."""
    counts = Counter() if counts is None else counts
    if not isinstance(text, str) or not text:
        return text
    out = text
    for kind, _pat, group, check in ORDER:
        if kind not in skip:
            out = _sub_checked(_COMPILED[kind], out, kind, counts, _CHECKS.get(check), group)
    return out


# checksummed kinds: (kind, the whole value has its shape (no look-arounds: RE2, Java and Python read it alike),
# its check)
CHECKED_SHAPES = (
    ("bank_card", r"(?:\d[ -]?){15,18}\d", "luhn"),
    ("id_card", r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]", "id_card"),
)
MIN_PASS_SHARE = 0.5


def id_column_skips(s: pd.Series) -> frozenset:
    """Checksummed kinds not looked for in this id column: fewer than half of its values of that shape pass the
    check, so they are ordinary long ids (random numbers pass Luhn one time in ten), not card or ID numbers."""
    st = s.dropna().astype("string")
    skip = set()
    for kind, shape, check in CHECKED_SHAPES:
        shaped = st[st.str.fullmatch(shape).fillna(False).astype(bool)]
        if len(shaped) and int(shaped.map(_CHECKS[check]).sum()) < MIN_PASS_SHARE * len(shaped):
            skip.add(kind)
    return frozenset(skip)


def detail(counts, rows: int, by_column: dict) -> str:
    """The report sentence of the personal-data step (both engines)."""
    if not any(counts.values()):
        return "no personal data found"
    kinds = ", ".join(f"{k} {counts[k]}" for k in KINDS if counts.get(k))
    cols = ", ".join(f"{c} {n}" for c, n in by_column.items() if n)
    return f"personal data masked: {kinds} in {rows} rows ({cols})"


def _maybe_pii(s: pd.Series) -> pd.Series:
    """Cheap pre-filter: values that could hold a datum (an @, or 5+ digits in a row, or a keyword)."""
    st = s.astype("string")
    return st.str.contains(MAYBE, regex=True, na=False)


def _skips_distinct(uniq, times: np.ndarray) -> frozenset:
    """:func:`id_column_skips` from a column's distinct values and how often each occurs (the same shares)."""
    st = pd.Series(uniq, dtype=object).astype("string")
    skip = set()
    for kind, shape, check in CHECKED_SHAPES:
        shaped = st.str.fullmatch(shape).fillna(False).to_numpy(dtype=bool)
        n_shaped = int(times[shaped].sum())
        if n_shaped:
            passed = np.array([bool(_CHECKS[check](v)) for v in st[shaped]], dtype=bool)
            if int(times[shaped][passed].sum()) < MIN_PASS_SHARE * n_shaped:
                skip.add(kind)
    return frozenset(skip)


def _mask_distinct(s: pd.Series, mask_one, ids: bool = False) -> tuple[pd.Series, Counter]:
    """Mask an object column once per distinct value (ids and repeated texts of a 25M-row table name a few hundred
    thousand values): ``mask_one(value, counts, skip) -> masked``; counts are multiplied by how often each value
    occurs; an id column skips the checksummed kinds its values fail (:func:`id_column_skips`). Gives exactly what
    masking row by row gives."""
    counts: Counter = Counter()
    codes, uniq = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    cand = _maybe_pii(pd.Series(uniq, dtype=object)).to_numpy(dtype=bool)
    if not cand.any():
        return s, counts
    words = np.asarray(uniq, dtype=object).copy()
    times = np.bincount(codes[codes >= 0], minlength=len(uniq))
    skip = _skips_distinct(uniq, times) if ids else frozenset()
    for j in np.flatnonzero(cand):
        c: Counter = Counter()
        words[j] = mask_one(uniq[j], c, skip)
        for kind, k in c.items():
            counts[kind] += k * int(times[j])
    vals = s.to_numpy(dtype=object).copy()
    hit = cand[np.maximum(codes, 0)] & (codes >= 0)
    vals[hit] = words[codes[hit]]
    return pd.Series(vals, index=s.index, dtype=object), counts


def mask_series(s: pd.Series) -> tuple[pd.Series, Counter]:
    """(the column with personal data masked, counts by kind). Values without any stay as they are."""
    if s.dtype == object:
        return _mask_distinct(s, mask_text)
    counts: Counter = Counter()
    cand = _maybe_pii(s)
    if not cand.any():
        return s, counts
    out = s.copy()
    uniq = pd.unique(s[cand])
    table = {}
    for v in uniq:
        c: Counter = Counter()
        table[v] = (mask_text(v, c), c)
    vals = s[cand].map(lambda v: table[v][0])
    for v, n in s[cand].value_counts().items():
        for kind, k in table[v][1].items():
            counts[kind] += k * int(n)
    out[cand] = vals
    return out, counts


def mask_ids(s: pd.Series) -> tuple[pd.Series, Counter]:
    """Ids that are personal data (a phone number as user id) become their kind plus a keyed hash: different
    people stay different, and the raw value cannot be read back without the key (kept outside the workspace)."""
    import hashlib
    import hmac

    from ..keys import derived_key

    if s.dtype == object:
        key = []

        def mask_one(v, c, skip):
            masked = mask_text(v, c, skip)
            if masked != v:
                key[:] = key or [derived_key("pseudonym")]
                masked = f"{masked}#{hmac.new(key[0], str(v).encode('utf-8'), hashlib.sha256).hexdigest()[:10]}"
            return masked

        return _mask_distinct(s, mask_one, ids=True)
    counts: Counter = Counter()
    cand = _maybe_pii(s)
    if not cand.any():
        return s, counts
    key = None
    out = s.copy()
    table = {}
    skip = id_column_skips(s)
    for v in pd.unique(s[cand]):
        c: Counter = Counter()
        masked = mask_text(v, c, skip)
        if masked != v:
            key = key or derived_key("pseudonym")
            tag = hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest()[:10]
            masked = f"{masked}#{tag}"
        table[v] = (masked, c)
    out[cand] = s[cand].map(lambda v: table[v][0])
    for v, n in s[cand].value_counts().items():
        for kind, k in table[v][1].items():
            counts[kind] += k * int(n)
    return out, counts
