"""Views are layout plus calls into the application layer (``recsys_core.app``) and ``ui/``: no view
imports another part of the core (its errors excepted, so a view can catch ``UserError``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VIEWS = sorted((Path(__file__).resolve().parents[1] / "views").glob("*.py"))
ALLOWED = ("recsys_core.app", "recsys_core.errors")


def _imported_modules(tree: ast.AST):
    """(line, module) for every import anywhere in the file, inside functions too."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            if node.module == "recsys_core":  # from recsys_core import models
                for alias in node.names:
                    yield node.lineno, f"recsys_core.{alias.name}"


def core_imports(source: str) -> list[str]:
    """``line: module`` for each import of a core module outside the application layer."""
    out = []
    for line, mod in _imported_modules(ast.parse(source)):
        if mod == "recsys_core" or mod.startswith("recsys_core."):
            if not any(mod == a or mod.startswith(a + ".") for a in ALLOWED) and mod != "recsys_core":
                out.append((line, mod))
    return [f"{line}: {mod}" for line, mod in sorted(out)]


def test_the_check_sees_every_kind_of_core_import():
    src = (
        "from recsys_core.app import Lab\n"
        "from recsys_core.errors import UserError\n"
        "import recsys_core.models\n"
        "from recsys_core import store\n"
        "def f():\n"
        "    from recsys_core.promotion import plan\n"
        "from recsys_core.application import x\n"
    )
    assert core_imports(src) == [
        "3: recsys_core.models",
        "4: recsys_core.store",
        "6: recsys_core.promotion",
        "7: recsys_core.application",
    ]


def test_there_are_views():
    assert len(VIEWS) >= 6


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_view_reaches_the_core_only_through_the_application_layer(path):
    assert core_imports(path.read_text(encoding="utf-8")) == []
