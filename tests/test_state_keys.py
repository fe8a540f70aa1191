"""Every widget key and session-state key comes from ui/state.py; defaults are made in a function."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ui.state import K, _defaults

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "views").glob("*.py"))]


def _literal_head(node) -> str | None:
    """The string a key expression starts with when it is written inline (``"x"`` or ``f"x{...}"``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return node.values[0].value
    return None


def _inline_keys() -> list[str]:
    found = []
    for path in SOURCES:
        if path.name == "state.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "key" and _literal_head(node.value) is not None:
                found.append(f"{path.name}:{node.value.lineno} key={_literal_head(node.value)!r}")
            # st.session_state["x"], st.session_state.get("x"), .setdefault("x"), .pop("x")
            if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("session_state"):
                if _literal_head(node.slice) is not None:
                    found.append(f"{path.name}:{node.lineno} session_state[{_literal_head(node.slice)!r}]")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and ast.unparse(node.func.value).endswith("session_state")
                and node.args
                and _literal_head(node.args[0]) is not None
            ):
                found.append(
                    f"{path.name}:{node.lineno} session_state.{node.func.attr}({_literal_head(node.args[0])!r})"
                )
    return found


def test_no_inline_widget_or_session_keys():
    assert _inline_keys() == []


def test_the_grep_would_catch_an_inline_key():
    tree = ast.parse('st.button("x", key="inline")\nst.session_state.get(f"p_{x}")')
    keys = [n for n in ast.walk(tree) if isinstance(n, ast.keyword) and n.arg == "key"]
    assert _literal_head(keys[0].value) == "inline"
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "get")
    assert _literal_head(call.args[0]) == "p_"


def test_keys_are_unique_and_defaults_are_fresh():
    values = [v for k, v in vars(K).items() if k.isupper()]
    assert len(values) == len(set(values))
    assert all(re.fullmatch(r"[a-z0-9_]+", v) for v in values)
    a, b = _defaults(), _defaults()
    assert a[K.SEGMENT_FILTER] == [] and a[K.SEGMENT_FILTER] is not b[K.SEGMENT_FILTER]
    assert a[K.SESSION_ID] != b[K.SESSION_ID]


def test_every_button_upload_download_chart_and_table_key_is_left_alone_by_keep_widgets():
    """Streamlit refuses a button, upload or download whose key was set through session state, so
    ``keep_widgets`` must skip every such key (and element selections of charts and tables)."""
    from ui.state import is_action

    kinds = {"button", "download_button", "file_uploader", "form_submit_button", "plotly_chart", "dataframe"}
    missed = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in kinds):
                continue
            key = next((k.value for k in node.keywords if k.arg == "key"), None)
            if key is None:
                continue
            # K.NAME, or f"{K.PREFIX}..." / f"{prefix}like_..." (the prefix is then checked by name)
            if isinstance(key, ast.Attribute):
                value = getattr(K, key.attr)
            elif isinstance(key, ast.JoinedStr) and isinstance(key.values[0], ast.FormattedValue):
                head = key.values[0].value
                tail = "".join(v.value for v in key.values[1:] if isinstance(v, ast.Constant))
                value = (getattr(K, head.attr) if isinstance(head, ast.Attribute) else K.REC_FB) + tail
            else:
                continue
            if not is_action(value):
                missed.append(f"{path.name}:{node.lineno} {node.func.attr} {value}")
    assert missed == []
