"""Every failure is one line: in the app an error boundary shows a short message and an id found in the workspace's
errors.log; in the CLI one line and exit 2; a damaged database is not reported as "in use"; interrupted writes
leave nothing behind, and the start-up sweep removes and reports what an earlier crash left."""

from __future__ import annotations

import errno
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recsys_core import failures
from recsys_core.store import Workspace

from .store.test_workspace import small_dataset

ROOT = Path(__file__).resolve().parents[1]


def _app(ws_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("CINELENS_WORKSPACE", str(ws_path))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]  # no traceback element on the page
    return at


def test_unexpected_error_shows_a_message_and_an_id_that_is_in_the_error_log(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws")
    v = ws.add_version(small_dataset())
    ws.set_active(v)
    with ws._cursor() as c:  # a damaged workspace: the version's table is gone
        c.execute(f"DROP TABLE data_{v}_interactions")
    ws.close()
    at = _app(tmp_path / "ws", monkeypatch)
    assert [e.value for e in at.error] == [
        "出现了意外错误，这一页没能显示完。请重试；如果再次出现，请把错误编号告诉维护者。"
    ]
    caption = next(c.value for c in at.caption if c.value.startswith("错误编号"))
    error_id = re.search(r"E-\d{8}-\d{6}-[0-9a-f]{6}", caption).group(0)
    log = failures.read_log(tmp_path / "ws")
    entry = next(e for e in log if e["id"] == error_id)
    assert entry["code"] == "unexpected" and "CatalogException" in entry["type"]
    assert "Traceback" in entry["traceback"] and "data_v1_interactions" in entry["message"]
    assert "Traceback" not in " ".join(m.value for m in at.markdown)


def test_damaged_database_is_not_reported_as_in_use(tmp_path, monkeypatch):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "cinelens.duckdb").write_bytes(b"not a database" * 500)
    at = _app(tmp_path / "ws", monkeypatch)
    assert [e.value for e in at.error] == [
        "工作区数据库已损坏（不是可读的 DuckDB 文件）。请从备份恢复，或把 CINELENS_WORKSPACE 设为新文件夹。"
    ]
    r = subprocess.run(
        [sys.executable, "-m", "recsys_core", "audience", str(ROOT / "tests" / "data" / "tiny_ratings.csv"),
         "--item", "i1", "--out", str(tmp_path / "a.csv"), "--workspace", str(tmp_path / "ws")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "damaged" in r.stderr and "in use" not in r.stderr


def test_locked_workspace_has_its_own_message(tmp_path):
    ws_path = tmp_path / "ws"
    Workspace(ws_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(ws_path / 'cinelens.duckdb')!r}); "
         "print('ok', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(failures.WorkspaceLocked, match="in use by another CineLens process"):
            Workspace(ws_path)
    finally:
        holder.kill()
        holder.wait()


def test_cli_turns_memory_recursion_and_os_errors_into_one_line():
    assert failures.one_line(MemoryError()).startswith("not enough memory")
    assert failures.one_line(RecursionError("maximum recursion depth exceeded")).startswith("the input is nested")
    full = OSError(errno.ENOSPC, "No space left on device", "/x/out.csv")
    assert failures.one_line(full, "E-1") == (
        "the disk is full (/x/out.csv) - free some space and try again; nothing half-written was kept (error id E-1)"
    )
    assert failures.classify(OSError(errno.EACCES, "Permission denied")) == "permission"


def test_cli_deep_json_is_one_line_exit_2(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text('[{"user": 1, "film": 2, "rating": 3, "x": ' + "[" * 100_000 + "]" * 100_000 + "}]")
    r = subprocess.run(
        [sys.executable, "-m", "recsys_core", "info", str(p)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nested more than 64 levels" in r.stderr


def test_failed_upload_write_leaves_no_part_file(tmp_path):
    """A real write failure (the file-size limit of the process, EFBIG) in the middle of saving an upload."""
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from recsys_core.store import Workspace
        ws = Workspace({str(tmp_path / "ws")!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            ws.save_upload("big.csv", b"u,f,5\\n" * 10000)
        except OSError as e:
            print("failed", e.errno)
        """
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == f"failed {errno.EFBIG}", r.stderr
    assert not list((tmp_path / "ws" / "uploads").rglob("*.part"))
    assert not [f for f in (tmp_path / "ws" / "uploads").rglob("*") if f.is_file()]


def test_startup_sweep_removes_and_reports_orphans(tmp_path):
    ws = Workspace(tmp_path / "ws")
    v = ws.add_version(small_dataset())
    uid = ws.save_upload("kept.csv", b"u,f,r\n1,2,3\n")
    ws.close()
    root = tmp_path / "ws"
    (root / "uploads" / "abc").mkdir()
    (root / "uploads" / "abc" / "lost.csv").write_bytes(b"x")  # bytes whose row never committed
    (root / "models" / "m-x.npz").write_bytes(b"x")  # a model file without a registry row
    (root / "models" / "m-y.npz.part").write_bytes(b"x")  # a write cut short
    again = Workspace(root)
    assert again.swept == {"partial_files": 1, "orphan_uploads": 1, "orphan_models": 1}
    assert not (root / "uploads" / "abc").exists() and not list((root / "models").iterdir())
    assert again.upload_bytes(uid)[1] == b"u,f,r\n1,2,3\n" and again.has_version(v)
    ev = again.events(kind="startup_sweep")
    assert len(ev) == 1 and ev["payload"].iloc[0]["orphan_models"] == 1
    assert Workspace(root).swept == {}  # nothing left the second time
    json.dumps(again.swept)
