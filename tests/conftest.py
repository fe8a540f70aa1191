"""Test-wide set-up: keys that live outside the workspace go to a temporary config folder, never ~/.config."""

import os
import tempfile

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_config_dir():
    if os.environ.get("CINELENS_CONFIG_DIR"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="cinelens-config-") as d:
        os.environ["CINELENS_CONFIG_DIR"] = d
        try:
            yield
        finally:
            os.environ.pop("CINELENS_CONFIG_DIR", None)
