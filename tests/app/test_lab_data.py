"""Lab: ingest and save versions (one transaction), private session versions, defaults, dropping users."""

import pytest

from recsys_core.app import Lab
from recsys_core.data.cleaning import CleaningOptions
from recsys_core.data.readers import read_upload
from recsys_core.errors import UserError
from recsys_core.store import open_workspace
from tests.recommend.fixtures import tiny_dataset

CSV = b"user_id,item_id,rating\n1,10,4\n1,10,4\n2,11,x\n3,12,5\n"


@pytest.fixture
def lab(tmp_path):
    ws = open_workspace(tmp_path / "ws")
    yield Lab(ws)
    ws.close()


def cleaned(lab):
    result = read_upload("r.csv", CSV)
    return lab.clean_upload(result, {}, CleaningOptions())


def test_clean_and_save_adds_raw_and_cleaned_versions(lab):
    raw, ds, report = cleaned(lab)
    assert len(raw.interactions) == 4 and len(ds.interactions) == 2  # duplicate and "x" dropped
    saved = lab.save_upload([("r.csv", CSV)], raw, ds, report, note="")
    assert (saved.raw, saved.cleaned, saved.rows) == ("v1", "v2", 2)
    v = lab.ws.list_versions()
    assert v["kind"].tolist() == ["raw", "cleaned"] and v["parent"].tolist()[1] == "v1"
    assert lab.default_version() == "v2"  # the first save into an empty workspace becomes the default
    assert lab.ws.events(kind="data_upload_saved")["payload"].iloc[0]["cleaned"] == "v2"


def test_a_failed_save_leaves_no_version_behind(lab):
    lab.ws.add_version(tiny_dataset(), kind="demo")
    raw, ds, report = cleaned(lab)

    class Broken:  # the report cannot be written: the second version fails after the first was added
        rows_in, rows_out = 4, 2

        def to_dict(self):
            raise OSError("disk full")

    with pytest.raises(OSError):
        lab.save_upload([("r.csv", CSV)], raw, ds, Broken())
    assert lab.ws.list_versions()["version_id"].tolist() == ["v1"]
    assert lab.ws.events(kind="dataset_version_added")["payload"].map(lambda p: p["version_id"]).tolist() == ["v1"]
    saved = lab.save_upload([("r.csv", CSV)], raw, ds, report)  # and the workspace still works
    assert lab.ws.has_version(saved.cleaned) and lab.default_version() == "v1"


def test_session_version_is_the_sessions_own_choice(lab):
    a = lab.ws.add_version(tiny_dataset(), kind="demo")
    b = lab.ws.add_version(tiny_dataset(n_users=10), kind="raw")
    assert lab.default_version() == a
    assert lab.session_version(None) == a  # a new session starts on the default
    assert lab.session_version(b) == b  # a session keeps its own choice
    assert lab.default_version() == a  # ... without touching the default
    assert lab.session_version("v99") == a  # a version deleted meanwhile falls back to the default
    lab.make_default(b)
    assert lab.session_version(None) == b and lab.session_version(a) == a
    with pytest.raises(UserError, match="does not exist"):
        lab.make_default("v99")


def test_drop_users_makes_a_child_version(lab):
    v = lab.ws.add_version(tiny_dataset(), kind="demo")
    ds = lab.ws.load_version(v)
    child = lab.drop_users(ds, ["u01", "u02"])
    new = lab.ws.load_version(child)
    assert set(new.interactions["user_id"]) == set(ds.interactions["user_id"]) - {"u01", "u02"}
    assert lab.ws.version_info(child)["parent"] == v and lab.default_version() == v
    with pytest.raises(UserError, match="no rows"):
        lab.drop_users(ds, ds.interactions["user_id"].unique())


def test_lab_without_workspace_says_what_to_do():
    with pytest.raises(UserError, match="workspace"):
        Lab().default_version()


def test_drop_users_of_a_stored_version_is_copied_by_duckdb_with_the_frame_paths_result(lab):
    from dataclasses import replace

    import pandas as pd

    from ui.data_page import StoredVersion

    v = lab.ws.add_version(tiny_dataset(), kind="demo", note="demo")
    ds = lab.ws.load_version(v)
    ds = replace(ds, meta={**ds.meta, "suspicious_users": ["u01", "u05"]})
    in_frames = lab.drop_users(replace(ds, version=None), ["u01", "u02"])  # not stored: filtered in pandas
    stored = StoredVersion(v, ds.name, ds.meta)  # name and metadata only, as the Data page passes it
    in_sql = lab.drop_users(stored, ["u01", "u02"])
    a, b = lab.ws.load_version(in_frames), lab.ws.load_version(in_sql)
    pd.testing.assert_frame_equal(a.interactions, b.interactions)
    pd.testing.assert_frame_equal(a.items, b.items)
    pd.testing.assert_frame_equal(a.users, b.users)
    assert b.users["user_id"].tolist()[:2] == ["u03", "u04"] and len(b.users) == 38
    assert (a.meta, a.rating_scale, a.name, a.sources) == (b.meta, b.rating_scale, b.name, b.sources)
    assert b.meta["suspicious_users"] == ["u05"] and b.meta["dropped_users"] == ["u01", "u02"]
    cols = ["kind", "users", "items", "rows", "note"]
    info_a, info_b = lab.ws.version_info(in_frames), lab.ws.version_info(in_sql)
    assert [info_a[c] for c in cols] == [info_b[c] for c in cols]
    assert info_b["parent"] == v and info_b["users"] == 38 and info_b["note"] == "dropped_suspicious:2"
    assert info_b["rows"] == len(ds.interactions) - int(ds.interactions["user_id"].isin(["u01", "u02"]).sum())
    with pytest.raises(UserError, match="no rows"):
        lab.drop_users(stored, ds.interactions["user_id"].unique())
    assert lab.ws.list_versions()["version_id"].tolist() == [v, in_frames, in_sql]  # the refused drop left nothing
