"""Exports are pseudonymised by default (raw ids only on request), the pseudonym key lives outside the workspace,
and every export is in the audit log, which the Data page shows."""

from __future__ import annotations

import io

import pandas as pd

from recsys_core import keys
from recsys_core.profiling.audience import pseudonymise
from recsys_core.store import Workspace
from ui.state import K

from ..pages import open_tab, page_app
from ..profiling.test_cli import run_main
from ..store.test_workspace import small_dataset


def test_pseudonym_key_is_outside_the_workspace(tmp_path):
    a = Workspace(tmp_path / "a")
    b = Workspace(tmp_path / "b")
    assert a.secret("pseudonym") == b.secret("pseudonym") == keys.pseudonym_key()
    with a._cursor() as c:
        stored = c.execute("SELECT count(*) FROM settings WHERE key LIKE 'secret:%'").fetchone()[0]
    assert stored == 0  # nothing in the database that maps pseudonyms back
    a.close()
    b.close()


def test_cli_clean_out_is_pseudonymised_unless_raw_ids_and_audited(tmp_path, capsys):
    src = tmp_path / "r.csv"
    src.write_text("user,film,rating\nalice,f1,4\nbob,f2,5\nalice,f2,3\n", encoding="utf-8")
    ws = tmp_path / "ws"
    out = tmp_path / "o.csv"
    code, _, err = run_main(capsys, "clean", src, "--out", out, "--quiet", "--workspace", ws)
    assert code == 0, err
    got = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert set(got["user_id"]) == set(pseudonymise(["alice", "bob"], keys.pseudonym_key()))
    code, _, err = run_main(capsys, "clean", src, "--out", out, "--quiet", "--workspace", ws, "--raw-ids")
    assert code == 0, err
    assert set(pd.read_csv(out, encoding="utf-8-sig", dtype=str)["user_id"]) == {"alice", "bob"}
    log = Workspace(ws).exports()
    assert log["pseudonymised"].tolist() == [False, True]  # newest first
    assert log["rows"].tolist() == [3, 3] and all(log["who"].str.startswith("cli:"))
    assert log["what"].iloc[0] == "cleaned dataset r" and log["target"].iloc[0] == str(out)


def test_data_page_download_is_pseudonymised_by_default_and_logged(tmp_path, monkeypatch):
    at, ws, (v,) = page_app("1_data.py", tmp_path, monkeypatch, small_dataset())
    from ui import data_page as dp

    ds = ws.load_version(v)
    pseudo = pd.read_csv(io.BytesIO(dp.export_csv(ds, False, "session:abc")), encoding="utf-8-sig", dtype=str)
    raw = pd.read_csv(io.BytesIO(dp.export_csv(ds, True, "session:abc")), encoding="utf-8-sig", dtype=str)
    assert sorted(raw["user_id"].unique()) == ["a", "b"]
    assert sorted(pseudo["user_id"].unique()) == sorted(pseudonymise(["a", "b"], ws.secret("pseudonym")))
    open_tab(at, K.DATA_TABS, 3).run()  # Export
    assert not at.exception, [e.value for e in at.exception]
    assert at.checkbox(key="data_export_raw").value is False  # raw ids are an explicit opt-in
    table = next(df.value for df in at.dataframe if "导出人" in df.value.columns)
    assert table["导出人"].tolist() == ["session:abc", "session:abc"]
    assert table["用户 ID"].tolist() == ["原始 ID", "化名"] and table["行数"].tolist() == [3, 3]
