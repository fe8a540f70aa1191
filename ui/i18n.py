"""The locale catalogue: every display string lives in ``ui/locales/<lang>.toml`` (Chinese first,
English second), under the same flat keys in both files. ``t(key, **fmt)`` formats a key in the
session's language; ``translate(key, language, **fmt)`` does the same for an explicit language.

Core functions return codes and numbers; the UI turns them into text here, from templates.
"""

from __future__ import annotations

import streamlit as st

from .catalogue import LANGUAGES, LOCALE_DIR, catalogue, has, translate
from .state import K

__all__ = ["LANGUAGES", "LOCALE_DIR", "DYNAMIC_PREFIXES", "catalogue", "has", "translate", "t", "lang"]

# Keys built at run time from a prefix and a code (``t(f"rec.fb.{action}")``). The locale test
# counts a key as used when it matches one of these prefixes and the prefix appears in the source.
DYNAMIC_PREFIXES = (
    "promo.bo.by_",
    "promo.camp.kind.",
    "promo.day.",
    "promo.feat.",
    "promo.model.",
    "promo.resp.t.",
    "promo.scorer.",
    "promo.slot.",
    "promo.trait.",
    "aud.beh.col.",
    "aud.beh.model.",
    "aud.beh.task.",
    "aud.demo.",
    "aud.metric.",
    "aud.model.",
    "aud.prof.",
    "aud.seg.algo.",
    "aud.seg.kmode.",
    "aud.tgt.cut.",
    "aud.tgt.mode.",
    "audit.col.",
    "auth.role.",
    "col.",
    "data.big.",
    "data.big.err.",
    "data.header.",
    "data.kind.",
    "data.stream.",
    "data.measure.",
    "data.note.",
    "data.role.",
    "data.sus.",
    "detail.",
    "err.",
    "field.",
    "genre.",
    "metric.",
    "model.",
    "models.by_",
    "models.diversity_basis_",
    "budget.dur_",
    "models.search.",
    "models.split_",
    "opt.missing.",
    "pii.col.",
    "pii.kind.",
    "opt.oor.",
    "opt.pairs.",
    "opt.unparseable.",
    "persona.",
    "rec.changes.",
    "rec.cold.method.",
    "rec.f.features.",
    "rec.fb.",
    "rec.find.",
    "rec.metric.",
    "rec.mon.freq.",
    "rec.note.",
    "rec.reason.",
    "rec.retrain.",
    "region.",
    "rev.kw.chart.",
    "rev.kw.scope.",
    "rev.kw.side.",
    "rev.label.",
    "rev.method.",
    "sig.test.",
    "sig.unit.",
    "step.",
    "why.feature.",
    "value.",
    "why.liked.",
)


def lang() -> str:
    return st.session_state.get(K.LANG, "zh")


def t(key: str, **fmt) -> str:
    return translate(key, lang(), **fmt)


def app_note(code: str, n: int | None = None) -> str:
    """A note the app stores for its own versions and models: a catalogue code, plus a count."""
    return code if n is None else f"{code}:{int(n)}"


def note_text(note, prefix: str) -> str:
    """A stored note in the UI language: the app's own codes (see :func:`app_note`) are worded from
    ``<prefix>.<code>``; anything else is the user's text and is shown as it is."""
    if not isinstance(note, str) or not note:
        return ""
    code, _, arg = note.partition(":")
    key = f"{prefix}.{code}"
    if not has(key):
        return note
    return t(key, n=int(arg)) if arg.isdigit() else t(key)


def region_label(value) -> str:
    """A region (a data value such as 韩国) in the UI language; regions the catalogue lacks stay as written."""
    key = f"region.{value}"
    return t(key) if has(key) else str(value)
