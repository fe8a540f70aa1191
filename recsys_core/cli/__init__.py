"""Sub-commands of ``python -m recsys_core``. Each module has ``add_parser(subparsers)`` and ``run(args) -> int``."""

from __future__ import annotations

import importlib

# module names under recsys_core.cli, in help order
COMMANDS = [
    "info",
    "clean",
    "evaluate",
    "recommend",
    "segment",
    "audience",
    "sentiment",
    "keywords",
    "synth",
    "boxoffice",
    "campaign",
    "plan",
    "users",
    "spark",
    "importer",
]


def load_commands():
    mods = []
    for name in COMMANDS:
        mods.append(importlib.import_module(f"{__name__}.{name}"))
    return mods
