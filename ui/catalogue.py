"""The locale catalogue's reader, without Streamlit: ``ui/locales/<lang>.toml`` (Chinese first, English
second) under the same flat keys. The app (through :mod:`ui.i18n`) and the command line word codes
from it, so both speak with the same words.

Our own fixed vocabulary of genre and demographic values (Douban's Chinese names and MovieLens'
English ones) lives under ``genre.<name>`` / ``value.<name>`` (the name lower-cased); a value the
catalogue does not know is data and is shown as it is.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

LANGUAGES = ("zh", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locales"


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """All strings of one language (read once per process; the files ship with the app)."""
    with open(LOCALE_DIR / f"{language}.toml", "rb") as fh:
        return tomllib.load(fh)


def has(key: str) -> bool:
    return key in catalogue("zh")


def translate(key: str, language: str, **fmt) -> str:
    text = catalogue(language if language in LANGUAGES else "zh").get(key)
    if text is None:
        return key
    return text.format(**fmt) if fmt else text


def genre_label(genre, language: str = "zh") -> str:
    """A genre in ``language``: names of our vocabulary are worded from the catalogue; in English an
    unknown Latin name is lower-cased, anything else is returned as it is."""
    g = str(genre).strip()
    key = f"genre.{g.lower()}"
    if language == "en":
        if g.isascii():
            return g.lower()
        return translate(key, "en") if has(key) else g
    return translate(key, "zh") if has(key) else g


def value_label(value, language: str = "zh") -> str:
    """A demographic value (gender, city tier, occupation) in ``language``; values outside our
    vocabulary, and Latin values in English, are shown as they are."""
    v = str(value).strip()
    key = f"value.{v.lower()}"
    if not has(key) or (language == "en" and v.isascii()):
        return v
    return translate(key, language)
