"""Benchmarks are one package run as ``python -m benchmarks.<script>``: no sys.path edits, each importable."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if p.name != "__init__.py")


def _edits_sys_path(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "path" and getattr(node.value, "id", None) == "sys":
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_benchmark_does_not_touch_sys_path_and_imports_as_a_module(script):
    tree = ast.parse(script.read_text(encoding="utf-8"))
    assert _edits_sys_path(tree) == [], f"{script.name} uses sys.path; run it as python -m benchmarks.{script.stem}"
    mod = importlib.import_module(f"benchmarks.{script.stem}")
    assert mod.__name__ == f"benchmarks.{script.stem}"


def test_the_check_sees_a_sys_path_edit():
    assert _edits_sys_path(ast.parse("import sys\nsys.path.insert(0, 'x')\n")) == [2]
