"""A workspace folder is data: a pickle swapped into it (with its stored hash updated) never runs."""

import hashlib
import io
import json
import os
import pickle
import stat
import zipfile

import numpy as np
import pytest

from recsys_core import Trainset, keys, safestore
from recsys_core.models import BiasBaseline
from recsys_core.store import Workspace

from .test_workspace import small_dataset


class _Payload:
    """Unpickling this writes a marker file: what an attacker's pickle would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def _evil(marker) -> bytes:
    return pickle.dumps(_Payload(marker))


def _swap(ws, table, key_col, key, path, data: bytes):
    """Replace the stored file and update its recorded sha256, as someone with the folder could."""
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    with ws._cursor() as c:
        c.execute(f"UPDATE {table} SET sha256 = ? WHERE {key_col} = ?", [digest, key])


def _npz_with_signed_root(data: bytes, signature: str) -> bytes:
    """A file in the saved-model layout whose root is a pickled blob carrying ``signature``."""
    buf = io.BytesIO()
    state = {"format": safestore.FORMAT, "root": {"t": "signed", "k": "p0", "sig": signature}, "objects": []}
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("state.json", json.dumps(state))
        with z.open("p0.npy", "w") as f:
            np.lib.format.write_array(f, np.frombuffer(data, dtype=np.uint8))
    return buf.getvalue()


@pytest.fixture
def registered(tmp_path):
    ws = Workspace(tmp_path / "ws")
    v = ws.add_version(small_dataset())
    m = BiasBaseline().fit(Trainset.from_dataset(ws.load_version(v)))
    mid = ws.register_model(m, "bias", {}, v)
    row = ws.list_models().iloc[0]
    yield ws, mid, ws.path / row["path"], m
    ws.close()


def test_models_are_saved_as_npz_not_pickle_and_load_back(registered):
    ws, mid, path, m = registered
    assert path.suffix == ".npz"
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        state = json.loads(z.read("state.json"))
    assert "state.json" in names and not any(n.startswith("p") for n in names)  # no pickled blob at all
    assert state["objects"][0]["cls"] == "recsys_core.models.baselines:BiasBaseline"
    back = ws.load_model(mid)
    assert back.predict("a", "y").estimate == pytest.approx(m.predict("a", "y").estimate)


def test_swapped_pickle_with_updated_hash_never_runs(registered, tmp_path):
    ws, mid, path, _ = registered
    marker = tmp_path / "marker"
    _swap(ws, "models", "model_id", mid, path, _evil(marker))
    with pytest.raises(safestore.UntrustedState, match="retrain"):
        ws.load_model(mid)
    assert not marker.exists()


def test_pickle_file_registered_under_a_pkl_path_never_runs(registered, tmp_path):
    ws, mid, path, _ = registered
    marker = tmp_path / "marker"
    evil = path.with_suffix(".pkl")
    _swap(ws, "models", "model_id", mid, evil, _evil(marker))
    with ws._cursor() as c:
        c.execute("UPDATE models SET path = ? WHERE model_id = ?", [str(evil.relative_to(ws.path)), mid])
    with pytest.raises(safestore.UntrustedState, match="older CineLens"):
        ws.load_model(mid)
    assert not marker.exists()


def test_pickled_blob_runs_only_with_a_valid_signature(registered, tmp_path):
    ws, mid, path, _ = registered
    marker = tmp_path / "marker"
    data = _evil(marker)
    forged = hashlib.sha256(data).hexdigest()  # a plausible-looking signature made without the key
    _swap(ws, "models", "model_id", mid, path, _npz_with_signed_root(data, forged))
    with pytest.raises(safestore.UntrustedState, match="signing key"):
        ws.load_model(mid)
    assert not marker.exists()
    # the check is what stops it: the same blob signed under this installation's key is trusted
    _swap(ws, "models", "model_id", mid, path, _npz_with_signed_root(data, keys.sign(data)))
    ws.load_model(mid)
    assert marker.read_text() == "ran"


def test_state_naming_a_class_outside_the_allow_list_is_refused(registered):
    ws, mid, path, _ = registered
    buf = io.BytesIO()
    state = {"format": safestore.FORMAT, "root": {"t": "ref", "i": 0}, "objects": [{"cls": "os:system", "state": {}}]}
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("state.json", json.dumps(state))
    _swap(ws, "models", "model_id", mid, path, buf.getvalue())
    with pytest.raises(safestore.UntrustedState, match="class CineLens does not load"):
        ws.load_model(mid)


def test_swapped_artifact_is_recomputed_not_run(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.save_artifact("sentiment-model", "k1", {"weights": np.arange(3.0), "name": "m"})
    back = ws.load_artifact("sentiment-model", "k1")
    assert back["name"] == "m" and back["weights"].tolist() == [0.0, 1.0, 2.0]
    with ws._cursor() as c:
        rel = c.execute("SELECT path FROM artifacts WHERE key = 'k1'").fetchone()[0]
    marker = tmp_path / "marker"
    with ws._cursor() as c:
        c.execute("UPDATE artifacts SET sha256 = 'x' WHERE key = 'k1'")
    path = ws.path / rel
    path.write_bytes(_npz_with_signed_root(_evil(marker), "0" * 64))
    with ws._cursor() as c:
        c.execute("UPDATE artifacts SET sha256 = ? WHERE key = 'k1'", [hashlib.sha256(path.read_bytes()).hexdigest()])
    assert ws.load_artifact("sentiment-model", "k1") is None
    assert not marker.exists()
    refused = ws.events(kind="artifact_refused")
    assert len(refused) == 1 and "signing key" in refused["payload"].iloc[0]["reason"]
    ws.close()


def test_key_file_is_created_once_outside_the_workspace_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("CINELENS_SECRET", raising=False)
    monkeypatch.setenv("CINELENS_CONFIG_DIR", str(tmp_path / "cfg"))
    k1 = keys.derived_key("signing")
    key_file = tmp_path / "cfg" / "secret.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert keys.derived_key("signing") == k1 and keys.derived_key("pseudonym") != k1
    monkeypatch.setenv("CINELENS_SECRET", "from-the-environment")
    assert keys.derived_key("signing") != k1
    assert keys.verify(b"abc", keys.sign(b"abc")) and not keys.verify(b"abd", keys.sign(b"abc"))
