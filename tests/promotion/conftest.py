from __future__ import annotations

import json

import pytest

from recsys_core.data import demo


@pytest.fixture(scope="session")
def demo_tables():
    from recsys_core.promotion.tables import read_folder

    folder = demo.DEFAULT_FOLDER / demo.PROMOTION_FOLDER
    if not (folder / "films.csv").exists():
        pytest.skip("data/demo/promotion has not been generated")
    out = dict(read_folder(folder))
    out["manifest"] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return out


@pytest.fixture(scope="session")
def demo_ds():
    return demo.load()
