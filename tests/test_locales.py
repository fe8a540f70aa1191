"""The locale catalogue: the same keys and placeholders in every language, and no key the app never uses."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from ui.i18n import DYNAMIC_PREFIXES, LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "views").glob("*.py"))]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _source_strings() -> tuple[set[str], set[str]]:
    """(every string constant, every leading constant of an f-string) in the app's UI code."""
    consts, heads = set(), set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                consts.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                heads.add(node.values[0].value)
    return consts, heads


def test_every_language_has_the_same_keys():
    zh, en = catalogue("zh"), catalogue("en")
    assert sorted(set(zh) - set(en)) == [], "keys only in zh.toml"
    assert sorted(set(en) - set(zh)) == [], "keys only in en.toml"
    assert LANGUAGES == ("zh", "en")


def test_every_text_is_non_empty_and_has_the_same_placeholders():
    zh, en = catalogue("zh"), catalogue("en")
    empty = [(lang, k) for lang, cat in (("zh", zh), ("en", en)) for k, v in cat.items() if not v.strip()]
    assert empty == []
    diff = {k: (_fields(zh[k]), _fields(en[k])) for k in zh if k in en and _fields(zh[k]) != _fields(en[k])}
    assert diff == {}


def test_every_key_is_used():
    consts, heads = _source_strings()
    stale = [p for p in DYNAMIC_PREFIXES if p not in heads and p not in consts]
    assert stale == [], "dynamic prefixes no code builds keys from"
    unused = [k for k in catalogue("zh") if k not in consts and not k.startswith(DYNAMIC_PREFIXES)]
    assert unused == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_templates_format_with_their_own_fields(language):
    """Every template formats when given values for its placeholders (no stray braces)."""
    for text in catalogue(language).values():
        values = {f.split(".")[0].split("[")[0]: 1 for f in _fields(text) if f}
        text.format(**values)


def test_durations_use_the_units_of_format_seconds_in_chinese():
    from recsys_core.models.cost import format_seconds
    from ui.budget import duration  # no language chosen: Chinese

    assert [duration(s) for s in (50.2, 60, 700, 3600, 5274.4)] == [
        "50 秒",
        "1 分钟",
        "11 分 40 秒",
        "1 小时",
        "1 小时 28 分",
    ]
    assert format_seconds(700) == "11 min 40 s"
