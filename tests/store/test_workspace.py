import threading

import pandas as pd
import pytest

from recsys_core import Dataset, Trainset
from recsys_core.errors import UserError
from recsys_core.models import BiasBaseline
from recsys_core.store import Workspace, open_workspace


def small_dataset(name="t"):
    inter = pd.DataFrame(
        {
            "user_id": ["a", "a", "b"],
            "item_id": ["x", "y", "x"],
            "rating": [4.0, 2.0, None],
            "timestamp": ["2024-01-01", "2024-01-02", None],
            "text": [None, "一般", "好看"],
        }
    )
    items = pd.DataFrame({"item_id": ["x", "y"], "title": ["甲", "乙"], "genres": ["剧情|喜剧", "科幻"]})
    return Dataset.from_frames(inter, items=items, name=name)


def test_versions_round_trip_and_survive_reopen(tmp_path):
    ws = Workspace(tmp_path)
    v1 = ws.add_version(small_dataset(), kind="raw")
    v2 = ws.add_version(small_dataset("cleaned"), kind="cleaned", parent=v1, report={"rows_in": 3})
    assert (v1, v2) == ("v1", "v2")
    assert ws.active_version() == "v1"  # the first version becomes active
    ws.set_active(v2)
    ws.close()

    again = Workspace(tmp_path)
    assert again.active_version() == "v2"
    ds = again.load_version("v2")
    assert ds.version == "v2" and ds.name == "cleaned"
    assert list(ds.interactions["user_id"]) == ["a", "a", "b"]
    assert ds.interactions["rating"].isna().sum() == 1
    assert ds.items.set_index("item_id").loc["x", "genres"] == ["剧情", "喜剧"]
    assert again.get_report("v2") == {"rows_in": 3}
    versions = again.list_versions()
    assert versions["kind"].tolist() == ["raw", "cleaned"]
    assert versions["parent"].tolist()[1] == "v1"
    again.close()


def test_delete_version_moves_active_and_missing_version_is_a_clear_error(tmp_path):
    ws = Workspace(tmp_path)
    v1 = ws.add_version(small_dataset())
    v2 = ws.add_version(small_dataset())
    ws.set_active(v2)
    ws.delete_version(v2)
    assert ws.active_version() == v1
    with pytest.raises(UserError, match="v2 does not exist"):
        ws.load_version(v2)
    ws.close()


def test_failed_version_write_leaves_workspace_unchanged(tmp_path):
    ws = Workspace(tmp_path)
    ws.add_version(small_dataset())
    bad = small_dataset()
    object.__setattr__(bad, "interactions", bad.interactions.assign(rating=[object(), 1, 2]))
    with pytest.raises(Exception, match="(?i)conversion|convert|type|object"):  # noqa: B017
        ws.add_version(bad)
    assert ws.list_versions()["version_id"].tolist() == ["v1"]
    ws.close()


def test_upload_bytes_kept_verbatim(tmp_path):
    ws = Workspace(tmp_path)
    data = "用户ID,电影ID,评分\n1,2,5\n".encode("gbk")
    uid = ws.save_upload("../../evil name.csv", data)
    name, back = ws.upload_bytes(uid)
    assert back == data and name == "evil name.csv"
    assert uid == ws.save_upload("again.csv", data)  # same bytes stored once
    ws.close()


def test_model_registry_loads_only_untampered_workspace_files(tmp_path):
    ws = Workspace(tmp_path)
    v = ws.add_version(small_dataset())
    m = BiasBaseline().fit(Trainset.from_dataset(ws.load_version(v)))
    mid = ws.register_model(m, "bias", {"rmse": 0.9}, v)
    row = ws.list_models().iloc[0]
    assert row["metrics"] == {"rmse": 0.9} and row["params"]["reg_u"] == 15.0 and row["data_version"] == v
    assert ws.load_model(mid).predict("a", "x").estimate == pytest.approx(m.predict("a", "x").estimate)
    (tmp_path / row["path"]).write_bytes(b"tampered")
    with pytest.raises(UserError, match="sha256"):
        ws.load_model(mid)
    ws.close()


