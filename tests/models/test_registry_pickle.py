"""Every registered model fits through the registry, survives the workspace's saved form (arrays + JSON state,
recsys_core.safestore) and pickling, and scores identically afterwards."""

import json
import pickle
import zipfile

import numpy as np
import pytest

from recsys_core import safestore
from recsys_core.models import REGISTRY, make_model
from recsys_core.trainset import Trainset

from .contract import FAST_PARAMS as FAST
from .contract import planted_frame, planted_items


@pytest.fixture(scope="module")
def ts():
    return Trainset.from_frame(planted_frame(), (1, 5), items_meta=planted_items())


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_fit_pickle_round_trip(ts, name):
    m = make_model(name, **FAST.get(name, {})).fit(ts)
    assert m.name == name
    back = pickle.loads(pickle.dumps(m))
    np.testing.assert_allclose(back.score("u1"), m.score("u1"))
    assert [i for i, _ in back.recommend("u1", 5)] == [i for i, _ in m.recommend("u1", 5)]


#: models whose saved form may hold a signed pickled blob, and why
SIGNED = {"content": "scikit-learn's TfidfVectorizer"}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_fit_save_load_round_trip(ts, name, tmp_path):
    m = make_model(name, **FAST.get(name, {})).fit(ts)
    path = tmp_path / "m.npz"
    safestore.save(m, path)
    with zipfile.ZipFile(path) as z:
        state = json.loads(z.read("state.json"))
        blobs = [n for n in z.namelist() if n.startswith("p")]
    assert state["objects"][0]["cls"].endswith(":" + type(m).__name__)
    assert bool(blobs) == (name in SIGNED)
    back = safestore.load(path)
    assert type(back) is type(m) and back.get_params() == m.get_params()
    np.testing.assert_allclose(back.score("u1"), m.score("u1"))
    np.testing.assert_allclose(back.score("nobody"), m.score("nobody"))
    assert [i for i, _ in back.recommend("u1", 5)] == [i for i, _ in m.recommend("u1", 5)]


def test_expected_names_are_registered():
    expected = {
        "baseline",
        "bias",
        "popularity",
        "random",
        "usercf",
        "itemcf",
        "svd",
        "svdpp",
        "nmf",
        "slopeone",
        "coclustering",
        "knnbaseline",
        "content",
        "autorec-i",
        "autorec-u",
        "ease",
        "als",
        "hybrid",
    }
    assert expected <= set(REGISTRY)
