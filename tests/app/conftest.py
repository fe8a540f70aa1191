from __future__ import annotations

import pytest

from recsys_core.app import Lab
from recsys_core.store import open_workspace
from tests.recommend.fixtures import tiny_dataset


@pytest.fixture
def lab(tmp_path):
    """A lab over a fresh workspace holding the tiny dataset as version v1."""
    ws = open_workspace(tmp_path / "ws")
    ws.add_version(tiny_dataset(), kind="demo")
    yield Lab(ws)
    ws.close()