def test_feedback_events_secret_and_segments_persist(tmp_path):
    ws = Workspace(tmp_path)
    ws.add_feedback("a", "x", "like", model_id="m1", arm="A")
    ws.add_feedback("a", "y", "rate", value=4.5)
    s = ws.secret("pseudonym")
    ws.save_segments("v1", pd.DataFrame({"user_id": ["a", "b"], "segment": [0, 1]}), [{"name": "甲"}, {"name": "乙"}])
    ws.close()
    ws = Workspace(tmp_path)
    fb = ws.feedback(user_id="a")
    assert fb["action"].tolist() == ["like", "rate"] and fb["value"].iloc[1] == 4.5 and fb["arm"].iloc[0] == "A"
    assert ws.secret("pseudonym") == s and len(s) == 32
    m, personas = ws.segments("v1")
    assert dict(zip(m.user_id, m.segment)) == {"a": 0, "b": 1} and personas[1]["name"] == "乙"
    ws.close()


def test_concurrent_sessions_share_one_workspace(tmp_path):
    ws = open_workspace(tmp_path)
    assert open_workspace(tmp_path) is ws
    errors = []

    def worker(n):
        try:
            for k in range(20):
                ws.add_feedback(f"u{n}", f"i{k}", "like")
                ws.feedback(user_id=f"u{n}")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ws.feedback()) == 80
    ws.close()


def test_default_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CINELENS_WORKSPACE", str(tmp_path / "ws"))
    ws = open_workspace()
    assert ws.path == tmp_path / "ws" and (tmp_path / "ws" / "cinelens.duckdb").exists()
    ws.close()


def test_filters_on_feedback_events_and_models(tmp_path):
    ws = Workspace(tmp_path)
    ws.add_feedback("a", "x", "like", data_version="v1")
    ws.add_feedback("b", "x", "dislike", data_version="v2")
    ws.log_event("served", {"n": 1})
    ws.log_event("crash", {"msg": "boom"}, level="error")
    assert ws.feedback(data_version="v2")["user_id"].tolist() == ["b"]
    assert ws.feedback(data_version="v1", user_id="b").empty
    assert ws.events(level="error")["kind"].tolist() == ["crash"]
    assert ws.events(kind="served")["payload"].tolist() == [{"n": 1}]
    assert len(ws.events(limit=1)) == 1
    m = BiasBaseline().fit(Trainset.from_dataset(small_dataset()))
    ws.register_model(m, "bias", {}, "v1")
    ws.register_model(m, "bias", {}, "v2")
    assert ws.list_models(data_version="v2")["data_version"].tolist() == ["v2"]
    assert len(ws.list_models()) == 2
    ws.close()


def _limit_bytes(ws) -> float:
    """DuckDB's memory limit of the workspace connection, in bytes (DuckDB shows it as e.g. '953.6 MiB')."""
    with ws._cursor() as c:
        value, unit = c.execute("SELECT current_setting('memory_limit')").fetchone()[0].split()
    return float(value) * {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit]


def test_workspace_connection_has_a_memory_limit_and_spills_inside_the_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("CINELENS_DUCKDB_MEMORY", raising=False)
    ws = Workspace(tmp_path / "a")
    assert _limit_bytes(ws) == pytest.approx(1e9, rel=1e-3)  # 1GB, not DuckDB's 80% of the machine
    with ws._cursor() as c:
        assert c.execute("SELECT current_setting('temp_directory')").fetchone()[0] == str(
            tmp_path / "a" / "cache" / "duckdb"
        )
    ws.close()
    monkeypatch.setenv("CINELENS_DUCKDB_MEMORY", "256MB")
    ws = Workspace(tmp_path / "b")
    assert _limit_bytes(ws) == pytest.approx(256e6, rel=1e-3)
    # a version copied in from Parquet lowers the limit for its own write, then puts the workspace's back
    path = tmp_path / "rows.parquet"
    small_dataset().interactions.to_parquet(path)
    vid = ws.add_version_from_parquet(path, "p", (1.0, 5.0), ("rows.parquet",), {})
    assert ws.version_summary(vid)["interactions"] == 3
    assert _limit_bytes(ws) == pytest.approx(256e6, rel=1e-3)
    ws.close()


def test_a_bad_duckdb_memory_setting_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CINELENS_DUCKDB_MEMORY", "lots")
    with pytest.raises(UserError, match="CINELENS_DUCKDB_MEMORY='lots' is not a size"):
        Workspace(tmp_path)
