"""Real browser: a big file goes through the Data page's big-file picker, which streams it to the workspace's disk
(ui/bigupload.py), then it is read and cleaned in parts and saved; a file over the upload limit is refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

from recsys_core.store import open_workspace

from .helpers import metrics, wait_for_app


def _messy_csv(path: Path) -> bytes:
    """3,000 distinct ratings plus an exact duplicate line, a row without a user and one with an unreadable rating."""
    rows = ["userId,movieId,rating,timestamp"]
    rows += [f"{u},{m},{1 + (u * 7 + m) % 5},{1_600_000_000 + u * 1000 + m}" for u in range(1, 301) for m in range(10)]
    rows += [rows[5], ",3,4,1600000000", "7,99,x,1600000000"]
    data = ("\n".join(rows) + "\n").encode()
    path.write_bytes(data)
    return data


def test_big_file_streams_to_disk_cleans_and_saves(browser, streamlit_server, screenshot_dir, tmp_path):
    src = tmp_path / "ratings_big.csv"
    data = _messy_csv(src)
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(srv.url)
    wait_for_app(page)
    page.get_by_role("tab", name="上传与清洗").click()
    page.get_by_text("大文件（超过 200 MB").first.wait_for(timeout=60_000)
    page.locator("input.cl-input").set_input_files(str(src))
    page.get_by_text("已收到大文件 ratings_big.csv（54.7 KB）").first.wait_for(timeout=60_000)
    wait_for_app(page)
    page.screenshot(path=str(screenshot_dir / "data-big-upload-received.png"), full_page=True)
    page.get_by_role("button", name="预览清洗结果").click()
    page.locator("[data-testid='stMetricLabel']:has-text('输入行数')").first.wait_for(timeout=120_000)
    wait_for_app(page)
    m = metrics(page)
    assert (m["输入行数"], m["输出行数"], m["删除行数"]) == ("3,003", "3,000", "3")
    page.get_by_role("button", name="保存为新版本").click()
    page.locator("p:has-text('清洗后版本 v3'):visible").first.wait_for(timeout=120_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(screenshot_dir / "data-big-upload-saved.png"), full_page=True)
    page.close()
    srv.stop()
    ws = open_workspace(srv.workspace)
    assert len(ws.load_version("v3").interactions) == 3000
    assert ws.upload_bytes(hashlib.sha256(data).hexdigest()) == ("ratings_big.csv", data)  # kept byte for byte


def test_a_file_over_the_upload_limit_is_refused_in_the_browser(browser, streamlit_server, tmp_path, monkeypatch):
    monkeypatch.setenv("CINELENS_MAX_UPLOAD_BYTES", "20000")
    src = tmp_path / "ratings_big.csv"
    _messy_csv(src)  # about 60 KB
    srv = streamlit_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(srv.url)
    wait_for_app(page)
    page.get_by_role("tab", name="上传与清洗").click()
    page.locator("input.cl-input").set_input_files(str(src))
    page.get_by_text("超过上传上限").first.wait_for(timeout=30_000)
    assert page.get_by_text("已收到大文件").count() == 0
    page.close()
    ingest = srv.workspace / "cache" / "ingest"
    assert not ingest.exists() or not any(p.is_file() for p in ingest.rglob("*"))
