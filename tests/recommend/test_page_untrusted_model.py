"""The Recommend page opens the newest model by itself: a swapped pickle must not run, and the page says why."""

import hashlib

from recsys_core import Trainset
from recsys_core.models import BiasBaseline

from ..pages import page_app
from ..store.test_no_code_from_data import _evil
from .fixtures import tiny_dataset


def test_swapped_model_is_refused_with_a_reason_and_a_retrain_button(tmp_path, monkeypatch):
    at, ws, (v,) = page_app("5_recommend.py", tmp_path, monkeypatch, tiny_dataset(), run=False, timeout=120)
    mid = ws.register_model(BiasBaseline().fit(Trainset.from_dataset(ws.load_version(v))), "bias", {}, v)
    path = ws.path / ws.list_models()["path"].iloc[0]
    marker = tmp_path / "marker"
    data = _evil(marker)
    path.write_bytes(data)
    with ws._cursor() as c:
        c.execute("UPDATE models SET sha256 = ? WHERE model_id = ?", [hashlib.sha256(data).hexdigest(), mid])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not marker.exists()
    errors = " ".join(e.value for e in at.error)
    assert mid in errors and "retrain" in errors
    assert at.button(key="rec_fit").disabled is False  # the way to retrain is right there
